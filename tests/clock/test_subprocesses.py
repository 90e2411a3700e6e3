"""Subprocesses hold virtual time for their whole life, unless ``hold_for_subprocesses`` is off."""

from __future__ import annotations

import asyncio
import sys

import pytest

from aiotestkit_clock import ClockedEventLoop

from ._support import run, running_clock

# A child that answers only when its stdin is closed: it never sleeps in real time.
ANSWERS_ON_EOF = "import sys; sys.stdin.read(); print('late')"


def test_a_live_child_holds_virtual_time_by_default() -> None:
    # io_grace=0: only the hold keeps the 1 s timeout from firing during the child's start-up.
    async def main() -> tuple[bytes, float]:
        loop = running_clock()
        assert loop.hold_for_subprocesses is True
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "print('hi')", stdout=asyncio.subprocess.PIPE
        )
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 1)
        await proc.wait()
        return line, loop.time()

    assert run(main(), autojump=True, io_grace=0) == (b"hi\n", 0.0)


def test_without_the_hold_a_timeout_around_a_silent_child_fires_on_virtual_time() -> None:
    async def main() -> tuple[float, bytes, int]:
        loop = running_clock()
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            ANSWERS_ON_EOF,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert proc.stdin is not None
        assert proc.stdout is not None
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(proc.stdout.readline(), 1)
        timed_out_at = loop.time()
        await asyncio.sleep(3600)  # the live child does not hold virtual time either
        proc.stdin.close()
        # Nothing else can move time now: the loop waits for the child, no DeadlockError.
        line = await proc.stdout.readline()
        return timed_out_at, line, await proc.wait()

    result = run(main(), autojump=True, io_grace=0, hold_for_subprocesses=False)
    assert result == (1.0, b"late\n", 0)


def test_hold_for_subprocesses_can_be_switched_at_run_time() -> None:
    async def main() -> float:
        loop = running_clock()
        loop.hold_for_subprocesses = False
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", ANSWERS_ON_EOF, stdin=asyncio.subprocess.PIPE
        )
        assert proc.stdin is not None
        await asyncio.sleep(5)
        proc.stdin.close()
        assert await proc.wait() == 0
        return loop.time()

    assert run(main(), autojump=True, io_grace=0) == 5.0


def test_hold_for_subprocesses_is_validated() -> None:
    with pytest.raises(TypeError, match=r"hold_for_subprocesses must be True or False, got 1"):
        ClockedEventLoop(hold_for_subprocesses=1)  # type: ignore[arg-type]
    loop = ClockedEventLoop(hold_for_subprocesses=False)
    try:
        assert loop.hold_for_subprocesses is False
        with pytest.raises(TypeError, match=r"got 'yes'"):
            loop.hold_for_subprocesses = "yes"  # type: ignore[assignment]
        loop.hold_for_subprocesses = True
        assert loop.hold_for_subprocesses is True
    finally:
        loop.close()
