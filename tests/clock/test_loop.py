"""ClockedEventLoop basics: virtual time, exact due times, FIFO ties, loop factories."""

from __future__ import annotations

import asyncio
import gc
import logging
import math
import sys
import time
import unittest
import warnings
from typing import Any

import pytest

from aiotestkit_clock import ClockedEventLoop

from ._support import run, running_clock


def test_is_a_selector_event_loop_starting_at_zero() -> None:
    loop = ClockedEventLoop()
    try:
        assert isinstance(loop, asyncio.SelectorEventLoop)
        assert loop.time() == 0.0
        assert loop.autojump is False
        assert loop.next_deadline() is None
        assert loop.pending_timers() == 0
    finally:
        loop.close()


@pytest.mark.parametrize("start", [0.0, -5.0, 12.5, 1.7e9, 10**6])
def test_start_is_any_finite_number(start: float) -> None:
    loop = ClockedEventLoop(start=start)
    try:
        assert loop.time() == float(start)
        assert isinstance(loop.time(), float)
    finally:
        loop.close()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"start": "0"}, TypeError, r"^start must be an int or float \(a virtual time\), got '0'"),
        ({"start": True}, TypeError, r"^start must be an int or float .*, got True \(bool\)$"),
        ({"start": math.nan}, ValueError, r"^start must be a finite number .*, got nan$"),
        ({"start": -math.inf}, ValueError, r"^start must be a finite number .*, got -inf$"),
        ({"start": 10**400}, ValueError, r"^start must be a finite number .*, got 1000+\.\.\.0+$"),
        ({"autojump": 1}, TypeError, "autojump must be True or False"),
        ({"io_grace": -1}, ValueError, r"^io_grace must be a finite number >= 0, got -1$"),
        ({"io_grace": math.nan}, ValueError, r"^io_grace must be a finite number >= 0, got nan$"),
        ({"io_grace": "x"}, TypeError, r"^io_grace must be an int or float, got 'x' \(str\)$"),
        (
            {"selector": 1.7e9},
            TypeError,
            r"^selector must be a selectors\.BaseSelector or None, got 1700000000\.0 \(float\); "
            r"did you mean start=1700000000\.0\?$",
        ),
        ({"selector": 5}, TypeError, r"got 5 \(int\); did you mean start=5\?$"),
        (
            {"selector": "epoll"},
            TypeError,
            r"^selector must be a selectors\.BaseSelector or None, got 'epoll' \(str\)$",
        ),
        ({"selector": True}, TypeError, r"got True \(bool\)$"),
    ],
)
def test_bad_constructor_arguments_leave_no_half_built_loop(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    # Checked before the base class opens its self-pipe: no "unclosed event loop" or
    # "unclosed socket" warnings from __del__ afterwards, not even as unraisable exceptions.
    unraisable: list[Any] = []
    previous_hook = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(error, match=match):
                ClockedEventLoop(**kwargs)
            gc.collect()
    finally:
        sys.unraisablehook = previous_hook
    assert unraisable == []


def test_a_start_time_passed_positionally_is_refused_with_a_hint() -> None:
    with pytest.raises(TypeError, match=r"did you mean start=1700000000\.0\?"):
        ClockedEventLoop(1.7e9)  # type: ignore[arg-type]


def test_autojump_setter_checks_type() -> None:
    loop = ClockedEventLoop()
    try:
        loop.autojump = True
        assert loop.autojump is True
        with pytest.raises(TypeError, match="got 'yes'"):
            loop.autojump = "yes"  # type: ignore[assignment]
    finally:
        loop.close()


def test_callbacks_run_at_their_exact_due_time_at_epoch_magnitude() -> None:
    async def main() -> list[tuple[str, float]]:
        loop = running_clock()
        seen: list[tuple[str, float]] = []
        base = loop.time()

        def record(name: str) -> None:
            seen.append((name, loop.time()))

        for delay in (1e-6, 0.0000004, 1.0000004, 0.1, 3.0):
            loop.call_later(delay, record, repr(delay))
        loop.call_at(base + 2.5, record, "at")
        await loop.advance(5)
        assert loop.time() == base + 5
        return seen

    seen = run(main(), start=1.7e9)
    assert [name for name, _ in seen] == [
        "4e-07",
        "1e-06",
        "0.1",
        "1.0000004",
        "at",
        "3.0",
    ]
    expected = {
        "4e-07": 1.7e9 + 0.0000004,
        "1e-06": 1.7e9 + 1e-6,
        "0.1": 1.7e9 + 0.1,
        "1.0000004": 1.7e9 + 1.0000004,
        "at": 1.7e9 + 2.5,
        "3.0": 1.7e9 + 3.0,
    }
    for name, when in seen:
        assert when == expected[name]


def test_equal_deadlines_run_in_scheduling_order() -> None:
    async def main() -> list[int]:
        loop = running_clock()
        order: list[int] = []
        for i in range(200):
            loop.call_at(7.0, order.append, i)
        loop.call_later(7.0, order.append, 200)
        await loop.advance(7)
        return order

    assert run(main()) == list(range(201))


def test_cancelled_timers_never_run_and_are_not_counted() -> None:
    async def main() -> None:
        loop = running_clock()
        ran: list[int] = []
        handles = [loop.call_later(i + 1, ran.append, i) for i in range(300)]
        assert loop.pending_timers() == 300
        assert loop.next_deadline() == 1.0
        for handle in handles[:250]:
            handle.cancel()
        assert loop.pending_timers() == 50
        assert loop.next_deadline() == 251.0
        await loop.advance(1000)
        assert ran == list(range(250, 300))
        assert loop.pending_timers() == 0
        assert loop.next_deadline() is None

    run(main())


def test_wall_clock_is_untouched() -> None:
    async def main() -> None:
        loop = running_clock()
        wall, mono = time.time(), time.monotonic()
        await loop.advance(3600)
        assert loop.time() == 3600.0
        assert time.time() - wall < 1.0
        assert time.monotonic() - mono < 1.0

    run(main())


@pytest.mark.parametrize("autojump", [False, True])
def test_debug_mode_reports_no_bogus_slow_callbacks(
    autojump: bool, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        loop = running_clock()
        assert loop.get_debug()
        waiter = asyncio.ensure_future(asyncio.sleep(10))
        if autojump:
            await asyncio.sleep(3600)
        else:
            await loop.advance(3600)
        await waiter

    loop = ClockedEventLoop(autojump=autojump)
    loop.set_debug(True)
    with caplog.at_level(logging.WARNING, logger="asyncio"):
        try:
            loop.run_until_complete(main())
        finally:
            loop.close()
    assert "took" not in caplog.text


def test_debug_mode_still_reports_really_slow_callbacks(caplog: pytest.LogCaptureFixture) -> None:
    loop = ClockedEventLoop()
    loop.set_debug(True)
    loop.slow_callback_duration = 0.001
    loop.call_soon(time.sleep, 0.005)
    loop.call_soon(loop.stop)
    with caplog.at_level(logging.WARNING, logger="asyncio"):
        try:
            loop.run_forever()
        finally:
            loop.close()
    assert "Executing <Handle sleep" in caplog.text


def test_works_with_timeout_wait_for_and_task_groups() -> None:
    async def main() -> list[float]:
        loop = running_clock()
        times = []
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.sleep(10), 5)
        times.append(loop.time())
        if sys.version_info >= (3, 11):
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(7):
                    await asyncio.sleep(3600)
            times.append(loop.time())
            async with asyncio.TaskGroup() as group:
                group.create_task(asyncio.sleep(1))
                group.create_task(asyncio.sleep(2))
            times.append(loop.time())
        return times

    expected = [5.0, 12.0, 14.0] if sys.version_info >= (3, 11) else [5.0]
    assert run(main(), autojump=True) == expected


def test_debug_mode_handles_point_at_the_callers_line() -> None:
    # The "created at" frame of a handle (used in exception and slow-callback logs) must be the
    # user's call, as on the stock loop, not a frame inside the clock.
    loop = ClockedEventLoop()
    loop.set_debug(True)
    try:
        handles: list[Any] = [
            loop.call_soon(print),
            loop.call_later(1, print),
            loop.call_at(5, print),
        ]
        for handle in handles:
            frame = handle._source_traceback[-1]
            assert (frame.filename, frame.name) == (
                __file__,
                "test_debug_mode_handles_point_at_the_callers_line",
            )
            assert f"created at {__file__}:" in repr(handle)
    finally:
        loop.close()


@pytest.mark.skipif(sys.version_info < (3, 12), reason="eager tasks are 3.12+")
def test_eager_task_factory() -> None:
    async def main() -> float:
        loop = running_clock()
        loop.set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined,unused-ignore]

        async def job() -> float:
            await asyncio.sleep(3)
            return loop.time()

        task = loop.create_task(job())
        await asyncio.sleep(1)
        return await task

    assert run(main(), autojump=True) == 3.0


def test_runner_loop_factory() -> None:
    async def main() -> float:
        await asyncio.sleep(60)
        return asyncio.get_running_loop().time()

    if sys.version_info >= (3, 11):
        with asyncio.Runner(loop_factory=lambda: ClockedEventLoop(autojump=True)) as runner:
            assert runner.run(main()) == 60.0
            assert isinstance(runner.get_loop(), ClockedEventLoop)
    else:
        pytest.skip("asyncio.Runner is 3.11+")


@pytest.mark.skipif(sys.version_info < (3, 12), reason="asyncio.run(loop_factory=) is 3.12+")
def test_asyncio_run_loop_factory() -> None:
    async def main() -> float:
        await asyncio.sleep(2.5)
        return asyncio.get_running_loop().time()

    factory = ClockedEventLoop
    assert asyncio.run(main(), loop_factory=lambda: factory(autojump=True)) == 2.5  # type: ignore[call-arg,unused-ignore]


@pytest.mark.skipif(sys.version_info < (3, 13), reason="loop_factory is 3.13+")
def test_isolated_asyncio_test_case_loop_factory() -> None:
    results: list[float] = []

    class Case(unittest.IsolatedAsyncioTestCase):
        loop_factory = ClockedEventLoop

        async def test_advance(self) -> None:
            loop = running_clock()
            await loop.advance(30)
            results.append(loop.time())

    result = unittest.TestResult()
    Case("test_advance").run(result)
    assert result.wasSuccessful(), result.errors + result.failures
    assert results == [30.0]


def test_a_nan_deadline_fires_at_once_like_on_the_stock_loop() -> None:
    async def main() -> list[float]:
        loop = running_clock()
        fired: list[float] = []
        loop.call_later(math.nan, lambda: fired.append(loop.time()))
        loop.call_later(1, lambda: fired.append(loop.time()))
        await loop.advance(2)
        return fired

    assert run(main()) == [0.0, 1.0]


@pytest.mark.skipif(sys.version_info < (3, 12), reason="Task(eager_start=...) is 3.12+")
def test_eager_start_per_task() -> None:
    # 3.14 also accepts loop.create_task(coro, eager_start=True); Task(...) works on 3.12+.
    async def main() -> tuple[list[str], float]:
        loop = running_clock()
        steps: list[str] = []

        async def job() -> float:
            steps.append("started")
            await asyncio.sleep(3)
            return loop.time()

        task = asyncio.Task(job(), loop=loop, eager_start=True)  # type: ignore[call-arg,unused-ignore]
        steps.append("created")
        return steps, await task

    assert run(main(), autojump=True) == (["started", "created"], 3.0)
