"""An hour of timers in milliseconds: aiotestkit_clock's virtual-time loop at work.

Run it with ``python tests/clock/demo_clock.py`` (needs only aiotestkit-clock installed).

Part 1 (autojump): a poller retries a flaky service with exponential backoff and a timeout per
attempt, and sends a heartbeat every ten minutes, for one virtual hour.
Part 2 (advance): a test-style check of a cache entry that expires after 15 minutes.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from aiotestkit_clock import ClockedEventLoop, advance

T = TypeVar("T")
HOUR = 3600.0


def run(main: Coroutine[Any, Any, T], factory: Callable[[], ClockedEventLoop]) -> T:
    """Run ``main`` on a loop from ``factory``: asyncio.Runner on 3.11+, by hand on 3.10."""
    if sys.version_info >= (3, 11):
        with asyncio.Runner(loop_factory=factory) as runner:
            return runner.run(main)
    else:
        loop = factory()
        try:
            return loop.run_until_complete(main)
        finally:
            loop.close()


def stamp(loop: asyncio.AbstractEventLoop) -> str:
    """Format the loop's virtual time as minutes and seconds."""
    minutes, seconds = divmod(loop.time(), 60)
    return f"[{int(minutes):02d}:{seconds:06.3f}]"


class FlakyService:
    """Fails until ``ready_at`` (virtual seconds); every call takes 2 s, or hangs when down."""

    def __init__(self, ready_at: float) -> None:
        self.ready_at = ready_at
        self.calls = 0

    async def fetch(self) -> str:
        self.calls += 1
        loop = asyncio.get_running_loop()
        if loop.time() < self.ready_at:
            if self.calls % 3 == 0:
                await asyncio.sleep(60)  # hangs: the per-attempt timeout cuts it short
            await asyncio.sleep(2)
            raise ConnectionError("service unavailable")
        await asyncio.sleep(2)
        return "42 widgets"


async def heartbeat(every: float) -> None:
    """Print a line every ``every`` virtual seconds."""
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(every)
        print(f"{stamp(loop)} heartbeat")


async def poll(service: FlakyService) -> str:
    """Retry ``service.fetch`` with exponential backoff (1 s doubling, capped at 5 minutes)."""
    loop = asyncio.get_running_loop()
    delay = 1.0
    attempt = 0
    while True:
        attempt += 1
        try:
            result = await asyncio.wait_for(service.fetch(), timeout=10)
        except (ConnectionError, asyncio.TimeoutError) as error:
            reason = "timed out after 10 s" if isinstance(error, asyncio.TimeoutError) else error
            print(f"{stamp(loop)} attempt {attempt}: {reason}; retrying in {delay:g} s")
            await asyncio.sleep(delay)
            delay = min(delay * 2, 300.0)
        else:
            print(f"{stamp(loop)} attempt {attempt}: got {result!r}")
            return result


async def an_hour_of_polling() -> float:
    """Part 1: poll for up to an hour of virtual time; return the virtual time at the end."""
    loop = asyncio.get_running_loop()
    service = FlakyService(ready_at=50 * 60)
    beats = asyncio.ensure_future(heartbeat(10 * 60))
    try:
        await poll(service)
        await asyncio.sleep(HOUR - loop.time())  # and idle until the hour is over
    finally:
        beats.cancel()
    print(f"{stamp(loop)} done after {service.calls} calls")
    return loop.time()


async def cache_expiry() -> list[bool]:
    """Part 2: step virtual time by hand with advance(), as a test would."""
    loop = asyncio.get_running_loop()
    cache: dict[str, str] = {"token": "abc"}
    loop.call_later(15 * 60, cache.pop, "token")
    seen = []
    for step in (60.0, 13 * 60.0, 59.0, 1.0):
        await advance(step)
        seen.append("token" in cache)
        print(f"{stamp(loop)} after advance({step:g}): token cached = {seen[-1]}")
    return seen


def main() -> None:
    """Run both parts and report the real time they took."""
    start = time.perf_counter()
    print("Part 1: a poller with backoff, on ClockedEventLoop(autojump=True)")
    end = run(an_hour_of_polling(), lambda: ClockedEventLoop(autojump=True))
    part1 = (time.perf_counter() - start) * 1000
    print(f"-> {end:g} virtual seconds took {part1:.1f} ms of real time\n")

    start = time.perf_counter()
    print("Part 2: a cache that expires after 15 minutes, driven by advance()")
    run(cache_expiry(), ClockedEventLoop)
    part2 = (time.perf_counter() - start) * 1000
    print(f"-> 15 virtual minutes took {part2:.1f} ms of real time")


if __name__ == "__main__":
    main()
