"""advance(): asynctest's ClockedTestCase semantics, input checks, the module-level function."""

from __future__ import annotations

import asyncio
import math
import sys
import time
from fractions import Fraction
from typing import Any

import pytest

import aiotestkit_clock
from aiotestkit_clock import ClockedEventLoop

from ._support import run, running_clock


def test_advance_moves_time_exactly_by_the_amount() -> None:
    async def main() -> list[float]:
        loop = running_clock()
        seen = []
        for step in (10, 0.1, 0.2, 1e-9, 3, Fraction(1, 3)):
            before = loop.time()
            await loop.advance(step)  # type: ignore[arg-type]
            assert loop.time() == before + float(step)
            seen.append(loop.time())
        return seen

    seen = run(main(), start=1.7e9)
    assert seen[0] == 1.7e9 + 10


def test_nested_timers_fire_inside_the_window_at_their_own_time() -> None:
    # The example of asynctest's docstring: timers at 1 and 2+1 fire at 1 and 3.
    async def main() -> list[float]:
        loop = running_clock()
        seen: list[float] = []

        def later() -> None:
            loop.call_later(1, lambda: seen.append(loop.time()))

        loop.call_later(1, lambda: seen.append(loop.time()))
        loop.call_later(2, later)
        loop.call_later(4, lambda: seen.append(loop.time()))
        await loop.advance(3)
        assert loop.time() == 3.0
        assert loop.pending_timers() == 1
        return seen

    assert run(main()) == [1.0, 3.0]


def test_the_boundary_is_inclusive_and_wakes_settle_before_return() -> None:
    async def main() -> None:
        loop = running_clock()
        log: list[tuple[str, float]] = []

        async def worker(name: str, delay: float) -> None:
            await asyncio.sleep(delay)
            log.append((name, loop.time()))
            await asyncio.sleep(0)  # several more steps, still at the same time
            await asyncio.sleep(0)
            log.append((name + " done", loop.time()))

        tasks = [asyncio.ensure_future(worker(n, d)) for n, d in (("a", 2), ("b", 1))]
        await loop.advance(2)
        assert log == [("b", 1.0), ("b done", 1.0), ("a", 2.0), ("a done", 2.0)]
        assert all(task.done() for task in tasks)

    run(main())


def test_advance_zero_runs_only_what_is_ready() -> None:
    async def main() -> None:
        loop = running_clock()
        ran: list[str] = []
        loop.call_soon(ran.append, "soon")
        loop.call_later(0, ran.append, "due now")
        loop.call_later(1e-9, ran.append, "later")
        await loop.advance(0)
        assert ran == ["soon", "due now"]
        assert loop.time() == 0.0
        await loop.advance(1e-9)
        assert ran == ["soon", "due now", "later"]

    run(main())


def test_concurrent_advances_each_end_at_their_own_target() -> None:
    async def main() -> None:
        loop = running_clock()
        ends: dict[str, float] = {}

        async def advancer(name: str, seconds: float) -> None:
            await loop.advance(seconds)
            ends[name] = loop.time()

        await asyncio.gather(advancer("long", 10), advancer("short", 4))
        assert ends == {"short": 4.0, "long": 10.0}

    run(main())


def test_cancelled_advance_leaves_no_target_behind() -> None:
    async def main() -> None:
        loop = running_clock()
        task = asyncio.ensure_future(loop.advance(100))
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert loop.time() == 0.0
        await loop.advance(1)
        assert loop.time() == 1.0

    run(main())


def test_advance_of_a_billion_seconds_with_nothing_scheduled_is_instant() -> None:
    async def main() -> float:
        loop = running_clock()
        start = time.perf_counter()
        for _ in range(100):
            await loop.advance(1e9)
        assert loop.time() == 1e11
        return time.perf_counter() - start

    assert run(main()) < 0.5


def test_advance_waits_for_executor_work_instead_of_overtaking_it() -> None:
    async def main() -> None:
        loop = running_clock()
        job = asyncio.ensure_future(
            asyncio.wait_for(loop.run_in_executor(None, time.sleep, 0.05), 10)
        )
        await loop.advance(20)
        assert job.done()
        assert job.result() is None  # no TimeoutError: the thread finished first
        assert loop.time() == 20.0

    run(main())


@pytest.mark.parametrize(
    ("seconds", "error", "match"),
    [
        (-1, ValueError, r"^seconds must be a finite number >= 0, got -1$"),
        (-0.5, ValueError, r"^seconds must be a finite number >= 0, got -0\.5$"),
        (math.nan, ValueError, r"^seconds must be a finite number >= 0, got nan$"),
        (math.inf, ValueError, r"^seconds must be a finite number >= 0, got inf$"),
        (
            10**400,
            ValueError,
            r"^seconds must be a finite number >= 0, got 1000+\.\.\.0+ \(too large for a float\)$",
        ),
        ("5", TypeError, r"^seconds must be an int or float, got '5' \(str\)$"),
        (None, TypeError, r"^seconds must be an int or float, got None \(NoneType\)$"),
        (True, TypeError, r"^seconds must be an int or float, got True \(bool\)$"),
    ],
)
def test_bad_seconds(seconds: Any, error: type[Exception], match: str) -> None:
    async def main() -> None:
        with pytest.raises(error, match=match):
            await running_clock().advance(seconds)
        with pytest.raises(error, match=match):
            await aiotestkit_clock.advance(seconds)

    run(main())


def test_module_level_advance_uses_the_running_loop() -> None:
    async def main() -> float:
        fired: list[float] = []
        loop = running_clock()
        loop.call_later(5, lambda: fired.append(loop.time()))
        await aiotestkit_clock.advance(7.5)
        assert fired == [5.0]
        return loop.time()

    assert run(main()) == 7.5


def test_module_level_advance_on_a_plain_loop_says_what_to_use() -> None:
    async def main() -> None:
        await aiotestkit_clock.advance(1)

    loop = asyncio.new_event_loop()
    try:
        with pytest.raises(
            TypeError, match=r"ClockedEventLoop.*_UnixSelectorEventLoop|ClockedEventLoop"
        ):
            loop.run_until_complete(main())
    finally:
        loop.close()


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop is POSIX-only")
def test_module_level_advance_on_uvloop_says_what_to_use() -> None:
    uvloop = pytest.importorskip("uvloop")

    async def main() -> None:
        await aiotestkit_clock.advance(1)

    loop = uvloop.new_event_loop()
    try:
        with pytest.raises(TypeError, match=r"it is a uvloop.Loop; run the code on one"):
            loop.run_until_complete(main())
    finally:
        loop.close()


def test_advance_from_another_loop_is_refused() -> None:
    other = ClockedEventLoop()

    async def main() -> None:
        with pytest.raises(RuntimeError, match="awaited by a task running in that same loop"):
            await other.advance(1)

    try:
        run(main())
    finally:
        other.close()
