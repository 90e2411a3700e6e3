"""The ``io_grace`` property: what a time jump costs while real sockets are registered."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

import pytest

import aiotestkit_clock
from aiotestkit_clock import ClockedEventLoop

from ._support import run, running_clock


async def _tick_forever() -> None:
    for _ in range(10**9):  # until cancelled
        await asyncio.sleep(1)


async def _jumps_with_a_listener(seconds: float, *, by_advance: bool) -> float:
    """Let ``seconds`` pass over a 1 s worker while a listening server is registered."""
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    ticker = asyncio.ensure_future(_tick_forever())
    try:
        start = time.perf_counter()
        if by_advance:
            await aiotestkit_clock.advance(seconds)
        else:
            await asyncio.sleep(seconds)
        elapsed = time.perf_counter() - start
        assert running_clock().time() == seconds
        return elapsed
    finally:
        ticker.cancel()
        server.close()
        await server.wait_closed()


def test_defaults_to_twenty_milliseconds_and_is_writable() -> None:
    loop = ClockedEventLoop(io_grace=0.5)
    try:
        assert loop.io_grace == 0.5
        loop.io_grace = 0
        assert loop.io_grace == 0.0
        assert isinstance(loop.io_grace, float)
    finally:
        loop.close()
    loop = ClockedEventLoop()
    try:
        assert loop.io_grace == 0.02
    finally:
        loop.close()


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (-0.1, ValueError, r"^io_grace must be a finite number >= 0, got -0\.1$"),
        (math.nan, ValueError, r"^io_grace must be a finite number >= 0, got nan$"),
        (math.inf, ValueError, r"^io_grace must be a finite number >= 0, got inf$"),
        ("0", TypeError, r"^io_grace must be an int or float, got '0' \(str\)$"),
        (None, TypeError, r"^io_grace must be an int or float, got None \(NoneType\)$"),
        (False, TypeError, r"^io_grace must be an int or float, got False \(bool\)$"),
    ],
)
def test_the_setter_validates_like_the_constructor(
    value: Any, error: type[Exception], match: str
) -> None:
    loop = ClockedEventLoop()
    try:
        with pytest.raises(error, match=match):
            loop.io_grace = value
        with pytest.raises(error, match=match):
            ClockedEventLoop(io_grace=value)
        assert loop.io_grace == 0.02  # unchanged
    finally:
        loop.close()


@pytest.mark.parametrize("by_advance", [False, True], ids=["autojump", "advance"])
def test_each_jump_costs_the_grace_while_a_real_listener_is_registered(by_advance: bool) -> None:
    # Ten jumps (a 1 s worker over 10 s) with a listening socket nobody connects to.
    elapsed = run(
        _jumps_with_a_listener(10, by_advance=by_advance), autojump=not by_advance, io_grace=0.003
    )
    assert elapsed >= 10 * 0.003


@pytest.mark.parametrize("by_advance", [False, True], ids=["autojump", "advance"])
def test_io_grace_zero_makes_the_jumps_free(by_advance: bool) -> None:
    async def main() -> float:
        running_clock().io_grace = 0  # set from inside the running test
        return await _jumps_with_a_listener(50, by_advance=by_advance)

    # 50 jumps at the default grace would take a real second.
    assert run(main(), autojump=not by_advance) < 0.25


def test_a_server_and_its_client_in_the_same_loop_work_with_io_grace_zero() -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            writer.write(line)
        writer.close()

    async def main() -> list[float]:
        loop = running_clock()
        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        ticker = asyncio.ensure_future(_tick_forever())
        moved = []
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for i in range(20):
                before = loop.time()
                writer.write(b"%d\n" % i)
                assert await asyncio.wait_for(reader.readline(), 10) == b"%d\n" % i
                moved.append(loop.time() - before)
                await asyncio.sleep(0.5)  # the worker's timers make time jump in between
            writer.close()
            await writer.wait_closed()
        finally:
            ticker.cancel()
            server.close()
            await server.wait_closed()
        assert loop.time() == 10.0
        return moved

    start = time.perf_counter()
    assert run(main(), autojump=True, io_grace=0) == [0.0] * 20
    assert time.perf_counter() - start < 0.5
