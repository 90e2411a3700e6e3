"""ClockedTestCase: the seed's two examples verbatim, advance() from sync code, autojump."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiotestkit_loopguard as loopguard
import aiotestkit_testcase as atk
from aiotestkit_clock import ClockedEventLoop

from .util import messages, run_class, summary


def is_time_around(expected_time: float, loop: Any = None, delta: float = 0.01) -> bool:
    """The tutorial's helper: is "now" (loop time, else wall time) within delta of expected?"""
    now = loop.time() if loop else time.time()
    return expected_time - delta <= now <= expected_time + delta


def test_the_seed_examples_pass_verbatim() -> None:
    class TestAdvanceTime(atk.ClockedTestCase):
        async def test_advance_time(self) -> None:
            base_loop_time = self.loop.time()
            base_wall_time = time.time()

            await self.advance(10)

            self.assertEqual(base_loop_time + 10, self.loop.time())
            self.assertTrue(is_time_around(base_wall_time))

    class TestWithClockAndCallbacks(atk.ClockedTestCase):
        results: list[bool] | None = None

        def runs_at(self, expected_time: float) -> None:
            assert self.results is not None
            self.results.append(is_time_around(expected_time, self.loop))

        @loopguard.fail_on(active_handles=True)
        async def test_callbacks_executed_when_expected(self) -> None:
            self.results = []

            base_time = self.loop.time()
            self.loop.call_later(1, self.runs_at, base_time + 1)
            self.loop.call_at(base_time + 7, self.runs_at, base_time + 7)

            # This shows that the callback didn't run yet
            self.assertEqual(0, len(self.results))

            await self.advance(10)

            # This shows that the callbacks ran...
            self.assertEqual(2, len(self.results))
            # ...when expected
            self.assertTrue(all(self.results))

    for case in (TestAdvanceTime, TestWithClockAndCallbacks):
        result = run_class(case)
        assert summary(result) == {"run": 1}, messages(result)


def test_active_handles_check_catches_a_timer_left_pending() -> None:
    class Case(atk.ClockedTestCase):
        @loopguard.fail_on(active_handles=True)
        async def test_it(self) -> None:
            self.loop.call_later(20, print)
            await self.advance(10)

    result = run_class(Case)
    assert summary(result) == {"run": 1, "failures": 1}
    assert "TimerHandle" in messages(result)


def test_advance_from_sync_setup_and_sync_test() -> None:
    log: list[float] = []

    class Case(atk.ClockedTestCase):
        def setUp(self) -> None:
            self.loop.call_later(2, lambda: log.append(self.loop.time()))
            self.advance(5)

        def test_it(self) -> None:
            self.loop.call_later(1, lambda: log.append(self.loop.time()))
            self.advance(3)
            assert self.loop.time() == 8

    result = run_class(Case)
    assert summary(result) == {"run": 1}, messages(result)
    assert log == [2, 6]


def test_sleeping_tasks_wake_in_virtual_time() -> None:
    class Case(atk.ClockedTestCase):
        async def test_it(self) -> None:
            task = asyncio.ensure_future(asyncio.sleep(3600, "done"))
            await self.advance(3599)
            assert not task.done()
            await self.advance(1)
            assert await task == "done"

        async def test_negative(self) -> None:
            with self.assertRaises(ValueError):
                await self.advance(-1)

    result = run_class(Case)
    assert summary(result) == {"run": 2}, messages(result)


def test_autojump_class_attribute() -> None:
    class Case(atk.ClockedTestCase):
        autojump = True

        async def test_it(self) -> None:
            start = time.monotonic()
            await asyncio.sleep(3600)
            assert self.loop.time() == 3600
            assert time.monotonic() - start < 1

    result = run_class(Case)
    assert summary(result) == {"run": 1}, messages(result)


def test_custom_loop_factory_must_make_a_clocked_loop() -> None:
    class Good(atk.ClockedTestCase):
        loop_factory = ClockedEventLoop

        async def test_it(self) -> None:
            await self.advance(1)

    class Bad(atk.ClockedTestCase):
        loop_factory = asyncio.SelectorEventLoop

        def test_it(self) -> None:
            pass

    assert summary(run_class(Good)) == {"run": 1}
    result = run_class(Bad)
    assert summary(result) == {"run": 1, "errors": 1}
    assert "must return an aiotestkit_clock.ClockedEventLoop" in messages(result)
