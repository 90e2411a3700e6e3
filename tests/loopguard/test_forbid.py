"""forbid_get_event_loop: context manager, decorators, recording and exact restoration."""

from __future__ import annotations

import asyncio
import unittest
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from aiotestkit_loopguard import (
    ForbidGetEventLoop,
    GetEventLoopForbiddenError,
    LoopGuard,
    _compat,
    forbid_get_event_loop,
)


def test_error_is_an_assertion_error_and_a_runtime_error() -> None:
    assert issubclass(GetEventLoopForbiddenError, AssertionError)
    assert issubclass(GetEventLoopForbiddenError, RuntimeError)


def test_context_manager_forbids_and_says_what_to_do() -> None:
    with LoopGuard() as loop:
        assert asyncio.get_event_loop() is loop
        with forbid_get_event_loop() as forbidden:
            with pytest.raises(GetEventLoopForbiddenError, match="get_running_loop"):
                asyncio.get_event_loop()
            with pytest.raises(AssertionError, match="Pass the loop explicitly"):
                asyncio.Future()  # routes through get_event_loop outside a loop
        assert len(forbidden.violations) == 2
        assert __file__ in forbidden.violations[0]
        assert asyncio.get_event_loop() is loop


def test_inside_coroutines_the_running_loop_is_returned() -> None:
    async def body() -> asyncio.AbstractEventLoop:
        return asyncio.get_event_loop()

    with LoopGuard() as loop, forbid_get_event_loop():
        assert loop.run_until_complete(body()) is loop


def test_sync_code_may_still_create_and_set_loops() -> None:
    state = _compat.capture_current_loop()
    with forbid_get_event_loop():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        with pytest.raises(GetEventLoopForbiddenError):
            asyncio.get_event_loop()
        asyncio.set_event_loop(None)
        loop.close()
    _compat.restore_current_loop(state)


def test_restored_exactly_even_when_the_body_raises() -> None:
    before = _compat.capture_current_loop()
    policies = []

    def body() -> None:
        with forbid_get_event_loop():
            policies.append(_compat.get_policy())
            raise KeyError

    with pytest.raises(KeyError):
        body()
    assert policies[0] is not before.policy
    assert _compat.capture_current_loop() == before


def test_nested_and_reused() -> None:
    before = _compat.capture_current_loop()
    forbid = ForbidGetEventLoop()
    with forbid, forbid, forbid_get_event_loop():
        pass
    with forbid:
        pass
    assert _compat.capture_current_loop() == before


def test_sync_decorator_with_and_without_parentheses() -> None:
    @forbid_get_event_loop
    def bare() -> None:
        asyncio.get_event_loop()

    @forbid_get_event_loop()
    def called() -> str:
        return "result"

    with LoopGuard():
        with pytest.raises(GetEventLoopForbiddenError):
            bare()
        assert called() == "result"
        assert bare.__name__ == "bare"


def test_async_decorator_applies_around_the_coroutine() -> None:
    @forbid_get_event_loop
    async def body() -> str:
        loop = asyncio.get_running_loop()
        assert asyncio.get_event_loop() is loop  # the running loop: allowed
        # Code with no running loop (here: a worker thread) is forbidden meanwhile.
        with pytest.raises(GetEventLoopForbiddenError):
            await loop.run_in_executor(None, asyncio.get_event_loop)
        return "done"

    with LoopGuard() as loop:
        assert loop.run_until_complete(body()) == "done"
        assert asyncio.get_event_loop() is loop
        with pytest.raises(RuntimeError) as info:
            loop.run_until_complete(loop.run_in_executor(None, asyncio.get_event_loop))
        assert not isinstance(info.value, GetEventLoopForbiddenError)


def test_class_decorator_sets_the_hook_a_runner_declares() -> None:
    class HookedCase(unittest.TestCase):  # like aiotestkit's TestCase, which passes it on
        forbid_get_event_loop = False

        def test_anything(self) -> None:
            pass

    @forbid_get_event_loop
    class Case(HookedCase):
        pass

    assert Case.forbid_get_event_loop is True
    assert HookedCase.forbid_get_event_loop is False
    assert "forbid_get_event_loop" not in vars(unittest.TestCase)
    assert "_callTestMethod" not in vars(Case)  # the runner forbids, nothing is wrapped


def _run(case: type[unittest.TestCase]) -> unittest.TestResult:
    result = unittest.TestResult()
    state = _compat.capture_current_loop()  # the tests set the current loop themselves
    try:
        unittest.defaultTestLoader.loadTestsFromTestCase(case).run(result)
    finally:
        _compat.restore_current_loop(state)
    return result


def _failed(result: unittest.TestResult) -> dict[str, str]:
    """Map each failed test's method name to its failure's last line."""
    failed = {}
    for test, trace in result.failures + result.errors:
        assert isinstance(test, unittest.TestCase)
        failed[test._testMethodName] = trace.strip().splitlines()[-1]
    return failed


class _LegacyCalls(unittest.TestCase):
    calls_in: str = ""

    def setUp(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.addCleanup(self.loop.close)
        asyncio.set_event_loop(self.loop)
        self.addCleanup(asyncio.set_event_loop, None)
        if self.calls_in == "setUp" and self._testMethodName == "test_calls":
            asyncio.get_event_loop()

    def tearDown(self) -> None:
        if self.calls_in == "tearDown" and self._testMethodName == "test_calls":
            asyncio.get_event_loop()

    def test_calls(self) -> None:
        if self.calls_in == "test":
            asyncio.get_event_loop()

    def test_passes_the_loop(self) -> None:
        assert asyncio.Future(loop=self.loop).get_loop() is self.loop


@pytest.mark.parametrize("calls_in", ["setUp", "test", "tearDown"])
def test_class_decorator_forbids_in_a_plain_testcase(calls_in: str) -> None:
    @forbid_get_event_loop
    class Case(_LegacyCalls):
        pass

    Case.calls_in = calls_in
    result = _run(Case)
    assert result.testsRun == 2
    failed = _failed(result)
    assert list(failed) == ["test_calls"]  # a failure, not an error: an AssertionError
    assert failed["test_calls"].startswith("aiotestkit_loopguard._forbid.GetEventLoopForbidden")
    assert not result.errors
    # Forbidden only while a test runs; the undecorated base class is untouched.
    assert not _failed(_run(_LegacyCalls))


def test_class_decorator_keeps_test_methods_and_covers_subclasses() -> None:
    @forbid_get_event_loop
    @forbid_get_event_loop  # twice: still one forbid per hook
    class Case(_LegacyCalls):
        calls_in = "test"

    class Sub(Case):
        def test_new_in_subclass(self) -> None:
            asyncio.get_event_loop()

    assert Case.test_calls is _LegacyCalls.test_calls
    names = unittest.defaultTestLoader.getTestCaseNames(Sub)
    assert list(names) == ["test_calls", "test_new_in_subclass", "test_passes_the_loop"]
    assert sorted(_failed(_run(Sub))) == ["test_calls", "test_new_in_subclass"]
    assert "_callTestMethod" not in vars(Sub)


def test_class_decorator_in_an_isolated_asyncio_testcase() -> None:
    seen: list[object] = []

    @forbid_get_event_loop
    class Case(unittest.IsolatedAsyncioTestCase):
        def setUp(self) -> None:
            if self._testMethodName == "test_sync_setup_calls":
                asyncio.get_event_loop()

        async def asyncSetUp(self) -> None:
            seen.append(asyncio.get_event_loop() is asyncio.get_running_loop())

        async def test_inside_the_loop(self) -> None:
            # The running loop: allowed, as everywhere inside a coroutine or callback.
            seen.append(asyncio.get_event_loop() is asyncio.get_running_loop())
            self.addAsyncCleanup(self.cleanup)

        async def cleanup(self) -> None:
            seen.append(asyncio.get_event_loop() is asyncio.get_running_loop())

        async def test_sync_setup_calls(self) -> None:
            pass

        def test_sync_method(self) -> None:  # runs outside the loop: forbidden
            asyncio.get_event_loop()

    result = _run(Case)
    assert result.testsRun == 3
    assert sorted(_failed(result)) == ["test_sync_method", "test_sync_setup_calls"]
    assert not result.errors
    assert seen == [True] * 4  # asyncSetUp twice (not after the failed setUp), test, cleanup


def test_class_decorator_refuses_a_class_it_cannot_forbid_in() -> None:
    class TestPlainPytestClass:
        def test_something(self) -> None:
            pass

    with pytest.raises(TypeError, match=r"TestPlainPytestClass is neither.*test methods"):
        forbid_get_event_loop(TestPlainPytestClass)


def test_decorating_something_else_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="decorates functions"):
        forbid_get_event_loop(42)


def test_guard_option_and_state_restored() -> None:
    before = _compat.capture_current_loop()
    with LoopGuard(forbid_get_event_loop=True) as loop:
        with pytest.raises(GetEventLoopForbiddenError):
            asyncio.get_event_loop()

        async def inside() -> asyncio.AbstractEventLoop:
            return asyncio.get_event_loop()

        assert loop.run_until_complete(inside()) is loop
    assert _compat.capture_current_loop() == before


def test_overlapping_forbids_end_in_any_order() -> None:
    before = _compat.capture_current_loop()

    @forbid_get_event_loop
    async def first(release: asyncio.Event) -> None:
        await release.wait()

    @forbid_get_event_loop
    async def second() -> None:
        await asyncio.sleep(0)

    async def main() -> None:
        release = asyncio.Event()
        task = asyncio.create_task(first(release))
        await asyncio.sleep(0)  # first entered
        await second()  # entered after first, ends before it
        with pytest.raises(GetEventLoopForbiddenError):  # first still forbids
            await asyncio.get_running_loop().run_in_executor(None, asyncio.get_event_loop)
        release.set()
        await task

    with LoopGuard() as loop:
        loop.run_until_complete(main())
    assert _compat.capture_current_loop() == before

    a, b = ForbidGetEventLoop(), ForbidGetEventLoop()
    a.__enter__()
    b.__enter__()
    a.__exit__(None, None, None)
    b.__exit__(None, None, None)
    assert _compat.capture_current_loop() == before


async def _nothing() -> None:
    pass  # pragma: no cover - never run


def test_it_bites_for_what_routes_through_get_event_loop_outside_a_loop() -> None:
    makers: list[Callable[[Coroutine[Any, Any, None]], object]] = [
        lambda coro: asyncio.Future(),
        asyncio.ensure_future,
        asyncio.gather,
        lambda coro: asyncio.StreamReader(),
    ]
    with LoopGuard() as loop, forbid_get_event_loop() as forbidden:
        for make in makers:
            coro = _nothing()
            with pytest.raises(GetEventLoopForbiddenError, match="Pass the loop explicitly"):
                make(coro)
            coro.close()
        assert len(forbidden.violations) == 4
        # Passing the loop explicitly keeps working.
        assert asyncio.Future(loop=loop).get_loop() is loop
        asyncio.ensure_future(_nothing(), loop=loop).cancel()
        loop.run_until_complete(asyncio.sleep(0))


def test_decorators_restore_exactly_when_the_function_raises() -> None:
    @forbid_get_event_loop
    def sync_body() -> None:
        raise KeyError("sync")

    @forbid_get_event_loop
    async def async_body() -> None:
        await asyncio.sleep(0)
        raise KeyError("async")

    with LoopGuard() as loop:
        before = _compat.capture_current_loop()
        with pytest.raises(KeyError, match="sync"):
            sync_body()
        assert _compat.capture_current_loop() == before
        with pytest.raises(KeyError, match="async"):
            loop.run_until_complete(async_body())
        assert _compat.capture_current_loop() == before
        assert asyncio.get_event_loop() is loop
