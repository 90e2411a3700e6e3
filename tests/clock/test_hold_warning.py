"""``hold_warning``: a job that holds virtual time for long is named once on the asyncio logger.

Virtual time stands still while an executor job started from the loop is in flight. A job that
waits for the loop to reach a timer therefore never ends; instead of hanging silently, the loop
logs one warning per such job after ``hold_warning`` real seconds. Time is still held: a slow
job is never overtaken by a timeout.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from aiotestkit_clock import ClockedEventLoop

from ._support import run, running_clock

HELD = "ClockedEventLoop: virtual time has been held"


class _Recorder(logging.Handler):
    """Collects the hold warnings and runs a callback on each, in the loop thread."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.seen = threading.Event()
        self.on_warning: list[concurrent.futures.Future[str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.name == "asyncio" and message.startswith(HELD):
            self.messages.append(message)
            self.seen.set()
            for future in self.on_warning:
                future.cancel()


@contextmanager
def hold_warnings() -> Iterator[_Recorder]:
    recorder = _Recorder()
    logger = logging.getLogger("asyncio")
    logger.addHandler(recorder)
    try:
        yield recorder
    finally:
        logger.removeHandler(recorder)


async def _tick() -> str:
    await asyncio.sleep(1)
    return "tick"


def test_a_job_waiting_for_a_virtual_timer_is_named_instead_of_hanging_silently() -> None:
    # The reviewer's hang: the job hands tick() to the loop and waits for it, tick() waits for
    # virtual time, and virtual time waits for the job. The warning names the job and where it
    # was submitted; here the test then cancels tick() so that the job ends.
    with hold_warnings() as recorder:

        def sync_job(loop: asyncio.AbstractEventLoop) -> str:
            future = asyncio.run_coroutine_threadsafe(_tick(), loop)
            recorder.on_warning.append(future)
            if recorder.seen.is_set():  # the warning came before the line above
                future.cancel()
            try:
                return future.result()
            except concurrent.futures.CancelledError:
                return "cancelled"

        async def main() -> tuple[str, float]:
            loop = running_clock()
            result = await loop.run_in_executor(None, sync_job, loop)
            return result, loop.time()

        assert run(main(), autojump=True, hold_warning=0.001) == ("cancelled", 0.0)
    [message] = recorder.messages
    assert "t=0.0" in message
    assert "(it would move to t=1.0)" in message
    assert ".<locals>.sync_job(), submitted in main() at " in message
    assert f"{__file__}:" in message
    assert "the loop received 1 callback(s) from other threads" in message
    assert "asyncio.wrap_future(executor.submit(...))" in message
    assert "loop.hold_warning" in message


def test_a_slow_job_is_still_not_overtaken_and_is_named_once() -> None:
    # The warning changes nothing about the guarantee: the 10 s timeout does not fire. The job
    # keeps running after the warning and wakes the loop several times: still one warning.
    with hold_warnings() as recorder:

        def slow(loop: asyncio.AbstractEventLoop) -> str:
            assert recorder.seen.wait(5)
            for _ in range(3):
                loop.call_soon_threadsafe(lambda: None)
                time.sleep(0.002)
            return "done"

        async def main() -> tuple[str, float, bool]:
            loop = running_clock()
            timer = asyncio.ensure_future(asyncio.sleep(10))
            result = await asyncio.to_thread(slow, loop)
            timer.cancel()
            return result, loop.time(), timer.done()

        assert run(main(), autojump=True, hold_warning=0.001) == ("done", 0.0, False)
    [message] = recorder.messages
    assert "the executor job test_a_slow_job_is_still_not_overtaken_and_is_named_once." in message
    assert "slow(), submitted in main() at " in message
    assert "(it would move to t=10.0)" in message


def test_each_held_job_gets_its_own_warning() -> None:
    with hold_warnings() as recorder:

        def wait_for_both() -> None:
            while len(recorder.messages) < 2:
                assert recorder.seen.wait(5)
                time.sleep(0.001)

        async def main() -> float:
            loop = running_clock()
            jobs = [asyncio.to_thread(wait_for_both) for _ in range(2)]
            await asyncio.wait_for(asyncio.gather(*jobs), 10)
            return loop.time()

        assert run(main(), autojump=True, hold_warning=0.001) == 0.0
    assert len(recorder.messages) == 2


def test_a_job_started_in_a_task_of_its_own_is_named_with_that_task() -> None:
    # wait_for(to_thread(...)) runs to_thread in its own task on 3.10 and 3.11: then no frame
    # outside asyncio is on the stack, and the warning names the task (3.12+: the caller).
    with hold_warnings() as recorder:

        def slow() -> None:
            assert recorder.seen.wait(5)

        async def main() -> float:
            loop = running_clock()
            await asyncio.wait_for(asyncio.to_thread(slow), 10)
            return loop.time()

        assert run(main(), autojump=True, hold_warning=0.001) == 0.0
    [message] = recorder.messages
    assert re.search(
        r"slow\(\), submitted in (main\(\) at .*|task '.*' running to_thread\(\))", message
    )


def test_no_warning_when_time_could_not_move_anyway() -> None:
    # No timer is pending: the loop waits for the job as the stock loop would; nothing is held.
    with hold_warnings() as recorder:

        async def main() -> None:
            await asyncio.to_thread(time.sleep, 0.005)

        run(main(), autojump=True, hold_warning=0.001)
    assert recorder.messages == []


def test_hold_warning_none_turns_the_warning_off() -> None:
    with hold_warnings() as recorder:

        async def main() -> float:
            loop = running_clock()
            loop.hold_warning = None
            await asyncio.wait_for(asyncio.to_thread(time.sleep, 0.005), 10)
            return loop.time()

        assert run(main(), autojump=True, hold_warning=0.001) == 0.0
    assert recorder.messages == []


def test_the_readme_workaround_a_job_on_an_executor_of_your_own() -> None:
    # A job submitted to an executor directly and awaited through wrap_future is a thread the
    # loop does not know about: time jumps to tick()'s timer and the job gets its result.
    def sync_job(loop: asyncio.AbstractEventLoop) -> str:
        return asyncio.run_coroutine_threadsafe(_tick(), loop).result()

    async def main() -> tuple[str, float]:
        loop = running_clock()
        with concurrent.futures.ThreadPoolExecutor(1) as executor:
            result = await asyncio.wrap_future(executor.submit(sync_job, loop))
        return result, loop.time()

    # io_grace: a loaded machine may take a while to start the thread before it calls back.
    assert run(main(), autojump=True, io_grace=1.0) == ("tick", 1.0)


def test_hold_warning_is_validated() -> None:
    loop = ClockedEventLoop()
    try:
        assert loop.hold_warning == 5.0
        loop.hold_warning = 0
        assert loop.hold_warning == 0.0
        loop.hold_warning = None
        assert loop.hold_warning is None
        with pytest.raises(TypeError, match=r"hold_warning must be an int or float, or None"):
            loop.hold_warning = "5"  # type: ignore[assignment]
        with pytest.raises(ValueError, match=r"hold_warning must be a finite number >= 0"):
            loop.hold_warning = -1
        assert loop.hold_warning is None
    finally:
        loop.close()
    with pytest.raises(ValueError, match=r"got inf"):
        ClockedEventLoop(hold_warning=float("inf"))
    with pytest.raises(TypeError, match=r"got True \(bool\)"):
        ClockedEventLoop(hold_warning=True)
