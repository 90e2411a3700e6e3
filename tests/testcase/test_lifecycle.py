"""TestCase's lifecycle: phase order, both conventions, contextvars, the loop, cleanups."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import os
import sys
import threading
import unittest
from collections.abc import AsyncIterator
from typing import Any

import pytest

import aiotestkit_testcase as atk

from .util import current_loop, messages, run, run_class, summary

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


def test_both_conventions_run_in_the_documented_order() -> None:
    log: list[str] = []

    class Case(atk.TestCase):
        async def setUp(self) -> None:  # type: ignore[override]
            log.append("setUp")

        async def asyncSetUp(self) -> None:
            log.append("asyncSetUp")

        async def test_it(self) -> None:
            log.append("test")
            self.addCleanup(log.append, "sync cleanup")
            self.addAsyncCleanup(self.async_cleanup, "async cleanup")

        async def async_cleanup(self, what: str) -> None:
            await asyncio.sleep(0)
            log.append(what)

        async def asyncTearDown(self) -> None:
            log.append("asyncTearDown")

        async def tearDown(self) -> None:  # type: ignore[override]
            log.append("tearDown")

    assert summary(run_class(Case)) == {"run": 1}
    assert log == [
        "setUp",
        "asyncSetUp",
        "test",
        "asyncTearDown",
        "tearDown",
        "async cleanup",
        "sync cleanup",
    ]


def test_sync_tests_and_hooks_work_too() -> None:
    log: list[object] = []

    class Case(atk.TestCase):
        def setUp(self) -> None:
            log.append(self.loop.run_until_complete(asyncio.sleep(0, "setUp")))

        def test_it(self) -> None:
            log.append(self.loop.is_running())

        def tearDown(self) -> None:
            log.append("tearDown")

    assert summary(run_class(Case)) == {"run": 1}
    assert log == ["setUp", False, "tearDown"]


def test_context_variables_flow_through_every_phase() -> None:
    seen: list[str] = []

    class Case(atk.TestCase):
        def setUp(self) -> None:
            VAR.set("setUp")

        async def asyncSetUp(self) -> None:
            seen.append(VAR.get())
            VAR.set("asyncSetUp")

        async def test_it(self) -> None:
            seen.append(VAR.get())
            VAR.set("test")
            self.addCleanup(lambda: seen.append("cleanup saw " + VAR.get()))

        async def asyncTearDown(self) -> None:
            seen.append(VAR.get())
            VAR.set("asyncTearDown")

        def tearDown(self) -> None:
            seen.append(VAR.get())

    assert summary(run_class(Case)) == {"run": 1}
    assert seen == ["setUp", "asyncSetUp", "test", "asyncTearDown", "cleanup saw asyncTearDown"]
    assert VAR.get() == "unset"


def test_each_test_gets_a_fresh_current_loop_closed_afterwards(
    world: asyncio.AbstractEventLoop,
) -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    class Case(atk.TestCase):
        def setUp(self) -> None:
            assert current_loop() is self.loop

        async def test_one(self) -> None:
            assert asyncio.get_running_loop() is self.loop
            loops.append(self.loop)

        def test_two(self) -> None:
            assert asyncio.get_event_loop() is self.loop
            loops.append(self.loop)

    assert summary(run_class(Case)) == {"run": 2}
    assert loops[0] is not loops[1]
    assert all(loop.is_closed() for loop in loops)
    assert current_loop() is world


def test_the_default_loop_has_the_fakeio_selector() -> None:
    from aiotestkit_fakeio import SocketMock, set_read_ready

    class Case(atk.TestCase):
        async def test_read_ready(self) -> None:
            sock = SocketMock()
            ready = asyncio.Event()
            self.loop.add_reader(sock, ready.set)
            self.addCleanup(self.loop.remove_reader, sock)
            set_read_ready(sock, self.loop)
            await asyncio.wait_for(ready.wait(), 1)

    result = run_class(Case)
    assert summary(result) == {"run": 1}, messages(result)


def test_loop_factory_may_be_a_plain_function() -> None:
    made: list[asyncio.AbstractEventLoop] = []

    def factory() -> asyncio.AbstractEventLoop:
        made.append(asyncio.SelectorEventLoop())
        return made[-1]

    class Case(atk.TestCase):
        loop_factory = factory

        async def test_it(self) -> None:
            assert made == [self.loop]

    result = run_class(Case)
    assert summary(result) == {"run": 1}, messages(result)


def test_loop_factory_must_be_callable() -> None:
    class Case(atk.TestCase):
        loop_factory = 42  # type: ignore[assignment]

        def test_it(self) -> None:
            pass

    result = run_class(Case)
    assert summary(result) == {"run": 1, "errors": 1}
    assert "loop_factory must be a callable returning a new event loop, got 42" in messages(result)


def test_ordinary_tests_run_on_uvloop() -> None:
    uvloop = pytest.importorskip("uvloop")

    class Case(atk.TestCase):
        loop_factory = uvloop.new_event_loop

        async def test_it(self) -> None:
            await asyncio.sleep(0.001)
            assert isinstance(self.loop, uvloop.Loop)

    result = run_class(Case)
    assert summary(result) == {"run": 1}, messages(result)


def test_debug_mode_follows_the_environment_unless_set() -> None:
    seen: list[bool] = []

    class Default(atk.TestCase):
        def test_it(self) -> None:
            seen.append(self.loop.get_debug())

    class Forced(Default):
        loop_debug = True

    run_class(Default)
    run_class(Forced)
    assert seen == [
        sys.flags.dev_mode or bool(sys.flags.ignore_environment is False and _env()),
        True,
    ]


def _env() -> bool:

    return bool(os.environ.get("PYTHONASYNCIODEBUG"))


def test_cleanups_run_even_when_setup_fails_and_the_loop_is_closed() -> None:
    log: list[str] = []
    loops: list[asyncio.AbstractEventLoop] = []

    class Case(atk.TestCase):
        async def asyncSetUp(self) -> None:
            loops.append(self.loop)
            self.addAsyncCleanup(self.cleanup)
            raise ValueError("setUp broke")

        async def cleanup(self) -> None:
            log.append("cleanup")

        def test_it(self) -> None:
            log.append("test")

        def tearDown(self) -> None:
            log.append("tearDown")

    result = run_class(Case)
    assert summary(result) == {"run": 1, "errors": 1}
    assert "setUp broke" in messages(result)
    assert log == ["cleanup"]
    assert loops[0].is_closed()


def test_enter_async_context() -> None:
    log: list[str] = []

    @contextlib.asynccontextmanager
    async def resource() -> AsyncIterator[str]:
        log.append("enter")
        yield "value"
        log.append("exit")

    class Case(atk.TestCase):
        async def test_it(self) -> None:
            assert await self.enterAsyncContext(resource()) == "value"
            log.append("test")

        async def test_not_async(self) -> None:
            with self.assertRaisesRegex(TypeError, "use enterContext"):
                await self.enterAsyncContext(threading.Lock())  # type: ignore[arg-type]

    result = run_class(Case)
    assert summary(result) == {"run": 2}, messages(result)
    assert log == ["enter", "test", "exit"]


def test_cleanups_may_be_functions_returning_awaitables() -> None:
    log: list[str] = []

    async def record(what: str) -> None:
        log.append(what)

    class Case(atk.TestCase):
        def test_it(self) -> None:
            self.addCleanup(functools.partial(record, "partial"))
            self.addCleanup(record, "coroutine function")

    assert summary(run_class(Case)) == {"run": 1}
    assert log == ["coroutine function", "partial"]


def test_do_cleanups_from_inside_a_test_keeps_the_loop_open() -> None:
    log: list[object] = []

    class Case(atk.TestCase):
        def test_sync(self) -> None:
            self.addCleanup(self.cleanup, "sync test")
            log.append(self.doCleanups())
            assert not self.loop.is_closed()
            log.append("after")

        async def test_async(self) -> None:
            # asynctest's doCleanups() was a coroutine: awaited from a coroutine test.
            VAR.set("test's value")
            self.addCleanup(log.append, "plain cleanup")
            self.addCleanup(self.cleanup, "async test")
            log.append(await self.doCleanups())
            assert asyncio.get_running_loop() is self.loop
            log.append("after")

        async def test_failing_cleanup(self) -> None:
            self.addCleanup(log.append, "still run")
            self.addAsyncCleanup(self.fail, "cleanup failed")
            log.append(await self.doCleanups())

        async def cleanup(self, what: str) -> None:
            await asyncio.sleep(0)
            log.append(f"cleanup of {what} saw {VAR.get()}")

    result = run_class(Case, "test_sync", "test_async", "test_failing_cleanup")
    assert summary(result) == {"run": 3, "failures": 1}, messages(result)
    assert "cleanup failed" in messages(result)
    assert log == [
        "cleanup of sync test saw unset",
        True,
        "after",
        "cleanup of async test saw test's value",
        "plain cleanup",
        True,
        "after",
        "still run",
        False,
    ]


def test_returning_a_value_is_deprecated() -> None:
    class Case(atk.TestCase):
        async def test_it(self) -> int:
            return 1

    with pytest.warns(DeprecationWarning, match="returned int"):
        result = run_class(Case)
    assert summary(result) == {"run": 1}


def test_skips_expected_failures_and_subtests() -> None:
    created: list[str] = []

    class Case(atk.TestCase):
        def setUp(self) -> None:
            created.append(self._testMethodName)

        @unittest.skip("not today")
        async def test_skipped(self) -> None:
            raise AssertionError

        async def test_skip_inside(self) -> None:
            await asyncio.sleep(0)
            self.skipTest("inside")

        @unittest.expectedFailure
        async def test_expected_failure(self) -> None:
            self.fail("expected")

        @unittest.expectedFailure
        async def test_unexpected_success(self) -> None:
            pass

        async def test_subtests(self) -> None:
            for i in range(3):
                with self.subTest(i=i):
                    await asyncio.sleep(0)
                    self.assertNotEqual(i, 1)

    result = run_class(Case)
    counts = summary(result)
    counts.pop("run")  # whether a test skipped by decorator counts as run depends on the version
    assert counts == {
        "failures": 1,
        "skipped": 2,
        "expected_failures": 1,
        "unexpected_successes": 1,
    }
    assert "(i=1)" in str(result.failures[0][0])
    assert "test_skipped" not in created  # no loop is made for a skipped test


@pytest.mark.skipif(sys.version_info < (3, 12), reason="--durations is new in 3.12")
def test_durations_are_collected() -> None:
    class Case(atk.TestCase):
        async def test_it(self) -> None:
            await asyncio.sleep(0)

    result = run_class(Case)
    durations = getattr(result, "collectedDurations")  # noqa: B009 - 3.12+ only
    assert [name for name, _ in durations] == [str(Case("test_it"))]


def test_debug_runs_the_test_and_propagates_errors() -> None:
    log: list[str] = []
    loops: list[asyncio.AbstractEventLoop] = []

    class Case(atk.TestCase):
        async def asyncSetUp(self) -> None:
            loops.append(self.loop)
            self.addCleanup(log.append, "cleanup")

        async def test_ok(self) -> None:
            log.append("ok")

        async def test_fails(self) -> None:
            raise ValueError("boom")

    Case("test_ok").debug()
    assert log == ["ok", "cleanup"]
    assert loops[0].is_closed()
    failing = Case("test_fails")
    with pytest.raises(ValueError, match="boom"):
        failing.debug()
    # unittest leaves the cleanups to the caller after a failing debug(): they still run.
    assert log == ["ok", "cleanup"]
    assert failing.doCleanups()
    assert log == ["ok", "cleanup", "cleanup"]
    assert all(loop.is_closed() for loop in loops)
    assert current_loop() is None
    with pytest.raises(unittest.SkipTest):
        unittest.skip("no")(Case)("test_ok").debug()


def test_coroutine_cleanups_run_after_a_failing_debug() -> None:
    log: list[str] = []

    class Case(atk.TestCase):
        def setUp(self) -> None:
            self.addCleanup(self.cleanup)

        async def cleanup(self) -> None:
            await asyncio.sleep(0)
            log.append("cleanup ran")

        async def test_fails(self) -> None:
            raise ValueError("boom")

    case = Case("test_fails")
    with pytest.raises(ValueError, match="boom"):
        case.debug()
    loop = asyncio.get_event_loop()  # still the test's loop, for the cleanups
    assert not loop.is_closed()
    assert case.doCleanups()
    assert log == ["cleanup ran"]
    assert loop.is_closed()
    assert current_loop() is None

    # Run again without doCleanups() in between: the loop left open is closed first.
    case = Case("test_fails")
    with pytest.raises(ValueError, match="boom"):
        case.debug()
    loop = asyncio.get_event_loop()
    assert not run(case).wasSuccessful()
    assert loop.is_closed()
    # unittest keeps the cleanups left over: run() runs them with its own (on its loop).
    assert log == ["cleanup ran"] * 3


def test_function_test_case_awaits_coroutine_functions() -> None:
    log: list[str] = []

    async def set_up() -> None:
        VAR.set("from setUp")
        log.append("setUp")

    async def test() -> None:
        await asyncio.sleep(0)
        log.append("test saw " + VAR.get())

    def tear_down() -> None:
        log.append("tearDown")

    async def failing() -> None:
        raise AssertionError("awaited indeed")

    result = run(
        atk.FunctionTestCase(test, setUp=set_up, tearDown=tear_down),
        atk.FunctionTestCase(failing, description="fails"),
        atk.FunctionTestCase(lambda: log.append("sync")),
    )
    assert summary(result) == {"run": 3, "failures": 1}
    assert "awaited indeed" in messages(result)
    assert log == ["setUp", "test saw from setUp", "tearDown", "sync"]
    assert atk.FunctionTestCase(failing, description="fails").shortDescription() == "fails"


def test_async_assertions() -> None:
    async def raises(exc: BaseException) -> None:
        await asyncio.sleep(0)
        raise exc

    async def warns() -> int:
        import warnings

        warnings.warn("careful", UserWarning, stacklevel=1)
        return 7

    async def nothing() -> None:
        pass

    class Case(atk.TestCase):
        async def test_awaitable_forms(self) -> None:
            exc = await self.assertAsyncRaises(ValueError, raises(ValueError("v")))
            assert exc.args == ("v",)
            await self.assertAsyncRaisesRegex(KeyError, "k", raises(KeyError("k")))
            assert await self.assertAsyncWarns(UserWarning, warns()) == 7
            assert await self.assertAsyncWarnsRegex(UserWarning, "care", warns()) == 7
            future = self.loop.create_future()
            future.set_exception(OSError("f"))
            await self.assertAsyncRaises(OSError, future)

        async def test_context_forms(self) -> None:
            async with self.assertAsyncRaises(ValueError) as cm:
                await raises(ValueError("cm"))
            assert cm.exception.args == ("cm",)
            async with self.assertAsyncRaisesRegex(ValueError, "c."):
                await raises(ValueError("cm"))
            async with self.assertAsyncWarns(UserWarning) as wcm:
                await warns()
            assert str(wcm.warning) == "careful"
            async with self.assertAsyncWarnsRegex(UserWarning, "car"):
                await warns()

        async def test_failure(self) -> None:
            await self.assertAsyncRaises(ValueError, nothing(), msg="custom")

        async def test_failure_context(self) -> None:
            async with self.assertAsyncRaises(ValueError):
                await nothing()

    result = run_class(Case)
    assert summary(result) == {"run": 4, "failures": 2}, messages(result)
    text = messages(result)
    assert "ValueError not raised : custom" in text


def test_run_without_a_result_returns_one() -> None:
    class Case(atk.TestCase):
        async def test_it(self) -> None:
            pass

    result: Any = Case("test_it").run()
    assert result.wasSuccessful()
