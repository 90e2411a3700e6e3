"""LoopGuard: the loop's lifecycle and exact restoration of the previous state."""

from __future__ import annotations

import asyncio
import sys
import traceback
import unittest
import warnings
from collections.abc import Iterator

import pytest

from aiotestkit_loopguard import LeakError, LoopGuard, _compat, fail_on, resolve_checks


class Boom(BaseException):
    """A BaseException that is not an Exception (like KeyboardInterrupt)."""


@pytest.fixture
def outer_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A loop set as the thread's current loop before the guard starts."""
    state = _compat.capture_current_loop()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield loop
    _compat.restore_current_loop(state)
    loop.close()


def snapshot() -> tuple[object, ...]:
    return (
        _compat.capture_current_loop(),
        list(warnings.filters),
        warnings.showwarning,
        sys.unraisablehook,
    )


def test_loop_is_current_while_started_then_closed() -> None:
    before = snapshot()
    guard = LoopGuard()
    loop = guard.start()
    try:
        assert guard.loop is loop
        assert asyncio.get_event_loop() is loop
        assert loop.run_until_complete(asyncio.sleep(0, "ok")) == "ok"
    finally:
        guard.close()
    assert loop.is_closed()
    assert snapshot() == before
    guard.close()  # idempotent


def test_previous_current_loop_is_restored(outer_loop: asyncio.AbstractEventLoop) -> None:
    before = snapshot()
    with LoopGuard() as loop:
        assert loop is not outer_loop
        assert asyncio.get_event_loop() is loop
    assert asyncio.get_event_loop() is outer_loop
    assert snapshot() == before
    assert not outer_loop.is_closed()


def test_no_loop_ever_set_state_is_restored() -> None:
    # A thread that never called set_event_loop (a fresh policy): on <= 3.13 get_event_loop()
    # may still create a loop there, so the `_set_called` latch must come back unset too.
    original = _compat.capture_current_loop()
    if original.policy is None:  # pragma: no cover - 3.16+: no policies
        pytest.skip("no event-loop policies on this Python")
    _compat.set_policy(type(original.policy)())
    try:
        pristine = _compat.capture_current_loop()
        assert pristine.loop is None
        assert pristine.set_called in (False, _compat.MISSING)
        with LoopGuard() as loop:
            assert asyncio.get_event_loop() is loop
        assert _compat.capture_current_loop() == pristine
        guard = LoopGuard()
        with pytest.raises(Boom):
            with guard:
                raise Boom
        assert _compat.capture_current_loop() == pristine
    finally:
        _compat.restore_current_loop(original)


def test_state_restored_after_a_leaking_test() -> None:
    before = snapshot()

    async def forever() -> None:
        await asyncio.sleep(3600)

    guard = LoopGuard()
    loop = guard.start()
    task = loop.create_task(forever())
    loop.call_later(3600, print)
    loop.run_until_complete(asyncio.sleep(0))
    with pytest.raises(LeakError):
        guard.assert_clean({"leftover_tasks": True, "active_handles": True})
    guard.close()
    assert task.cancelled()
    assert loop.is_closed()
    assert snapshot() == before


def test_state_restored_after_a_base_exception() -> None:
    before = snapshot()

    async def body() -> None:
        asyncio.get_running_loop().create_task(asyncio.sleep(3600))
        await asyncio.sleep(0)
        raise Boom

    guard = LoopGuard()

    def run_test() -> None:
        with guard as loop:
            warnings.simplefilter("ignore")  # a test that changes the filters
            loop.run_until_complete(body())

    with pytest.raises(Boom):
        run_test()
    assert guard._guarded_loop is not None
    assert guard._guarded_loop.is_closed()
    assert snapshot() == before


def test_state_restored_when_the_test_replaces_the_policy() -> None:
    before = snapshot()
    with LoopGuard():
        _compat.set_policy(None)  # a fresh default policy
    assert snapshot() == before


def test_state_restored_after_failing_setup() -> None:
    before = snapshot()

    class Case(unittest.TestCase):
        def setUp(self) -> None:
            guard = LoopGuard()
            guard.start()
            self.addCleanup(guard.close)
            raise ValueError("setUp failed")

        def test(self) -> None:
            pass  # pragma: no cover - setUp fails

    result = unittest.TestResult()
    Case("test").run(result)
    assert len(result.errors) == 1
    assert snapshot() == before


def test_leftover_task_exceptions_are_reported_at_close(caplog: pytest.LogCaptureFixture) -> None:
    async def fails_on_cancel() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise ValueError("cleanup failed") from None

    with LoopGuard() as loop:
        loop.create_task(fails_on_cancel())
        loop.run_until_complete(asyncio.sleep(0))
    assert "unhandled exception during test shutdown" in caplog.text
    assert "cleanup failed" in caplog.text


def test_close_shuts_down_asyncgens_and_executor() -> None:
    closed = []

    async def agen() -> object:
        try:
            yield 1
            yield 2
        finally:
            closed.append(True)

    async def use() -> None:
        gen = agen()
        await gen.__anext__()  # type: ignore[attr-defined]
        await asyncio.get_running_loop().run_in_executor(None, lambda: None)
        keep.append(gen)

    keep: list[object] = []
    with LoopGuard() as loop:
        loop.run_until_complete(use())
    assert closed == [True]


def test_debug_flag() -> None:
    with LoopGuard(debug=True) as loop:
        assert loop.get_debug()
    with LoopGuard(debug=False) as loop:
        assert not loop.get_debug()


def test_loop_factory_is_used() -> None:
    made: list[asyncio.AbstractEventLoop] = []

    def factory() -> asyncio.AbstractEventLoop:
        made.append(asyncio.SelectorEventLoop())
        return made[-1]

    with LoopGuard(factory) as loop:
        assert made == [loop]


def test_misuse() -> None:
    with pytest.raises(TypeError, match="zero-argument callable"):
        LoopGuard(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="do not also pass loop_factory"):
        LoopGuard(asyncio.new_event_loop, use_default_loop=True)
    with pytest.raises(RuntimeError, match="call start"):
        _ = LoopGuard().loop
    before = snapshot()
    with pytest.raises(TypeError, match="not an asyncio event loop"):
        LoopGuard(lambda: "nope").start()  # type: ignore[arg-type, return-value]
    assert snapshot() == before
    guard = LoopGuard()
    with guard as loop:
        with pytest.raises(RuntimeError, match="can be called once"):
            guard.start()

        async def inside() -> None:
            with pytest.raises(RuntimeError, match="while an event loop is running"):
                LoopGuard().start()
            with pytest.raises(RuntimeError, match="while its loop is running"):
                guard.close()

        loop.run_until_complete(inside())
    with pytest.raises(RuntimeError, match="can be called once; this guard is closed"):
        guard.start()


def test_loop_before_start_is_an_attribute_error_and_a_runtime_error() -> None:
    guard = LoopGuard()
    assert not hasattr(guard, "loop")
    assert getattr(guard, "loop", None) is None
    for kind in (AttributeError, RuntimeError):  # callers catching RuntimeError keep working
        with pytest.raises(kind, match=r"LoopGuard has no loop: call start\(\)"):
            _ = guard.loop
    with pytest.raises(AttributeError) as info:
        guard.begin_test()
    # No misleading "Did you mean: '_loop'?" (tracebacks suggest close attribute names).
    formatted = "".join(traceback.format_exception(info.value))
    assert "Did you mean" not in formatted
    assert "call start()" in formatted
    with guard as loop:
        assert hasattr(guard, "loop")
        assert guard.loop is loop


def test_use_default_loop_adopts_the_current_loop(outer_loop: asyncio.AbstractEventLoop) -> None:
    before = snapshot()
    outer_loop.set_debug(False)
    with LoopGuard(use_default_loop=True, debug=True) as loop:
        assert loop is outer_loop
        assert loop.get_debug()
        task = loop.create_task(asyncio.sleep(3600))
        loop.run_until_complete(asyncio.sleep(0))
    assert task.cancelled()
    assert not outer_loop.is_closed()
    assert not outer_loop.get_debug()
    assert snapshot() == before


def test_use_default_loop_without_current_loop_creates_one_that_stays() -> None:
    state = _compat.capture_current_loop()
    asyncio.set_event_loop(None)
    try:
        with LoopGuard(use_default_loop=True) as loop:
            pass
        assert not loop.is_closed()
        assert asyncio.get_event_loop() is loop
        with LoopGuard(use_default_loop=True) as again:
            assert again is loop
        loop.close()
    finally:
        _compat.restore_current_loop(state)


def test_no_deprecation_warning_anywhere() -> None:
    state = _compat.capture_current_loop()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with LoopGuard(forbid_get_event_loop=True, debug=True) as loop:
                loop.run_until_complete(asyncio.sleep(0))
            asyncio.set_event_loop(None)
            with LoopGuard(use_default_loop=True) as loop:
                pass
            with LoopGuard(use_default_loop=True) as again:
                assert again is loop
        loop.close()
    finally:
        _compat.restore_current_loop(state)


def test_test_that_closes_its_loop_itself() -> None:
    before = snapshot()
    guard = LoopGuard()
    loop = guard.start()
    loop.call_later(10, print)
    loop.close()
    assert guard.check({name: True for name in ("active_handles", "leftover_tasks")}) == []
    guard.close()
    assert snapshot() == before


def test_resolve_and_assert_clean_like_the_testcase_package() -> None:
    class Case:
        @fail_on(active_handles=True)
        def test(self) -> None:
            pass

    guard = LoopGuard()
    loop = guard.start()
    try:
        loop.call_later(10, print)
        with pytest.raises(LeakError, match="pending timer") as info:
            guard.assert_clean(resolve_checks(Case, Case.test))
        assert isinstance(info.value, AssertionError)
        assert [f.name for f in info.value.findings] == ["active_handles"]
    finally:
        guard.close()


def test_guard_from_unittest_with_cleanup() -> None:
    class Case(unittest.TestCase):
        def setUp(self) -> None:
            self.guard = LoopGuard()
            self.loop = self.guard.start()
            self.addCleanup(self.guard.close)

        @fail_on(leftover_tasks=True)
        def test_leak(self) -> None:
            self.loop.create_task(asyncio.sleep(10))
            self.loop.run_until_complete(asyncio.sleep(0))
            self.guard.assert_clean(resolve_checks(type(self), self.test_leak))

    result = unittest.TestResult()
    Case("test_leak").run(result)
    assert len(result.failures) == 1
    assert "leftover_tasks: task still running" in result.failures[0][1]
