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


def test_class_decorator_sets_the_testcase_hook() -> None:
    @forbid_get_event_loop
    class Case(unittest.TestCase):
        pass

    assert Case.forbid_get_event_loop is True  # type: ignore[attr-defined]
    assert "forbid_get_event_loop" not in vars(unittest.TestCase)


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
