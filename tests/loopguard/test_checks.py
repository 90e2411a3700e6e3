"""Each built-in check, check_loop and custom checks."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gc
import pickle
import selectors
import socket
import sys
import unittest
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pytest

from aiotestkit_loopguard import (
    CheckContext,
    Finding,
    LeakError,
    LoopGuard,
    _compat,
    check_loop,
    fail_on,
    known_checks,
    register_check,
    resolve_checks,
    strict,
    unregister_check,
)


def only(name: str) -> dict[str, bool]:
    return {name: True}


def names(findings: Iterable[Finding]) -> list[str]:
    return [finding.name for finding in findings]


@pytest.fixture
def guard() -> Iterator[LoopGuard]:
    g = LoopGuard()
    g.start()
    yield g
    g.close()


def test_unused_loop(guard: LoopGuard) -> None:
    assert names(guard.check(only("unused_loop"))) == ["unused_loop"]
    guard.loop.run_until_complete(asyncio.sleep(0))
    assert guard.check(only("unused_loop")) == []
    guard.begin_test()  # e.g. after setUp ran on the loop
    assert "did not run" in guard.check(only("unused_loop"))[0].message


def test_active_handles(guard: LoopGuard) -> None:
    loop = guard.loop
    loop.call_later(5, print, "x").cancel()  # cancelled timers are fine
    assert guard.check(only("active_handles")) == []
    handle = loop.call_later(5, print, "x")
    [finding] = guard.check(only("active_handles"))
    assert "pending timer" in finding.message
    assert "print" in finding.message
    handle.cancel()
    assert guard.check(only("active_handles")) == []


def test_active_handles_names_where_the_timer_was_created() -> None:
    with LoopGuard(debug=True) as loop:
        loop.call_later(5, print)
        [finding] = check_loop(loop, active_handles=True)
        assert f"created at {__file__}" in finding.message
        for handle in list(loop._scheduled):  # type: ignore[attr-defined]
            handle.cancel()


def test_active_selector_callbacks_real_fd(guard: LoopGuard) -> None:
    loop = guard.loop
    a, b = socket.socketpair()
    try:
        loop.add_reader(a, print)
        loop.add_writer(b, print)
        found = guard.check(only("active_selector_callbacks"))
        assert len(found) == 2
        assert "add_reader(" in found[0].message
        assert "add_writer(" in found[1].message
        loop.remove_reader(a)
        loop.remove_writer(b)
        assert guard.check(only("active_selector_callbacks")) == []
    finally:
        a.close()
        b.close()


class FakeFd(int):
    """A fake fd as the CONTRACT describes (>= 1 << 30, never reaches the OS)."""

    def __hash__(self) -> int:
        return hash(("fake", int(self)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FakeFd) and int(self) == int(other)


class OuterSelector(selectors.BaseSelector):
    """A minimal stand-in for fakeio's TestSelector: fake fds stay in its own map."""

    def __init__(self) -> None:
        self.wrapped = selectors.DefaultSelector()
        self._fake: dict[Any, selectors.SelectorKey] = {}

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        if isinstance(fileobj, FakeFd):
            key = selectors.SelectorKey(fileobj, fileobj, events, data)
            self._fake[fileobj] = key
            return key
        return self.wrapped.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        if isinstance(fileobj, FakeFd):
            return self._fake.pop(fileobj)
        return self.wrapped.unregister(fileobj)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        return self.wrapped.select(0 if self._fake else timeout)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._fake

    def get_key(self, fileobj: Any) -> selectors.SelectorKey:
        if isinstance(fileobj, FakeFd):
            return self._fake[fileobj]
        return self.wrapped.get_key(fileobj)

    def close(self) -> None:
        self.wrapped.close()


def test_active_selector_callbacks_fake_fd() -> None:
    with LoopGuard(lambda: asyncio.SelectorEventLoop(OuterSelector())) as loop:
        fake = FakeFd((1 << 30) + 3)
        loop.add_reader(fake, print)
        [finding] = check_loop(loop, active_selector_callbacks=True)
        assert "add_reader(1073741827" in finding.message
        loop.remove_reader(fake)
        assert check_loop(loop, active_selector_callbacks=True) == []


def test_active_selector_callbacks_on_a_fakeio_loop() -> None:
    fakeio = pytest.importorskip("aiotestkit_fakeio")
    with LoopGuard(fakeio.new_fakeio_loop) as loop:
        assert check_loop(loop, active_selector_callbacks=True) == []  # the self-pipe is fine
        sock, file = fakeio.SocketMock(), fakeio.FileMock()
        loop.add_reader(sock, print)
        loop.add_writer(file, print)
        found = check_loop(loop, active_selector_callbacks=True)
        assert [f.message.split(",")[0] for f in found] == [
            f"add_reader({sock!r}",
            f"add_writer({file!r}",
        ]
        loop.remove_reader(sock)
        loop.remove_writer(file)
        assert check_loop(loop, active_selector_callbacks=True) == []


def test_leftover_tasks(guard: LoopGuard) -> None:
    loop = guard.loop

    async def waits_forever() -> None:
        await asyncio.Event().wait()

    task = loop.create_task(waits_forever(), name="the-leak")
    line = sys._getframe().f_lineno - 1
    loop.run_until_complete(asyncio.sleep(0))
    [finding] = guard.check(only("leftover_tasks"))
    # The guard's task factory recorded where the task was created, without debug mode.
    assert finding.message.startswith(
        f"task still running: 'the-leak' created at {__file__}:{line} in test_leftover_tasks"
    )
    if not hasattr(asyncio, "format_call_graph"):  # 3.14+ shows the call graph instead
        # The await chain names each coroutine and the line it is suspended on.
        assert f", awaiting: test_leftover_tasks.<locals>.waits_forever() at {__file__}:" in (
            finding.message
        )
        assert "-> Event.wait() at " in finding.message
        assert "FutureIter" not in finding.message
    task.cancel()
    loop.run_until_complete(asyncio.sleep(0))
    assert guard.check(only("leftover_tasks")) == []


def test_creation_sites_skip_asyncio_frames_in_debug_mode() -> None:
    async def sleeper() -> None:
        await asyncio.sleep(10)

    with LoopGuard(debug=True) as loop:
        a, b = socket.socketpair()
        try:
            loop.add_reader(a, print)
            line = sys._getframe().f_lineno - 1
            [reader] = check_loop(loop, active_selector_callbacks=True)
            assert f"(created at {__file__}:{line} in " in reader.message
            loop.remove_reader(a)
        finally:
            a.close()
            b.close()
        task = loop.create_task(sleeper())
        loop.run_until_complete(asyncio.sleep(0))
        [timer] = check_loop(loop, active_handles=True)
        # asyncio.sleep() makes the timer; the site that matters is the caller's.
        assert f"(created at {__file__}:" in timer.message
        assert "in sleeper)" in timer.message
        task.cancel()
        loop.run_until_complete(asyncio.sleep(0))


def test_leftover_tasks_creation_site_in_debug_mode() -> None:
    with LoopGuard(debug=True) as loop:
        loop.create_task(asyncio.sleep(10))
        [finding] = check_loop(loop, leftover_tasks=True)
        assert f"created at {__file__}" in finding.message


def test_leftover_tasks_never_reports_the_calling_task(guard: LoopGuard) -> None:
    async def body() -> list[Finding]:
        return guard.check(only("leftover_tasks"))

    assert guard.loop.run_until_complete(body()) == []


def test_loop_exceptions_failing_callback(guard: LoopGuard) -> None:
    def broken() -> None:
        raise ValueError("callback broke")

    guard.loop.call_soon(broken)
    guard.loop.run_until_complete(asyncio.sleep(0))
    [finding] = guard.check(only("loop_exceptions"))
    assert "Exception in callback" in finding.message
    assert "ValueError: callback broke" in finding.message


def test_loop_exceptions_task_exception_never_retrieved(guard: LoopGuard) -> None:
    async def fails() -> None:
        raise KeyError("lost")

    guard.loop.create_task(fails())
    guard.loop.run_until_complete(asyncio.sleep(0))
    [finding] = guard.check(only("loop_exceptions"))
    assert "Task exception was never retrieved" in finding.message
    assert "KeyError" in finding.message


def test_loop_exceptions_are_logged_when_they_happen(caplog: pytest.LogCaptureFixture) -> None:
    with LoopGuard() as loop:
        loop.call_soon(lambda: 1 / 0)
        loop.run_until_complete(asyncio.sleep(0))
        assert "ZeroDivisionError" in caplog.text  # now, not when the guard closes
        assert [r.exc_info is not None for r in caplog.records] == [True]  # with traceback
    assert len(caplog.records) == 1  # and only once


def test_reported_loop_exceptions_are_logged_once_too(caplog: pytest.LogCaptureFixture) -> None:
    with LoopGuard() as loop:
        loop.call_soon(lambda: 1 / 0)
        loop.run_until_complete(asyncio.sleep(0))
        guard_findings = check_loop(loop, loop_exceptions=True)
    assert names(guard_findings) == ["loop_exceptions"]
    assert len(caplog.records) == 1
    assert "ZeroDivisionError" in caplog.text


def test_assert_logs_sees_loop_exceptions_inside_a_unittest_test() -> None:
    seen: list[list[str]] = []

    class Case(unittest.TestCase):
        def test_it(self) -> None:
            with LoopGuard() as loop, self.assertLogs("asyncio", "ERROR") as logs:
                loop.call_soon(lambda: 1 / 0)
                loop.run_until_complete(asyncio.sleep(0))
            seen.append(logs.output)

    result = unittest.TestResult()
    Case("test_it").run(result)
    assert result.wasSuccessful(), result.failures + result.errors
    [[line]] = seen
    assert line.startswith("ERROR:asyncio:Exception in callback")


def test_a_handler_the_loop_had_gets_each_exception_at_once() -> None:
    got: list[str] = []

    def own_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        got.append(str(context["message"]))

    def loop_with_handler() -> asyncio.AbstractEventLoop:
        new = asyncio.new_event_loop()
        new.set_exception_handler(own_handler)
        return new

    with LoopGuard(loop_with_handler) as loop:
        loop.call_soon(lambda: 1 / 0)
        loop.run_until_complete(asyncio.sleep(0))
        assert [message.split()[:3] for message in got] == [["Exception", "in", "callback"]]
        assert names(check_loop(loop, loop_exceptions=True)) == ["loop_exceptions"]
        assert loop.get_exception_handler() is not own_handler  # the guard records first
    assert loop.get_exception_handler() is own_handler
    assert len(got) == 1


async def never_awaited() -> None:
    pass  # pragma: no cover


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_unawaited_coroutines_when_warnings_are_ignored(guard: LoopGuard) -> None:
    never_awaited()  # type: ignore[unused-coroutine]
    [finding] = guard.check(only("unawaited_coroutines"))
    assert "never_awaited' was never awaited" in finding.message


def test_unawaited_coroutines_under_w_error_still_reach_the_previous_hook() -> None:
    seen: list[object] = []
    previous = sys.unraisablehook
    sys.unraisablehook = seen.append
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with LoopGuard() as loop:
                never_awaited()  # type: ignore[unused-coroutine]
                [finding] = check_loop(loop, unawaited_coroutines=True)
        assert "was never awaited" in finding.message
        assert f"(coroutine defined at {__file__}:" in finding.message
        assert len(seen) == 1  # the error still went where -W error sends it
    finally:
        sys.unraisablehook = previous


def test_unawaited_coroutines_under_w_error_name_the_creation_site_in_debug_mode() -> None:
    seen: list[object] = []
    previous = sys.unraisablehook
    sys.unraisablehook = seen.append

    async def body() -> None:
        never_awaited()  # type: ignore[unused-coroutine]

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with LoopGuard(debug=True) as loop:
                loop.run_until_complete(body())
                [finding] = check_loop(loop, unawaited_coroutines=True)
        assert f"created at {__file__}:" in finding.message
        assert "in body)" in finding.message
        assert len(seen) == 1
    finally:
        sys.unraisablehook = previous


def test_unawaited_coroutines_shown_warnings_are_still_shown() -> None:
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("default")
        with LoopGuard() as loop:
            never_awaited()  # type: ignore[unused-coroutine]
            gc.collect()
            assert names(check_loop(loop, unawaited_coroutines=True)) == ["unawaited_coroutines"]
    assert any("never awaited" in str(w.message) for w in shown)


@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_unclosed_resources(guard: LoopGuard) -> None:
    sock = socket.socket()
    del sock
    [finding] = guard.check(only("unclosed_resources"))
    assert "unclosed <socket.socket" in finding.message


def test_forbidden_get_event_loop_swallowed() -> None:
    with LoopGuard(forbid_get_event_loop=True) as loop:
        with contextlib.suppress(RuntimeError):  # as code such as pytest-asyncio does
            asyncio.get_event_loop()
        [finding] = check_loop(loop, forbidden_get_event_loop=True)
        assert "asyncio.get_event_loop() called with no running loop" in finding.message
        assert __file__ in finding.message


def test_strict_checks_on_a_clean_test(guard: LoopGuard) -> None:
    class Case:
        @strict
        def test(self) -> None:
            pass

    guard.loop.run_until_complete(asyncio.sleep(0))
    guard.assert_clean(resolve_checks(Case, Case.test))


def test_check_rejects_unknown_names(guard: LoopGuard) -> None:
    with pytest.raises(TypeError, match="unknown check name"):
        guard.check({"nope": True})
    with pytest.raises(TypeError, match="unknown check name"):
        check_loop(guard.loop, nope=True)


def test_check_and_assert_clean_take_a_mapping_or_keywords(guard: LoopGuard) -> None:
    handle = guard.loop.call_later(10, print)
    assert names(guard.check({"active_handles": True})) == ["active_handles"]
    assert names(guard.check(active_handles=True)) == ["active_handles"]
    assert guard.check() == []  # nothing named: the defaults, all off
    assert guard.check({}) == guard.check(None) == []
    # Both: the keywords win (e.g. the resolved checks of a test, minus one).
    assert guard.check({"active_handles": True}, active_handles=False) == []
    with pytest.raises(LeakError, match="pending timer"):
        guard.assert_clean(active_handles=True)
    with pytest.raises(LeakError, match="pending timer"):
        guard.assert_clean({"active_handles": True})
    guard.assert_clean({"active_handles": True}, active_handles=False)
    guard.assert_clean(leftover_tasks=True)
    handle.cancel()
    guard.assert_clean(active_handles=True)


@pytest.mark.parametrize("method", ["check", "assert_clean"])
def test_check_and_assert_clean_misuse(guard: LoopGuard, method: str) -> None:
    call = getattr(guard, method)
    bad: object
    for bad in (["leftover_tasks"], "leftover_tasks", True):
        with pytest.raises(TypeError, match="mapping of check names to booleans") as info:
            call(bad)
        assert f"LoopGuard.{method}()" in str(info.value)
        assert repr(bad) in str(info.value)
        assert "leftover_tasks=True" in str(info.value)  # says what to do instead
    with pytest.raises(TypeError, match=r"unknown check name.*'nope'.*known checks: unused_loop"):
        call(nope=True)
    with pytest.raises(TypeError, match=r"unknown check name.*'nope'.*known checks: unused_loop"):
        call({"nope": True})
    with pytest.raises(TypeError, match="'leftover_tasks' must be True or False, got 1"):
        call(leftover_tasks=1)
    with pytest.raises(TypeError, match="positional argument: pass it without 'checks='"):
        call(checks={"leftover_tasks": True})


def test_check_loop_on_an_unmanaged_loop() -> None:
    loop = asyncio.new_event_loop()
    try:
        task = loop.create_task(asyncio.sleep(10))
        handle = loop.call_later(10, print)
        a, b = socket.socketpair()
        loop.add_reader(a, print)
        found = names(check_loop(loop))  # no arguments: every check
        assert found == ["active_handles", "active_selector_callbacks", "leftover_tasks"]
        assert names(check_loop(loop, leftover_tasks=True)) == ["leftover_tasks"]
        loop.remove_reader(a)
        a.close()
        b.close()
        handle.cancel()
        task.cancel()
        loop.run_until_complete(asyncio.sleep(0))
        assert check_loop(loop) == []
    finally:
        loop.close()


def test_custom_check() -> None:
    def no_extra_attribute(context: CheckContext) -> list[str]:
        if getattr(context.loop, "extra", None) is not None and context.baseline is None:
            return [f"loop.extra left as {context.loop.extra!r}"]  # type: ignore[attr-defined]
        return []

    def before(loop: asyncio.AbstractEventLoop) -> object:
        return getattr(loop, "extra", None)

    register_check("loop_extra", no_extra_attribute, before=before)
    try:
        assert known_checks()["loop_extra"] is False

        class Case:
            @fail_on(loop_extra=True)
            def test(self) -> None:
                pass

        with LoopGuard(asyncio.SelectorEventLoop) as loop:
            assert resolve_checks(Case, Case.test)["loop_extra"] is True
            loop.extra = 1  # type: ignore[attr-defined]
            [finding] = check_loop(loop, loop_extra=True)
            assert finding == Finding("loop_extra", "loop.extra left as 1")
            assert str(finding) == "loop_extra: loop.extra left as 1"
        with pytest.raises(ValueError, match="already registered"):
            register_check("loop_extra", no_extra_attribute)
    finally:
        unregister_check("loop_extra")
    assert "loop_extra" not in known_checks()
    with pytest.raises(ValueError, match="built-in"):
        unregister_check("unused_loop")
    with pytest.raises(ValueError, match="no check named"):
        unregister_check("loop_extra")
    with pytest.raises(ValueError, match="identifier"):
        register_check("not valid", no_extra_attribute)
    with pytest.raises(TypeError, match="callable"):
        register_check("ok_name", 42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((123, list), {}, "check name must be a string (a Python identifier), got 123 of type int"),
        ((b"raw", list), {}, "check name must be a string (a Python identifier), got b'raw'"),
        (("ok_name", list), {"default": 1}, "default must be True or False, got 1"),
        (("ok_name", list), {"strict": "no"}, "strict must be True or False, got 'no'"),
        (("ok_name", 42), {}, "check function must be callable, got 42"),
        (("ok_name", list), {"before": 42}, "before hook must be callable or None, got 42"),
    ],
)
def test_register_check_refuses_wrong_types_by_name(
    args: tuple[Any, ...], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError) as info:
        register_check(*args, **kwargs)
    assert message in str(info.value)
    assert "ok_name" not in known_checks()


def test_unregister_check_refuses_a_non_string() -> None:
    with pytest.raises(TypeError, match="check name must be a string, got 123 of type int"):
        unregister_check(123)  # type: ignore[arg-type]


def test_custom_check_can_be_on_by_default() -> None:
    register_check("always_finds", lambda context: ["something"], default=True, strict=False)
    try:

        class Case:
            @strict
            def test(self) -> None:
                pass

            @fail_on(always_finds=False)
            def test_off(self) -> None:
                pass

        assert resolve_checks(Case, None)["always_finds"] is True
        assert resolve_checks(Case, Case.test_off)["always_finds"] is False
        with LoopGuard() as loop:
            assert names(check_loop(loop, always_finds=True)) == ["always_finds"]
    finally:
        unregister_check("always_finds")


def test_gc_collect_runs_only_for_the_checks_that_need_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # A full collection costs milliseconds per test; the default (all-off) checks and the
    # loop-inspecting ones must never pay for it.
    from aiotestkit_loopguard import _guard

    calls: list[int] = []

    def collect(*args: object) -> int:
        calls.append(1)
        return 0

    monkeypatch.setattr(gc, "collect", collect)
    with LoopGuard() as loop:
        loop.run_until_complete(asyncio.sleep(0))
        guard = _guard.guard_of(loop)
        assert guard is not None
        guard.assert_clean(resolve_checks(type(guard), None))  # the defaults
        guard.assert_clean(
            {
                "unused_loop": True,
                "active_handles": True,
                "active_selector_callbacks": True,
                "leftover_tasks": True,
                "forbidden_get_event_loop": True,
            }
        )
        assert calls == []
        for name in ("loop_exceptions", "unawaited_coroutines", "unclosed_resources"):
            guard.assert_clean({name: True})
        assert len(calls) == 3
    assert len(calls) == 3  # close() never collects


def test_leak_error_message_says_leaked_only_for_leftovers() -> None:
    task = Finding("leftover_tasks", "task still running: 'x'")
    timer = Finding("active_handles", "pending timer y")
    assert (
        str(LeakError([task]))
        == "the test leaked 1 item:\n - leftover_tasks: task still running: 'x'"
    )
    assert str(LeakError([task, timer])).startswith("the test leaked 2 items:\n - leftover_tasks")
    unused = Finding("unused_loop", "the loop did not run during the test")
    assert str(LeakError([unused])) == (
        "the test failed 1 check:\n - unused_loop: the loop did not run during the test"
    )
    raised = [Finding("loop_exceptions", "a"), Finding("loop_exceptions", "b")]
    assert str(LeakError(raised)).startswith("the test failed 1 check:\n - loop_exceptions: a\n")
    assert str(LeakError([task, *raised])).startswith("the test failed 2 checks:\n")
    custom = Finding("open_db_connections", "connection 'c' left open")
    assert str(LeakError([custom])).startswith("the test leaked 1 item:")


def test_unused_loop_is_a_failed_check_not_a_leak(guard: LoopGuard) -> None:
    with pytest.raises(LeakError) as info:
        guard.assert_clean(unused_loop=True)
    assert str(info.value) == (
        "the test failed 1 check:\n - unused_loop: the loop did not run during the test"
    )
    guard.loop.call_later(10, print)
    guard.loop.run_until_complete(asyncio.sleep(0))
    with pytest.raises(LeakError, match=r"^the test leaked 1 item:\n - active_handles: pending"):
        guard.assert_clean(unused_loop=True, active_handles=True)


def test_leak_error_survives_pickle_and_copy() -> None:
    leaked = LeakError([Finding("leftover_tasks", "task x"), Finding("active_handles", "timer y")])
    failed = LeakError([Finding("unused_loop", "the loop did not run during the test")])
    for error in (leaked, failed):
        clones: list[LeakError] = [pickle.loads(pickle.dumps(error)), copy.copy(error)]
        for clone in clones:
            assert isinstance(clone, AssertionError)
            assert clone.findings == error.findings
            assert str(clone) == str(error)


async def sleeps_an_hour() -> None:
    await asyncio.sleep(3600)


def test_a_sleeping_leftover_task_is_reported_once_not_also_its_timer(guard: LoopGuard) -> None:
    loop = guard.loop
    task = loop.create_task(sleeps_an_hour(), name="sleeper")
    other = loop.call_later(60, print, "unrelated")  # a timer of its own: still a leak
    loop.run_until_complete(asyncio.sleep(0))
    both = {"leftover_tasks": True, "active_handles": True}
    findings = guard.check(both)
    assert names(findings) == ["active_handles", "leftover_tasks"]
    assert "print" in findings[0].message
    assert "'sleeper'" in findings[1].message
    assert names(check_loop(loop)) == ["active_handles", "leftover_tasks"]  # every check
    other.cancel()
    assert names(guard.check(both)) == ["leftover_tasks"]
    task.cancel()
    loop.run_until_complete(asyncio.sleep(0))
    assert guard.check(both) == []


def test_a_sleeping_task_s_timer_is_reported_without_leftover_tasks(guard: LoopGuard) -> None:
    loop = guard.loop
    task = loop.create_task(sleeps_an_hour())
    loop.run_until_complete(asyncio.sleep(0))
    [finding] = guard.check(only("active_handles"))
    assert "_set_result_unless_cancelled" in finding.message
    assert names(guard.check(active_handles=True, leftover_tasks=False)) == ["active_handles"]
    task.cancel()
    loop.run_until_complete(asyncio.sleep(0))


def test_a_timer_waking_a_future_some_other_way_is_still_reported(guard: LoopGuard) -> None:
    loop = guard.loop
    future = loop.create_future()
    loop.call_later(60, future.set_result, None)  # not asyncio.sleep's timer: its own leak
    task = loop.create_task(asyncio.wait_for(future, None))
    loop.run_until_complete(asyncio.sleep(0))
    found = guard.check(active_handles=True, leftover_tasks=True)
    assert names(found) == ["active_handles", "leftover_tasks"]
    task.cancel()
    loop.run_until_complete(asyncio.sleep(0))


@pytest.fixture
def shared_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A current loop for ``use_default_loop`` guards, closed and unset afterwards."""
    state = _compat.capture_current_loop()
    shared = asyncio.new_event_loop()
    asyncio.set_event_loop(shared)
    try:
        yield shared
    finally:
        _compat.restore_current_loop(state)
        shared.close()


def _noop() -> None:
    pass


def test_new_timers_are_reported_when_a_baseline_timer_was_freed(
    shared_loop: asyncio.AbstractEventLoop,
) -> None:
    shared_loop.call_later(0, _noop)  # existed before the test; runs, and is freed, during it
    with LoopGuard(use_default_loop=True, debug=False) as loop:
        loop.run_until_complete(asyncio.sleep(0))
        loop.run_until_complete(asyncio.sleep(0))
        # Freed memory is reused at once: one of these used to get the old timer's id, and
        # went unreported, when the baseline kept ids only.
        timers = [loop.call_later(100, _noop) for _ in range(50)]
        assert len(check_loop(loop, active_handles=True)) == 50
        for timer in timers:
            timer.cancel()


def test_a_reader_replacing_a_baseline_reader_is_reported(
    shared_loop: asyncio.AbstractEventLoop,
) -> None:
    a, b = socket.socketpair()
    try:
        shared_loop.add_reader(a, _noop)  # existed before the test
        with LoopGuard(use_default_loop=True, debug=False) as loop:
            loop.remove_reader(a)  # the baseline handle is freed...
            loop.add_reader(a, _noop)  # ...and a new one may take its memory, and id
            [finding] = check_loop(loop, active_selector_callbacks=True)
            assert finding.message.startswith(f"add_reader({a!r}, ...) never removed")
            loop.remove_reader(a)
    finally:
        a.close()
        b.close()


def test_check_loop_without_names_runs_what_strict_turns_on() -> None:
    register_check("lax_off", lambda context: ["lax_off found"], strict=False)
    register_check("lax_on", lambda context: ["lax_on found"], strict=False, default=True)
    register_check("strict_one", lambda context: ["strict_one found"])
    try:

        class Case:
            @strict
            def test(self) -> None:
                pass

        under_strict = [name for name, on in resolve_checks(Case, Case.test).items() if on]
        assert "lax_off" not in under_strict
        with LoopGuard() as loop:
            loop.run_until_complete(asyncio.sleep(0))
            found = names(check_loop(loop))
            assert found == ["lax_on", "strict_one"]
            assert set(found) <= set(under_strict)
            assert names(check_loop(loop, lax_off=True)) == ["lax_off"]  # when named, it runs
    finally:
        for name in ("lax_off", "lax_on", "strict_one"):
            unregister_check(name)
