"""The phase runner: one context across phases, awaitables, the real-time watchdog."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Iterator

import pytest

from aiotestkit_testcase._phases import DONE, PhaseRunner, describe_tasks

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def make_runner(loop: asyncio.AbstractEventLoop, watchdog: float | None = None) -> PhaseRunner:
    return PhaseRunner(loop, contextvars.copy_context(), watchdog, AssertionError)


def test_context_flows_between_sync_and_async_phases(loop: asyncio.AbstractEventLoop) -> None:
    runner = make_runner(loop)
    seen = []

    def sync_set() -> None:
        VAR.set("sync")

    async def async_read_then_set() -> None:
        seen.append(VAR.get())
        VAR.set("async")

    runner.call(sync_set)
    runner.call(async_read_then_set)
    runner.call(lambda: seen.append(VAR.get()))
    assert seen == ["sync", "async"]
    assert VAR.get() == "unset"  # the caller's own context is untouched


def test_functions_returning_awaitables_are_awaited(loop: asyncio.AbstractEventLoop) -> None:
    runner = make_runner(loop)

    async def double(x: int) -> int:
        await asyncio.sleep(0)
        return 2 * x

    assert runner.call(functools.partial(double, 4)) == 8
    future = loop.create_future()
    loop.call_soon(future.set_result, "done")
    assert runner.run(future) == "done"
    assert runner.call(lambda: 3) == 3


def test_done_is_an_awaitable_that_completes_at_once(loop: asyncio.AbstractEventLoop) -> None:
    async def await_done() -> str:
        await DONE
        return "ok"

    assert make_runner(loop).call(await_done) == "ok"


def test_watchdog_cancels_a_hanging_phase_and_lists_the_tasks(
    loop: asyncio.AbstractEventLoop,
) -> None:
    runner = make_runner(loop, watchdog=0.02)

    async def helper() -> None:
        await asyncio.Event().wait()

    async def hang() -> None:
        task = asyncio.get_running_loop().create_task(helper())
        try:
            await asyncio.sleep(3600)
        finally:
            task.cancel()

    with pytest.raises(AssertionError, match=r"watchdog of 0\.02 s") as info:
        runner.call(hang)
    message = str(info.value)
    assert "in hang" in message
    assert "in helper" in message
    assert isinstance(info.value.__cause__, asyncio.CancelledError)
    # The runner keeps working for the following phases.
    assert runner.call(lambda: "next") == "next"


def test_watchdog_stops_the_loop_if_the_task_ignores_cancellation(
    loop: asyncio.AbstractEventLoop,
) -> None:
    runner = make_runner(loop, watchdog=0.02)

    async def stubborn() -> None:
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                continue

    with pytest.raises(AssertionError, match="watchdog"):
        runner.call(stubborn)
    (task,) = asyncio.all_tasks(loop)  # stopped, not finished: closing the test's loop is next
    assert "in stubborn" in describe_tasks(loop)
    task.get_coro().close()  # type: ignore[union-attr,unused-ignore]


def test_watchdog_does_not_touch_phases_that_finish_in_time(
    loop: asyncio.AbstractEventLoop,
) -> None:
    runner = make_runner(loop, watchdog=5)

    async def quick() -> str:
        await asyncio.sleep(0)
        return "fine"

    assert runner.call(quick) == "fine"


def test_watchdog_must_be_positive(loop: asyncio.AbstractEventLoop) -> None:
    with pytest.raises(ValueError, match="watchdog must be a number of seconds > 0"):
        make_runner(loop, watchdog=0)


def test_describe_tasks_without_tasks(loop: asyncio.AbstractEventLoop) -> None:
    assert describe_tasks(loop) == "(none)"
