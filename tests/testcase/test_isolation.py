"""fail_on checks and isolation: whatever a test does, the next one starts from a clean world."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import threading
import time
import unittest
import unittest.mock
import warnings

import pytest

import aiotestkit_loopguard as loopguard
import aiotestkit_testcase as atk

from . import conftest
from .util import messages, run, run_class, summary


class _NotAnError(BaseException):
    """A BaseException that is neither Exception nor KeyboardInterrupt."""


def _next_test_sees_a_clean_world(sentinel: asyncio.AbstractEventLoop) -> atk.TestCase:
    class Next(atk.TestCase):
        async def test_clean(self) -> None:
            assert self.loop is not sentinel
            assert asyncio.all_tasks() == {asyncio.current_task()}
            assert conftest.PATCHED_TARGET == "original"

    return Next("test_clean")


def test_fail_on_runs_after_teardown_and_before_cleanups(world: asyncio.AbstractEventLoop) -> None:
    log: list[str] = []

    class Case(atk.TestCase):
        @loopguard.fail_on(leftover_tasks=True)
        async def test_leaks(self) -> None:
            event = asyncio.Event()
            # Referenced: a task only waiting on an Event is a cycle gc may collect at any time.
            self.leak = asyncio.ensure_future(event.wait())
            self.addCleanup(lambda: log.append("cleanup ran"))

        async def asyncTearDown(self) -> None:
            log.append("tearDown ran")

    result = run(Case("test_leaks"), _next_test_sees_a_clean_world(world))
    assert summary(result) == {"run": 2, "failures": 1}
    assert "task still running" in messages(result)
    assert log == ["tearDown ran", "cleanup ran"]


def test_checks_are_skipped_for_a_failed_test(world: asyncio.AbstractEventLoop) -> None:
    @loopguard.strict
    class Case(atk.TestCase):
        async def test_fails_and_leaks(self) -> None:
            self.leak = asyncio.ensure_future(asyncio.sleep(10))
            self.fail("the real problem")

        async def test_fails_in_a_subtest_and_leaks(self) -> None:
            self.leak = asyncio.ensure_future(asyncio.sleep(10))
            with self.subTest(i=1):
                self.fail("the real problem in a subtest")

        @loopguard.lenient
        async def test_lenient(self) -> None:
            self.leak = asyncio.ensure_future(asyncio.sleep(10))

    result = run_class(Case)
    assert summary(result) == {"run": 3, "failures": 2}, messages(result)
    assert "the real problem" in messages(result)
    assert "the real problem in a subtest" in messages(result)
    assert "task still running" not in messages(result)


def test_leaked_task_is_cancelled_without_checks(world: asyncio.AbstractEventLoop) -> None:
    cancelled: list[bool] = []

    class Case(atk.TestCase):
        async def test_leaks(self) -> None:
            self.leak = asyncio.ensure_future(self.forever())

        async def forever(self) -> None:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                cancelled.append(True)
                raise

    result = run(Case("test_leaks"), _next_test_sees_a_clean_world(world))
    assert summary(result) == {"run": 2}, messages(result)
    assert cancelled == [True]


def test_hanging_test_fails_through_the_watchdog(world: asyncio.AbstractEventLoop) -> None:
    class Case(atk.TestCase):
        watchdog = 0.05

        @unittest.mock.patch(f"{conftest.__name__}.PATCHED_TARGET", "patched")
        async def test_hangs(self) -> None:
            warnings.simplefilter("ignore")
            self.leak = asyncio.ensure_future(asyncio.sleep(10))
            await self.stuck()

        async def stuck(self) -> None:
            await asyncio.Event().wait()

    start = time.monotonic()
    result = run(Case("test_hangs"), _next_test_sees_a_clean_world(world))
    assert time.monotonic() - start < 2
    assert summary(result) == {"run": 2, "failures": 1}, messages(result)
    text = messages(result)
    assert "watchdog of 0.05 s" in text
    assert "in stuck" in text


def test_the_watchdog_covers_a_sync_test_running_the_loop(
    world: asyncio.AbstractEventLoop,
) -> None:
    class Case(atk.TestCase):
        watchdog = 0.2  # ample for setUp and test_in_time on a loaded machine

        def test_runs_the_loop(self) -> None:
            self.loop.run_until_complete(self.stuck())

        def test_catches_the_stop(self) -> None:
            with contextlib.suppress(RuntimeError):
                self.loop.run_until_complete(self.stuck())

        def setUp(self) -> None:
            self.loop.run_until_complete(asyncio.sleep(0))  # in time: untouched

        def test_in_time(self) -> None:
            self.loop.run_until_complete(asyncio.sleep(0.001))

        async def stuck(self) -> None:
            await asyncio.Event().wait()

    start = time.monotonic()
    result = run(
        Case("test_runs_the_loop"),
        Case("test_catches_the_stop"),
        Case("test_in_time"),
        _next_test_sees_a_clean_world(world),
    )
    assert time.monotonic() - start < 2
    assert summary(result) == {"run": 4, "failures": 2}, messages(result)
    text = messages(result)
    assert text.count("watchdog of 0.2 s (real time) and the loop it was running was stopped") == 2
    assert "in stuck" in text
    assert "Event loop stopped before Future completed" in text


def test_the_watchdog_covers_a_sync_test_that_runs_the_loop_late(
    world: asyncio.AbstractEventLoop,
) -> None:
    class Case(atk.TestCase):
        watchdog = 0.05

        def test_starts_late(self) -> None:
            time.sleep(0.12)  # plain work, past twice the watchdog: not counted
            self.loop.run_until_complete(asyncio.Event().wait())

    start = time.monotonic()
    result = run(Case("test_starts_late"), _next_test_sees_a_clean_world(world))
    assert time.monotonic() - start < 3
    assert summary(result) == {"run": 2, "failures": 1}, messages(result)
    assert "the loop it was running was stopped" in messages(result)


def test_a_watchdog_starts_no_thread_per_phase() -> None:
    threads: list[int] = []

    class Case(atk.TestCase):
        watchdog = 5.0

        def setUp(self) -> None:
            threads.append(threading.active_count())

        async def asyncSetUp(self) -> None:
            threads.append(threading.active_count())

        async def test_it(self) -> None:
            threads.append(threading.active_count())

        def tearDown(self) -> None:
            threads.append(threading.active_count())

    before = threading.active_count()
    assert summary(run(Case("test_it"))) == {"run": 1}
    assert max(threads) == before + 1, threads  # the test's one watcher
    assert threading.active_count() <= before + 1  # it ends with the test


def test_a_task_ignoring_cancellation_cannot_block_the_teardown(
    world: asyncio.AbstractEventLoop,
) -> None:
    class Case(atk.TestCase):
        watchdog = 0.05

        async def test_leaves_a_stubborn_task(self) -> None:
            self.leak = asyncio.ensure_future(self.stubborn())
            await asyncio.sleep(0)

        async def stubborn(self) -> None:
            while True:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.sleep(3600)

    start = time.monotonic()
    result = run(Case("test_leaves_a_stubborn_task"), _next_test_sees_a_clean_world(world))
    assert time.monotonic() - start < 2
    assert summary(result) == {"run": 2, "failures": 1}, messages(result)
    text = messages(result)
    assert "teardown ran longer than its watchdog of 0.05 s" in text
    assert "in stubborn" in text


def test_base_exception_fails_only_its_own_test(world: asyncio.AbstractEventLoop) -> None:
    class Case(atk.TestCase):
        @unittest.mock.patch(f"{conftest.__name__}.PATCHED_TARGET", "patched")
        async def test_raises(self) -> None:
            assert conftest.PATCHED_TARGET == "patched"
            warnings.simplefilter("ignore")  # not restored by the test itself
            asyncio.set_event_loop(None)
            self.leak = asyncio.ensure_future(asyncio.sleep(10))
            await asyncio.sleep(0)
            raise _NotAnError("not an Exception")

    result = run(Case("test_raises"), _next_test_sees_a_clean_world(world))
    assert summary(result) == {"run": 2, "errors": 1}
    assert "not an Exception" in messages(result)


def test_keyboard_interrupt_propagates_but_the_world_is_restored(
    world: asyncio.AbstractEventLoop,
) -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    class Case(atk.TestCase):
        async def test_interrupted(self) -> None:
            loops.append(self.loop)
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(Case("test_interrupted"))
    assert loops[0].is_closed()
    result = run(_next_test_sees_a_clean_world(world))
    assert summary(result) == {"run": 1}, messages(result)


def test_failing_setup_leaves_a_clean_world(world: asyncio.AbstractEventLoop) -> None:
    class Case(atk.TestCase):
        def setUp(self) -> None:
            patcher = unittest.mock.patch(f"{conftest.__name__}.PATCHED_TARGET", "patched")
            patcher.start()
            self.addCleanup(patcher.stop)
            warnings.simplefilter("ignore")
            asyncio.get_event_loop().call_later(10, print)
            if sys.version_info < (3, 14):  # policies are deprecated from 3.14 on
                asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())
            raise RuntimeError("setUp failed")

        def test_never_runs(self) -> None:
            raise AssertionError

    result = run(Case("test_never_runs"), _next_test_sees_a_clean_world(world))
    assert summary(result) == {"run": 2, "errors": 1}
    assert "setUp failed" in messages(result)


def test_forbid_get_event_loop(world: asyncio.AbstractEventLoop) -> None:
    class Case(atk.TestCase):
        forbid_get_event_loop = True

        def test_sync_call_is_refused(self) -> None:
            with self.assertRaises(RuntimeError):
                asyncio.get_event_loop()

        @loopguard.strict
        def test_swallowed_call_fails_under_strict(self) -> None:
            with self.assertRaises(RuntimeError):
                asyncio.get_event_loop()

        async def test_inside_the_loop_is_fine(self) -> None:
            assert asyncio.get_event_loop() is self.loop

    result = run_class(Case)
    # The error is raised where the call is; a call the code swallowed fails its test (after
    # tearDown) only with the `forbidden_get_event_loop` check on, as under @strict.
    assert summary(result) == {"run": 3, "failures": 1}, messages(result)
    assert "test_swallowed_call_fails_under_strict" in str(result.failures[0][0])
    assert "forbidden_get_event_loop" in messages(result)


def test_exception_in_a_task_cancelled_at_teardown_is_reported(
    world: asyncio.AbstractEventLoop,
) -> None:
    class Case(atk.TestCase):
        @loopguard.fail_on(loop_exceptions=True)
        async def test_it(self) -> None:
            async def fails() -> None:
                raise ValueError("lost")

            asyncio.ensure_future(fails())  # noqa: RUF006 - unreferenced: gc reports its error
            await asyncio.sleep(0)

    result = run_class(Case)
    assert summary(result) == {"run": 1, "failures": 1}, messages(result)
    assert "lost" in messages(result)


@pytest.mark.skipif(sys.platform == "win32", reason="selector loops only")
def test_use_default_loop_reuses_the_current_loop(world: asyncio.AbstractEventLoop) -> None:
    class Case(atk.TestCase):
        use_default_loop = True

        async def test_it(self) -> None:
            assert self.loop is world

    result = run_class(Case)
    assert summary(result) == {"run": 1}, messages(result)
    assert not world.is_closed()
