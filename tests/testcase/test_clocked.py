"""ClockedTestCase: the seed's two examples verbatim, advance() from sync code, autojump."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from fractions import Fraction
from typing import Any, cast

import aiotestkit_loopguard as loopguard
import aiotestkit_testcase as atk
from aiotestkit_clock import ClockedEventLoop

from . import asynctest_names as asynctest
from .util import messages, run, run_class, summary


# The tutorial's helper (asynctest doc/examples/tutorial/clock.py), typed.
def is_time_around(expected_time: float, loop: Any = None, delta: float = 0.01) -> bool:
    """The tutorial's helper: is "now" (loop time, else wall time) within delta of expected?"""
    now = loop.time() if loop else time.time()
    return expected_time - delta <= now <= expected_time + delta


# The seed's two examples, as the tutorial spells them: only the import differs.
class TestAdvanceTime(asynctest.ClockedTestCase):
    async def test_advance_time(self) -> None:
        base_loop_time = self.loop.time()
        base_wall_time = time.time()

        await self.advance(10)

        self.assertEqual(base_loop_time + 10, self.loop.time())
        self.assertTrue(is_time_around(base_wall_time))


class TestWithClockAndCallbacks(asynctest.ClockedTestCase):
    results: list[bool] | None = None

    def runs_at(self, expected_time: float) -> None:
        assert self.results is not None
        self.results.append(is_time_around(expected_time, self.loop))

    @asynctest.fail_on(active_handles=True)
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


def test_the_seed_examples_pass_under_unittest() -> None:
    # pytest also collects and runs both classes above directly.
    result = run_class(TestAdvanceTime)
    assert summary(result) == {"run": 1}, messages(result)
    result = run_class(TestWithClockAndCallbacks)
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


def test_custom_loop_factory_must_make_a_clocked_loop(world: asyncio.AbstractEventLoop) -> None:
    class Good(atk.ClockedTestCase):
        loop_factory = ClockedEventLoop

        async def test_it(self) -> None:
            await self.advance(1)

    class Bad(atk.ClockedTestCase):
        loop_factory = asyncio.SelectorEventLoop

        def test_it(self) -> None:
            pass

    class DefaultLoop(atk.ClockedTestCase):
        use_default_loop = True

        def test_it(self) -> None:
            pass

    assert summary(run_class(Good)) == {"run": 1}
    result = run(Bad("test_it"), DefaultLoop("test_it"))
    assert summary(result) == {"run": 2, "errors": 2}
    assert "loop_factory must return an aiotestkit_clock.ClockedEventLoop" in messages(result)
    assert "use_default_loop needs the thread's current loop to be an" in messages(result)


def test_advance_in_async_setup_and_sync_teardown_with_fake_io() -> None:
    from aiotestkit_fakeio import SocketMock, set_read_ready

    class Case(atk.ClockedTestCase):
        async def asyncSetUp(self) -> None:
            await self.advance(5)

        async def test_fake_io_on_the_clocked_loop(self) -> None:
            assert self.loop.time() == 5
            sock = SocketMock()
            ready = asyncio.Event()
            self.loop.add_reader(sock, ready.set)
            self.addCleanup(self.loop.remove_reader, sock)
            set_read_ready(sock, self.loop)
            await ready.wait()  # no timer: fake readiness alone wakes the loop

        def tearDown(self) -> None:
            self.advance(1)
            assert self.loop.time() == 6

    result = run_class(Case)
    assert summary(result) == {"run": 1}, messages(result)


def test_waiting_for_a_clock_nobody_advances_is_one_deadlock_error() -> None:
    class Case(atk.ClockedTestCase):
        async def test_sleeps_without_advance(self) -> None:
            await asyncio.sleep(1)

        def test_next(self) -> None:
            self.advance(1)

    start = time.monotonic()
    result = run_class(Case)
    assert time.monotonic() - start < 1
    assert summary(result) == {"run": 2, "errors": 1}, messages(result)
    assert "DeadlockError" in messages(result)
    assert "test_sleeps_without_advance" in str(result.errors[0][0])


def test_advance_without_await_fails_the_test_naming_the_line() -> None:
    class Case(atk.ClockedTestCase):
        async def asyncSetUp(self) -> None:
            if self._testMethodName == "test_in_setup":
                self.advance(1)  # forgotten await

        async def test_in_setup(self) -> None:
            pass

        async def test_passes_otherwise(self) -> None:
            self.advance(5)  # forgotten await

        async def test_assertion_after_it(self) -> None:
            task = asyncio.ensure_future(asyncio.sleep(5))
            self.advance(5)  # forgotten await: time does not move
            self.assertTrue(task.done())

        async def test_awaited_in_many_ways(self) -> None:
            await self.advance(1)
            await asyncio.gather(self.advance(1), asyncio.sleep(0))
            await asyncio.wait_for(self.advance(1), None)
            call = self.advance(1)
            await call
            with self.assertRaisesRegex(RuntimeError, r"already awaited"):
                await call
            self.assertEqual(self.loop.time(), 4)

    result = run_class(Case)
    assert summary(result) == {"run": 4, "failures": 3}, messages(result)
    failures = {test.id().rsplit(".", 1)[1]: text for test, text in result.failures}
    for name, seconds in [
        ("test_in_setup", 1),
        ("test_passes_otherwise", 5),
        ("test_assertion_after_it", 5),
    ]:
        text = failures[name]
        assert "advance() was called without `await`, so the clock did not move" in text
        assert f"write `await self.advance({seconds})`" in text
        assert f"self.advance({seconds}) at {__file__}:" in text
    # The assertion it caused is shown as the cause.
    assert "False is not true" in failures["test_assertion_after_it"]


def test_advance_is_a_coroutine_tasks_accept() -> None:
    # asynctest's advance() was a coroutine: create_task() and TaskGroup take it, a call kept
    # for a later phase is not "forgotten", and one whose task was cancelled first is fine.
    class Case(atk.ClockedTestCase):
        async def asyncSetUp(self) -> None:
            self.step = self.advance(1)

        async def test_create_task_and_later_phase(self) -> None:
            await self.step
            # Typed Awaitable (sync calls must type-check); at run time it is a coroutine.
            await self.loop.create_task(cast("Coroutine[Any, Any, None]", self.advance(2)))
            await asyncio.create_task(cast("Coroutine[Any, Any, None]", self.advance(3)))
            self.assertEqual(self.loop.time(), 6)

        async def test_cancelled_before_it_ran(self) -> None:
            await self.step
            future = asyncio.ensure_future(self.advance(5))
            future.cancel()
            with self.assertRaises(asyncio.CancelledError):
                await future
            self.assertEqual(self.loop.time(), 1)

    result = run_class(Case)
    assert result.wasSuccessful(), messages(result)
    assert result.testsRun == 2


def test_class_attributes_are_validated_when_the_test_starts() -> None:
    cases: list[tuple[str, object, str]] = [
        ("autojump", "yes", "Case.autojump must be True or False, got 'yes'"),
        ("use_default_loop", 1, "Case.use_default_loop must be True or False, got 1"),
        ("forbid_get_event_loop", None, "Case.forbid_get_event_loop must be True or False"),
        ("loop_debug", "on", "Case.loop_debug must be True, False or None, got 'on'"),
        ("watchdog", "5", "Case.watchdog must be a number of seconds or None (no watchdog)"),
        ("watchdog", True, "Case.watchdog must be a number of seconds or None"),
        ("watchdog", 0, "Case.watchdog must be a finite number of seconds > 0 or None"),
        ("watchdog", float("inf"), "Case.watchdog must be a finite number of seconds > 0"),
        ("io_grace", -1, "Case.io_grace must be a finite number of seconds >= 0 or None"),
        ("io_grace", "0", "Case.io_grace must be an int or float number of seconds or None (the"),
        ("hold_warning", "5", "Case.hold_warning must be an int or float number of seconds or"),
        # The clock takes only an int or a float: the error names the class attribute.
        ("hold_warning", Fraction(1, 2), "Case.hold_warning must be an int or float number of"),
        ("io_grace", Fraction(1, 2), "Case.io_grace must be an int or float number of seconds"),
        ("hold_warning", -1, "Case.hold_warning must be a finite number of seconds >= 0 or None"),
        ("hold_for_subprocesses", 0, "Case.hold_for_subprocesses must be True or False, got 0"),
    ]
    for name, value, message in cases:

        class Case(atk.ClockedTestCase):
            ran = False

            async def test_it(self) -> None:
                type(self).ran = True

        setattr(Case, name, value)
        result = run_class(Case)
        # An error of the test (before setUp), not a crash of the run.
        assert summary(result) == {"run": 1, "errors": 1}, (name, value)
        assert message in messages(result), messages(result)
        assert not Case.ran
    for name, value in [("watchdog", 1), ("loop_debug", False), ("io_grace", 0)]:

        class Good(atk.ClockedTestCase):
            async def test_it(self) -> None:
                await self.advance(1)

        setattr(Good, name, value)
        assert summary(run_class(Good)) == {"run": 1}, (name, value)


async def _idle_server_and_jumps(jumps: int) -> float:
    """Open an idle real listening socket, then let autojump make *jumps* jumps; real seconds."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()  # pragma: no cover - nobody connects

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        start = time.monotonic()
        for _ in range(jumps):
            await asyncio.sleep(1)
        return time.monotonic() - start
    finally:
        server.close()
        await server.wait_closed()


def test_io_grace_class_attribute() -> None:
    spent: dict[str, float] = {}

    class NoGrace(atk.ClockedTestCase):
        autojump = True
        io_grace = 0

        async def test_it(self) -> None:
            spent["none"] = await _idle_server_and_jumps(25)  # 0.5 s at the default grace

    class LongGrace(atk.ClockedTestCase):
        autojump = True
        io_grace = 0.05

        async def test_it(self) -> None:
            spent["long"] = await _idle_server_and_jumps(1)

    result = run(NoGrace("test_it"), LongGrace("test_it"))
    assert summary(result) == {"run": 2}, messages(result)
    assert spent["none"] < 0.25
    assert spent["long"] >= 0.05


def test_hold_options_reach_the_loop() -> None:
    seen: list[tuple[float | None, bool]] = []

    class Default(atk.ClockedTestCase):
        async def test_it(self) -> None:
            seen.append((self.loop.hold_warning, self.loop.hold_for_subprocesses))

    class Custom(Default):
        hold_warning = None
        hold_for_subprocesses = False

    class Small(Default):
        hold_warning = 0.5

    result = run(Default("test_it"), Custom("test_it"), Small("test_it"))
    assert summary(result) == {"run": 3}, messages(result)
    assert seen == [(5.0, True), (None, False), (0.5, True)]
