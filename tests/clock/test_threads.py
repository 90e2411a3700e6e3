"""Threads in autojump mode: which ones hold virtual time, and what ``io_grace`` buys for others.

The loop knows the threads it runs itself (``run_in_executor``, ``asyncio.to_thread``) and never
jumps past them. A ``threading.Thread`` started by hand is invisible to it: these tests pin down
the guidance the README gives for those.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from aiotestkit_clock import ClockedEventLoop, DeadlockError

from ._support import run, running_clock


def _deliver_later(loop: asyncio.AbstractEventLoop, fut: asyncio.Future[str]) -> None:
    """Thread body: some real work, then hand the result to the loop thread-safely."""
    time.sleep(0.02)
    loop.call_soon_threadsafe(fut.set_result, "done")


def test_to_thread_calling_back_into_the_loop_is_never_overtaken() -> None:
    # The job calls loop.call_soon_threadsafe itself before it returns: virtual time stands
    # still from the start of the job until that callback has run.
    async def main() -> tuple[str, float]:
        loop = running_clock()
        fut: asyncio.Future[str] = loop.create_future()
        job = asyncio.ensure_future(asyncio.to_thread(_deliver_later, loop, fut))
        result = await asyncio.wait_for(fut, 10)
        await job
        return result, loop.time()

    assert run(main(), autojump=True) == ("done", 0.0)


def test_a_manual_thread_is_held_by_awaiting_its_join_in_a_thread() -> None:
    # The README's remedy for a thread started by other code: while to_thread(thread.join)
    # runs, the loop knows real work is in flight and time cannot jump to the 10 s timeout.
    async def main() -> tuple[str, float]:
        loop = running_clock()
        fut: asyncio.Future[str] = loop.create_future()
        thread = threading.Thread(target=_deliver_later, args=(loop, fut))
        thread.start()
        joined = asyncio.ensure_future(asyncio.to_thread(thread.join))
        result = await asyncio.wait_for(fut, 10)
        await joined
        return result, loop.time()

    assert run(main(), autojump=True) == ("done", 0.0)


def test_a_manual_thread_is_overtaken_by_a_pending_timer() -> None:
    # The documented limitation: with a timer pending, autojump jumps to it at once, without
    # waiting io_grace, because nothing tells the loop that the thread will call back.
    async def main() -> float:
        loop = running_clock()
        fut: asyncio.Future[str] = loop.create_future()
        thread = threading.Thread(target=_deliver_later, args=(loop, fut))
        thread.start()
        try:
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(fut), 10)
            return loop.time()
        finally:
            await asyncio.to_thread(thread.join)
            await fut

    assert run(main(), autojump=True, io_grace=0.5) == 10.0


@pytest.mark.parametrize(("io_grace", "in_time"), [(0.5, True), (0.0, False)])
def test_io_grace_is_how_long_an_idle_loop_waits_for_a_manual_thread(
    io_grace: float, in_time: bool
) -> None:
    # With nothing else pending, the loop waits io_grace real seconds for a wake-up before it
    # raises DeadlockError. Long enough, and the thread's result arrives; too short, and the
    # error comes first (the loop stays usable: the late result is still delivered).
    loop = ClockedEventLoop(autojump=True, io_grace=io_grace)
    fut: asyncio.Future[str] = loop.create_future()
    thread = threading.Thread(target=_deliver_later, args=(loop, fut))
    task = loop.create_task(_wait_for(fut))
    thread.start()
    try:
        if not in_time:
            with pytest.raises(DeadlockError, match="nothing can wake it"):
                loop.run_until_complete(task)
            thread.join()
        assert loop.run_until_complete(task) == "done"
    finally:
        thread.join()
        loop.close()


async def _wait_for(fut: asyncio.Future[str]) -> str:
    return await fut
