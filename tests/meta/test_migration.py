"""MIGRATING.md, section 2: each row's aiotestkit side, one test per row, named after it.

asynctest's side is described in /work/shared/notes/asynctest-reference.md (it cannot run on
the Pythons tested here). Test cases are defined inside the tests, so that pytest does not
collect them, and run programmatically with a ``unittest.TestResult``.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.metadata
import importlib.util
import inspect
import logging
import os
import re
import sys
import threading
import types
import unittest
import unittest.mock
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pytest

import aiotestkit
import aiotestkit as asynctest

MIGRATING = Path(__file__).resolve().parents[2] / "packages" / "meta" / "MIGRATING.md"
FIRST_FAKE_FD = 1 << 30

T = TypeVar("T")


def run(*cases: unittest.TestCase) -> unittest.TestResult:
    """Run test cases the way a runner does and return the result."""
    result = unittest.TestResult()
    unittest.TestSuite(cases).run(result)
    return result


def messages(result: unittest.TestResult) -> str:
    return "\n".join(text for _, text in result.errors + result.failures)


def in_thread(func: Callable[[], T]) -> T:
    """Run ``func`` in a fresh thread: its current-loop state starts empty and stays there."""
    box: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            box.append(func())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return box[0]


class LogRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def asyncio_log() -> Iterator[LogRecords]:
    handler = LogRecords()
    logger = logging.getLogger("asyncio")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


@pytest.fixture
def target_module() -> Iterator[types.ModuleType]:
    """A module ``migration_target`` to patch by name."""
    module = types.ModuleType("migration_target")

    async def fetch() -> str:
        return "real"

    module.fetch = fetch  # type: ignore[attr-defined]
    module.value = "original"  # type: ignore[attr-defined]
    module.settings = {"mode": "original"}  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    try:
        yield module
    finally:
        del sys.modules[module.__name__]


# ------------------------------------------------------------------------------------------------
# Test cases


def test_python() -> None:
    assert sys.version_info >= (3, 10)
    assert importlib.metadata.metadata("aiotestkit")["Requires-Python"] == ">=3.10"


def test_generator_based_tests() -> None:
    ran: list[bool] = []

    class Case(asynctest.TestCase):
        def test_generator(self) -> Iterator[None]:
            ran.append(True)
            yield

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run(Case("test_generator"))
    assert result.wasSuccessful()
    assert ran == []  # the body never ran
    assert any(
        issubclass(w.category, DeprecationWarning) and "generator" in str(w.message) for w in caught
    )
    assert sys.version_info < (3, 11) or not hasattr(asyncio, "coroutine")


def test_plain_function_returning_an_awaitable() -> None:
    log: list[str] = []

    async def record(tag: str) -> None:
        log.append(tag)

    class Case(asynctest.TestCase):
        def setUp(self) -> Any:  # a sync setUp returning a coroutine
            return record("setUp")

        def test_future(self) -> Any:
            self.addCleanup(lambda: record("lambda cleanup"))
            self.addCleanup(functools.partial(record, "partial cleanup"))
            future = self.loop.create_future()
            self.loop.call_soon(future.set_result, None)
            future.add_done_callback(lambda _: log.append("future awaited"))
            return future

    result = run(Case("test_future"))
    assert result.wasSuccessful(), messages(result)
    assert log == ["setUp", "future awaited", "partial cleanup", "lambda cleanup"]


def test_loop_installation() -> None:
    seen: list[object] = []
    policy_before = asyncio.get_event_loop_policy() if sys.version_info < (3, 14) else None

    class Case(asynctest.TestCase):
        def test_sync(self) -> None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                seen.append(asyncio.get_event_loop() is self.loop)
            if policy_before is not None:
                seen.append(asyncio.get_event_loop_policy() is policy_before)

    result = run(Case("test_sync"))
    assert result.wasSuccessful(), messages(result)
    assert seen
    assert all(seen)


def test_use_default_loop() -> None:
    class Case(asynctest.TestCase):
        use_default_loop = True
        loops: ClassVar[list[asyncio.AbstractEventLoop]] = []

        def test_a(self) -> None:
            self.loops.append(self.loop)

        def test_b(self) -> None:
            self.loops.append(self.loop)

    def scenario() -> tuple[unittest.TestResult, bool, bool]:
        # A fresh thread has no current loop: the first test creates one, the next reuses it.
        result = run(Case("test_a"), Case("test_b"))
        first, second = Case.loops
        still_current = asyncio.get_event_loop() is first  # set, so no warning, no creation
        open_after = not first.is_closed()
        first.close()
        asyncio.set_event_loop(None)
        return result, first is second and still_current, open_after

    result, shared_and_current, open_after = in_thread(scenario)
    assert result.wasSuccessful(), messages(result)
    assert shared_and_current
    assert open_after


def test_custom_loop_factory() -> None:
    errors: list[str] = []

    class Plain(asynctest.TestCase):
        loop_factory = asyncio.SelectorEventLoop

        def test_plain_loop(self) -> None:
            assert type(self.loop) is asyncio.SelectorEventLoop
            with self.assertRaisesRegex(TypeError, "TestSelector"):
                asynctest.set_read_ready(asynctest.SocketMock(), self.loop)

    class Clocked(asynctest.ClockedTestCase):
        loop_factory = asyncio.SelectorEventLoop

        def test_refused(self) -> None:
            errors.append("ran")  # pragma: no cover - never reached

    result = run(Plain("test_plain_loop"))
    assert result.wasSuccessful(), messages(result)
    result = run(Clocked("test_refused"))
    assert errors == []
    assert "must return an aiotestkit_clock.ClockedEventLoop" in messages(result)


def test_loop_teardown(asyncio_log: LogRecords) -> None:
    log: list[str] = []
    threads: list[threading.Thread] = []

    class Case(asynctest.TestCase):
        async def test_leaves_work_behind(self) -> None:
            async def waits() -> None:
                try:
                    await asyncio.sleep(3600)
                except asyncio.CancelledError:
                    log.append("task cancelled")
                    raise

            async def fails_on_cancel() -> None:
                try:
                    await asyncio.sleep(3600)
                except asyncio.CancelledError:
                    raise ValueError("error while cancelled") from None

            async def generator() -> AsyncIterator[int]:
                try:
                    yield 1
                    yield 2
                finally:
                    log.append("async generator closed")

            self.generator = generator()
            await self.generator.__anext__()
            self.tasks = [asyncio.ensure_future(waits()), asyncio.ensure_future(fails_on_cancel())]
            await self.loop.run_in_executor(
                None, lambda: threads.append(threading.current_thread())
            )
            await asyncio.sleep(0)

    result = run(Case("test_leaves_work_behind"))
    assert result.wasSuccessful(), messages(result)
    assert sorted(log) == ["async generator closed", "task cancelled"]
    assert threads
    assert not threads[0].is_alive()  # the default executor was shut down
    assert any("error while cancelled" in message for message in asyncio_log.messages)


def test_self_loop_after_the_test() -> None:
    class Case(asynctest.TestCase):
        def test_nothing(self) -> None:
            pass

    case = Case("test_nothing")
    run(case)
    with pytest.raises(AttributeError):
        _ = case.loop


def test_asyncio_debug_mode() -> None:
    debug: dict[str, bool] = {}

    class FollowsEnvironment(asynctest.TestCase):
        def test_debug(self) -> None:
            debug["default"] = self.loop.get_debug()

    class On(asynctest.TestCase):
        loop_debug = True

        def test_debug(self) -> None:
            debug["on"] = self.loop.get_debug()

    class Off(asynctest.TestCase):
        loop_debug = False

        def test_debug(self) -> None:
            debug["off"] = self.loop.get_debug()

    result = run(FollowsEnvironment("test_debug"), On("test_debug"), Off("test_debug"))
    assert result.wasSuccessful(), messages(result)
    environment = sys.flags.dev_mode or bool(os.environ.get("PYTHONASYNCIODEBUG"))
    assert debug == {"default": environment, "on": True, "off": False}


def test_forbid_get_event_loop() -> None:
    raised: list[BaseException] = []

    class Case(asynctest.TestCase):
        forbid_get_event_loop = True

        def test_caught_by_assert_raises(self) -> None:
            with self.assertRaises(AssertionError) as cm:
                asyncio.get_event_loop()
            raised.append(cm.exception)

        def test_swallowed_by_the_code(self) -> None:
            try:
                asyncio.get_event_loop()
            except RuntimeError as exc:  # what pytest-asyncio and others catch
                raised.append(exc)

        @asynctest.strict
        def test_swallowed_under_strict(self) -> None:
            try:
                asyncio.get_event_loop()
            except RuntimeError as exc:
                raised.append(exc)

        async def test_inside_the_loop(self) -> None:
            assert asyncio.get_event_loop() is self.loop

    result = run(
        Case("test_caught_by_assert_raises"),
        Case("test_swallowed_by_the_code"),
        Case("test_swallowed_under_strict"),
        Case("test_inside_the_loop"),
    )
    assert len(raised) == 3
    for exc in raised:
        assert isinstance(exc, asynctest.GetEventLoopForbiddenError)
        assert isinstance(exc, AssertionError)
        assert isinstance(exc, RuntimeError)
    # As in asynctest, a caught error passes; the `forbidden_get_event_loop` check (on under
    # @strict) fails a test whose code swallowed one. The running loop is still answered.
    assert len(result.failures) == 1, messages(result)
    assert not result.errors
    assert messages(result).count("forbidden_get_event_loop") == 1


def test_clockedtestcase_a_timer_awaited_without_advance() -> None:
    now: list[float] = []

    class Stuck(asynctest.ClockedTestCase):
        async def test_sleep(self) -> None:
            await asyncio.sleep(1)

    class Jumps(asynctest.ClockedTestCase):
        autojump = True

        async def test_sleep(self) -> None:
            await asyncio.sleep(3600)
            now.append(self.loop.time())

    result = run(Stuck("test_sleep"))
    assert len(result.errors) == 1
    assert "DeadlockError" in messages(result)
    assert "advance()" in messages(result)
    result = run(Jumps("test_sleep"))
    assert result.wasSuccessful(), messages(result)
    assert now == [3600.0]


def test_clockedtestcase_in_debug_mode(asyncio_log: LogRecords) -> None:
    class Case(asynctest.ClockedTestCase):
        loop_debug = True

        async def test_advance(self) -> None:
            fired: list[float] = []
            self.loop.call_later(5, lambda: fired.append(self.loop.time()))
            await self.advance(3600)
            assert fired == [5.0]

    result = run(Case("test_advance"))
    assert result.wasSuccessful(), messages(result)
    assert not [message for message in asyncio_log.messages if "Executing" in message]


def test_clockedtestcase_use_default_loop() -> None:
    class Case(asynctest.ClockedTestCase):
        use_default_loop = True

        async def test_advance(self) -> None:
            await self.advance(10)

    def scenario(loop: asyncio.AbstractEventLoop) -> tuple[unittest.TestResult, float]:
        asyncio.set_event_loop(loop)
        try:
            return run(Case("test_advance")), loop.time()
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    result, _ = in_thread(lambda: scenario(asyncio.SelectorEventLoop()))
    assert "needs the thread's current loop to be an aiotestkit_clock.ClockedEventLoop" in (
        messages(result)
    )
    clocked = asynctest.ClockedEventLoop(selector=asynctest.TestSelector())
    result, after = in_thread(lambda: scenario(clocked))
    assert result.wasSuccessful(), messages(result)
    assert after == 10.0  # the loop's own clock; nothing was patched on it


def test_functiontestcase_async_fn() -> None:
    ran: list[bool] = []

    async def failing_test() -> None:
        await asyncio.sleep(0)
        ran.append(True)
        raise AssertionError("awaited")

    result = run(asynctest.FunctionTestCase(failing_test))
    assert ran == [True]
    assert len(result.failures) == 1


def test_docleanups_outside_run() -> None:
    done: list[str] = []

    class Case(asynctest.TestCase):
        def test_nothing(self) -> None:
            pass

    case = Case("test_nothing")
    case.addCleanup(done.append, "cleaned")
    assert case.doCleanups() is True
    assert done == ["cleaned"]


def test_docleanups_called_by_a_test() -> None:
    done: list[str] = []

    async def async_cleanup(tag: str) -> None:
        done.append(tag)

    class Case(asynctest.TestCase):
        def test_sync(self) -> None:
            self.addCleanup(async_cleanup, "sync test")
            assert self.doCleanups() is True  # ran at once
            assert done == ["sync test"]

        async def test_async(self) -> None:
            self.addCleanup(async_cleanup, "async test")
            pending = self.doCleanups()
            assert inspect.isawaitable(pending)
            assert done == ["sync test"]
            assert await pending is True
            assert done == ["sync test", "async test"]

    result = run(Case("test_sync"), Case("test_async"))
    assert result.wasSuccessful(), messages(result)


def test_assertasyncraises() -> None:
    class Case(asynctest.TestCase):
        async def test_forms(self) -> None:
            async def fails() -> None:
                raise ValueError("bad")

            exc = await self.assertAsyncRaises(ValueError, fails())
            assert exc.args == ("bad",)
            async with self.assertAsyncRaises(ValueError) as cm:
                await fails()
            assert cm.exception.args == ("bad",)
            async with self.assertAsyncRaisesRegex(ValueError, "ba+d"):
                await fails()
            with self.assertRaisesRegex(AssertionError, "my message"):
                await self.assertAsyncRaises(KeyError, asyncio.sleep(0), msg="my message")

    result = run(Case("test_forms"))
    assert result.wasSuccessful(), messages(result)


def test_ignore_loop() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")

        @asynctest.ignore_loop
        def test_a() -> None:
            pass

        @asynctest.ignore_loop()
        def test_b() -> None:
            pass

    from aiotestkit_loopguard import resolve_checks

    class Case(asynctest.TestCase):
        @asynctest.fail_on(unused_loop=True)
        @asynctest.ignore_loop
        def test_sync(self) -> None:
            pass

    assert resolve_checks(Case, "test_sync")["unused_loop"] is True  # outermost wins
    assert resolve_checks(Case, test_a)["unused_loop"] is False


def test_exhaust_callbacks() -> None:
    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        seen: list[str] = []
        loop.call_soon(lambda: loop.call_soon(seen.append, "chained"))
        await asynctest.exhaust_callbacks(loop)
        await asynctest.exhaust_callbacks()  # the running loop

        def again() -> None:
            loop.call_soon(again)

        loop.call_soon(again)
        with pytest.raises(ValueError, match="max_rounds"):
            await asynctest.exhaust_callbacks(max_rounds=20)
        return seen

    loop = asynctest.new_fakeio_loop()
    try:
        assert loop.run_until_complete(main()) == ["chained"]
    finally:
        loop.close()


# ------------------------------------------------------------------------------------------------
# Checks


def test_fail_on_per_method_results() -> None:
    class Base(asynctest.TestCase):
        @asynctest.fail_on(unused_loop=False)
        def test_leaves_a_timer(self) -> None:
            self.loop.call_later(3600, lambda: None)

    @asynctest.fail_on(active_handles=True)
    class Child(Base):
        pass

    for order in ((Base, Child), (Child, Base)):
        outcomes = {klass: run(klass("test_leaves_a_timer")).wasSuccessful() for klass in order}
        assert outcomes == {Base: True, Child: False}


def test_checks_on_a_failing_test() -> None:
    class Case(asynctest.TestCase):
        @asynctest.fail_on(active_handles=True)
        def test_fails_and_leaks(self) -> None:
            self.loop.call_later(3600, lambda: None)
            self.fail("the test's own failure")

    result = run(Case("test_fails_and_leaks"))
    assert len(result.failures) == 1
    assert "the test's own failure" in messages(result)
    assert "active_handles" not in messages(result)


def test_strict() -> None:
    new_checks = {
        "leftover_tasks",
        "loop_exceptions",
        "unawaited_coroutines",
        "unclosed_resources",
        "forbidden_get_event_loop",
    }
    assert {"unused_loop", "active_handles", "active_selector_callbacks"} | new_checks <= set(
        asynctest.known_checks()
    )

    @asynctest.strict
    class Case(asynctest.TestCase):
        async def test_leaks_a_task(self) -> None:
            self.task = asyncio.ensure_future(asyncio.Event().wait())
            await asyncio.sleep(0)

    result = run(Case("test_leaks_a_task"))
    assert len(result.failures) == 1
    assert "leftover_tasks: task still running" in messages(result)


def test_active_selector_callbacks_default() -> None:
    assert asynctest.known_checks()["active_selector_callbacks"] is False

    class Case(asynctest.TestCase):
        def test_leaves_a_reader(self) -> None:
            self.loop.add_reader(asynctest.SocketMock(), lambda: None)

    assert run(Case("test_leaves_a_reader")).wasSuccessful()
    fail_on_readers = asynctest.fail_on(active_selector_callbacks=True)
    result = run(fail_on_readers(Case)("test_leaves_a_reader"))
    assert "active_selector_callbacks" in messages(result)


# ------------------------------------------------------------------------------------------------
# Mocks and patches


def test_patch_on_a_coroutine() -> None:
    class Target:
        value = "original"

    mocks: list[Any] = []

    @asynctest.patch.object(Target, "value")
    async def overlapping(mock: Any) -> None:
        mocks.append(mock)
        await asyncio.sleep(0)

    seen: list[str] = []

    @asynctest.patch.object(Target, "value", new="patched", scope=asynctest.LIMITED)
    async def limited() -> None:
        seen.append(Target.value)
        await asyncio.sleep(0)
        seen.append(Target.value)

    async def other_task() -> None:
        seen.append(f"other task: {Target.value}")

    async def main() -> None:
        await asyncio.gather(overlapping(), overlapping())
        await asyncio.gather(limited(), other_task())

    asyncio.run(main())
    assert mocks[0] is not mocks[1]
    assert Target.value == "original"
    assert seen == ["patched", "other task: original", "patched"]


def test_scope_limited_on_a_plain_function_and_async_generators() -> None:
    class Target:
        value = "original"

    def plain() -> None:
        pass

    async def async_generator() -> AsyncIterator[str]:
        yield Target.value

    with pytest.raises(TypeError, match="scope=LIMITED"):
        asynctest.patch.object(Target, "value", new="x", scope=asynctest.LIMITED)(plain)

    # Async generator functions: GLOBAL covers their whole iteration (asynctest and
    # unittest.mock patch only the call that creates the generator); LIMITED each step.
    for scope in (asynctest.GLOBAL, asynctest.LIMITED):
        generator = asynctest.patch.object(Target, "value", new="patched", scope=scope)(
            async_generator
        )

        async def iterate() -> list[str]:
            return [value async for value in generator()]  # noqa: B023

        assert asyncio.run(iterate()) == ["patched"]
        assert Target.value == "original"

    @asynctest.patch.object(Target, "value", new="patched", scope=asynctest.LIMITED)
    class Case(asynctest.TestCase):
        def test_sync(self) -> None:
            assert Target.value == "patched"

    result = run(Case("test_sync"))
    assert result.wasSuccessful(), messages(result)


def test_patch_target(target_module: types.ModuleType) -> None:
    asynctest.patch("migration_module_not_imported_yet.attribute")  # no import at patch()
    assert "migration_module_not_imported_yet" not in sys.modules
    missing = asynctest.patch("migration_target.missing")  # checked only when it starts
    with pytest.raises(AttributeError), missing:
        pass
    # The mock class is chosen from the value present when the patch starts.
    later = asynctest.patch("migration_target.value")
    target_module.value = target_module.fetch  # type: ignore[attr-defined]
    with later as mock:
        assert isinstance(mock, asynctest.CoroutineMock)
    # #153: what the target is when the patch starts decides, for `with` and decorator alike.
    with unittest.mock.patch("migration_target.fetch", new_callable=unittest.mock.MagicMock):
        with asynctest.patch("migration_target.fetch") as mock:
            assert not isinstance(mock, unittest.mock.AsyncMock)
    with asynctest.patch("migration_target.fetch") as mock:
        assert isinstance(mock, asynctest.CoroutineMock)


def test_patch_dict_scope_limited_on_a_class(target_module: types.ModuleType) -> None:
    settings: dict[str, str] = target_module.settings
    seen: list[str] = []

    @asynctest.patch.dict("migration_target.settings", {"mode": "test"}, scope=asynctest.LIMITED)
    class Case(asynctest.TestCase):
        async def test_other_task_sees_the_original(self) -> None:
            async def other() -> None:
                seen.append(f"other: {settings['mode']}")

            task = asyncio.ensure_future(other())
            await asyncio.sleep(0)
            seen.append(settings["mode"])
            await task

    result = run(Case("test_other_task_sees_the_original"))
    assert result.wasSuccessful(), messages(result)
    assert seen == ["other: original", "test"]
    assert settings == {"mode": "original"}


def test_coroutinemock() -> None:
    mock = asynctest.CoroutineMock(name="fetch")
    assert inspect.iscoroutinefunction(mock)
    if sys.version_info < (3, 14):  # deprecated on 3.14
        assert asyncio.iscoroutinefunction(mock)
    assert isinstance(mock, unittest.mock.AsyncMock)
    with pytest.raises(AssertionError, match="fetch"):
        mock.assert_awaited()


def test_coroutinemock_keeps_asynctest_semantics() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        release = asyncio.Event()

        async def slow() -> str:
            await release.wait()
            return "done"

        mock = asynctest.CoroutineMock(side_effect=slow)
        task = asyncio.ensure_future(mock())
        await asyncio.sleep(0)
        assert (mock.call_count, mock.await_count, bool(mock.awaited)) == (1, 0, False)
        release.set()
        assert await task == "done"
        assert mock.await_count == 1  # counted when the await completed

        exhausted = asynctest.CoroutineMock(side_effect=[1])
        assert await exhausted() == 1
        with pytest.raises(StopIteration):
            exhausted()  # at call time, not inside the await

        future = loop.create_future()
        future.set_result("from the future")
        assert await asynctest.CoroutineMock(return_value=future)() == "from the future"

        default = asynctest.CoroutineMock()
        result = await default()
        assert isinstance(result, unittest.mock.MagicMock)
        assert not isinstance(result, unittest.mock.AsyncMock)
        assert not isinstance(default.child, unittest.mock.AsyncMock)

    asyncio.run(main())


def test_autospecced_coroutine_methods() -> None:
    class Client:
        async def fetch(self, key: str) -> str:
            return key

    async def main() -> None:
        instance = asynctest.create_autospec(Client).return_value
        await instance.fetch("a")
        assert instance.fetch.await_count == 1
        client = Client()
        with asynctest.patch.object(Client, "fetch", autospec=True) as mock:
            await client.fetch("b")
        assert mock.await_count == 1
        with pytest.raises(TypeError):
            instance.fetch()  # the signature is checked

    asyncio.run(main())


def test_importing_the_library() -> None:
    # asynctest added async magics to unittest.mock's tables. Compare them with a pristine copy
    # of unittest.mock, executed afresh from its source.
    spec = importlib.util.spec_from_file_location("pristine_mock", unittest.mock.__file__)
    assert spec is not None
    assert spec.loader is not None
    pristine: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pristine)
    current: Any = unittest.mock
    assert current._all_magics == pristine._all_magics
    assert current._return_values == pristine._return_values
    assert set(current._side_effect_methods) == set(pristine._side_effect_methods)
    assert all(
        factory.__module__ == "unittest.mock" for factory in current._side_effect_methods.values()
    )


def test_from_asynctest_import_star() -> None:
    namespace: dict[str, Any] = {}
    exec("from aiotestkit import *", namespace)
    for name in ("CoroutineMock", "ClockedTestCase", "patch", "fail_on", "SocketMock"):
        assert namespace[name] is getattr(aiotestkit, name)
    assert set(aiotestkit.__all__) <= set(namespace)


# ------------------------------------------------------------------------------------------------
# Fake I/O


def test_fake_file_objects() -> None:
    class Case(asynctest.TestCase):
        async def test_socket_mock(self) -> None:
            sock = asynctest.SocketMock()
            readable = asyncio.Event()
            self.loop.add_reader(sock, readable.set)
            self.addCleanup(self.loop.remove_reader, sock)
            asynctest.set_read_ready(sock, self.loop)
            await asyncio.wait_for(readable.wait(), 1)

    result = run(Case("test_socket_mock"))
    assert result.wasSuccessful(), messages(result)
    loop = asynctest.new_fakeio_loop()  # the public constructor, as the test case uses
    try:
        assert type(loop) is asyncio.SelectorEventLoop
    finally:
        loop.close()


def test_filedescriptor() -> None:
    automatic = asynctest.FileDescriptor()
    assert automatic >= FIRST_FAKE_FD
    assert asynctest.FileMock().fileno() >= FIRST_FAKE_FD
    with pytest.raises(ValueError, match="start at"):
        asynctest.FileDescriptor(3)
    assert asynctest.FileDescriptor(FIRST_FAKE_FD + 10**6) == FIRST_FAKE_FD + 10**6
    assert hash(automatic) == hash(int(automatic))
    assert {int(automatic): "same key"}[automatic] == "same key"
    assert not hasattr(asynctest.FileDescriptor, "next_fd")


def test_filedescriptor_explicit_value_is_reserved() -> None:
    first = asynctest.FileDescriptor()
    explicit = asynctest.FileDescriptor(first + 1)
    assert asynctest.FileDescriptor() != explicit


def test_a_filemock_on_a_loop_without_testselector() -> None:
    loop = asyncio.SelectorEventLoop()
    try:
        mock = asynctest.FileMock()
        with pytest.raises(OSError, match="Bad file descriptor"):
            loop.add_reader(mock, lambda: None)  # never a real descriptor
        with pytest.raises(TypeError, match="TestSelector"):
            asynctest.set_read_ready(mock, loop)
        with pytest.raises(TypeError, match="TestSelector"):
            asynctest.set_write_ready(mock, loop)
    finally:
        loop.close()


def test_set_read_ready_set_write_ready() -> None:
    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        events: list[str] = []
        sock = asynctest.SocketMock()
        asynctest.set_read_ready(sock)  # the running loop; nobody reads yet: it waits
        both = asyncio.Event()

        def on(kind: str) -> None:
            events.append(kind)
            if len(events) == 2:
                both.set()

        loop.add_reader(sock, on, "read")
        loop.add_writer(sock, on, "write")
        worker = threading.Thread(target=asynctest.set_write_ready, args=(sock, loop))
        worker.start()
        worker.join()
        await asyncio.wait_for(both.wait(), 1)
        loop.remove_reader(sock)
        loop.remove_writer(sock)
        return sorted(events)

    loop = asynctest.new_fakeio_loop()
    try:
        assert loop.run_until_complete(main()) == ["read", "write"]
    finally:
        loop.close()


def test_fd_isfilemock() -> None:
    assert asynctest.fd(3) == 3
    mock = asynctest.FileMock()
    assert asynctest.fd(mock) == mock.fileno()
    with pytest.raises(ValueError, match="no file descriptor"):
        asynctest.fd(object())

    class Broken:
        def fileno(self) -> int:
            raise OSError("closed")

    assert asynctest.isfilemock(mock)
    assert not asynctest.isfilemock(Broken())
    assert not asynctest.isfilemock(3)


def test_socketmock_defaults() -> None:
    sock = asynctest.SocketMock()
    assert isinstance(sock, __import__("socket").socket)
    with pytest.raises(BlockingIOError):
        sock.recv(10)
    assert sock.send(b"hello") == 5
    assert sock.gettimeout() == 0.0
    assert sock.getpeername() == ("127.0.0.1", 8080)
    sock.recv.return_value = b"configured"
    assert sock.recv(10) == b"configured"


def test_socketmock_positional_arguments() -> None:
    # asynctest's order: SocketMock(side_effect, return_value, wraps, name, spec_set, parent).
    sock = asynctest.SocketMock(None, "reply")
    assert sock() == "reply"
    assert isinstance(sock, __import__("socket").socket)
    assert asynctest.SocketMock(side_effect=None, return_value="reply")() == "reply"


# ------------------------------------------------------------------------------------------------
# The guide itself

TESTS_BY_ROW = {
    "Python": test_python,
    "generator-based tests": test_generator_based_tests,
    "plain function returning an awaitable": test_plain_function_returning_an_awaitable,
    "loop installation": test_loop_installation,
    "`use_default_loop`": test_use_default_loop,
    "custom `loop_factory`": test_custom_loop_factory,
    "loop teardown": test_loop_teardown,
    "`self.loop` after the test": test_self_loop_after_the_test,
    "asyncio debug mode": test_asyncio_debug_mode,
    "`forbid_get_event_loop`": test_forbid_get_event_loop,
    "`ClockedTestCase`: a timer awaited without `advance()`": (
        test_clockedtestcase_a_timer_awaited_without_advance
    ),
    "`ClockedTestCase` in debug mode": test_clockedtestcase_in_debug_mode,
    "`ClockedTestCase` + `use_default_loop`": test_clockedtestcase_use_default_loop,
    "`FunctionTestCase(async_fn)`": test_functiontestcase_async_fn,
    "`doCleanups()` outside `run()`": test_docleanups_outside_run,
    "`doCleanups()` called by a test": test_docleanups_called_by_a_test,
    "`assertAsyncRaises`": test_assertasyncraises,
    "`ignore_loop`": test_ignore_loop,
    "`exhaust_callbacks`": test_exhaust_callbacks,
    "`fail_on` per-method results": test_fail_on_per_method_results,
    "checks on a failing test": test_checks_on_a_failing_test,
    "`@strict`": test_strict,
    "`active_selector_callbacks` default": test_active_selector_callbacks_default,
    "`@patch` on a coroutine": test_patch_on_a_coroutine,
    "`scope=LIMITED` on a plain function": (
        test_scope_limited_on_a_plain_function_and_async_generators
    ),
    "`patch` on an async generator function": (
        test_scope_limited_on_a_plain_function_and_async_generators
    ),
    "`patch()` target": test_patch_target,
    "`patch.dict(..., scope=LIMITED)` on a class": test_patch_dict_scope_limited_on_a_class,
    "`CoroutineMock`": test_coroutinemock,
    "autospecced coroutine methods": test_autospecced_coroutine_methods,
    "importing the library": test_importing_the_library,
    "`from asynctest import *`": test_from_asynctest_import_star,
    "fake file objects": test_fake_file_objects,
    "`FileDescriptor`": test_filedescriptor,
    "a `FileMock` on a loop without `TestSelector`": (
        test_a_filemock_on_a_loop_without_testselector
    ),
    "`set_read_ready` / `set_write_ready`": test_set_read_ready_set_write_ready,
    "`fd()` / `isfilemock()`": test_fd_isfilemock,
    "`SocketMock` defaults": test_socketmock_defaults,
    "`SocketMock` positional arguments": test_socketmock_positional_arguments,
}


def section(title: str) -> str:
    text = MIGRATING.read_text()
    start = text.index(title)
    end = text.find("\n## ", start + 1)
    return text[start:] if end == -1 else text[start:end]


def test_every_row_has_a_test() -> None:
    rows = re.findall(r"^\| (.+?) \|", section("## 2. Intentional differences"), re.MULTILINE)
    areas = [row for row in rows if row not in {"area", "---"}]
    assert len(areas) == len(set(areas)), "a row is listed twice"
    assert set(areas) == set(TESTS_BY_ROW)


def test_modern_api_names_exist(pytestconfig: pytest.Config) -> None:
    """Section 3 ("moving to the modern API") names only what exists."""
    for name in ("asyncSetUp", "asyncTearDown", "addAsyncCleanup", "enterAsyncContext"):
        assert callable(getattr(asynctest.TestCase, name))
    assert asynctest.ClockedTestCase.autojump is False
    assert asynctest.TestCase.loop_factory is None
    loop = asynctest.ClockedEventLoop(autojump=True)
    try:
        assert loop.autojump is True
    finally:
        loop.close()
    peer_api = ("socket", "feed", "readexactly", "reset", "congest", "send_limit", "latency")
    peer = asynctest.FakePeer()
    for name in peer_api:
        assert hasattr(peer, name), name
    text = section("## 3. Moving to the modern API")
    for name in peer_api[1:]:
        assert name in text
    markers = " ".join(pytestconfig.getini("markers"))
    for marker in (
        "aiotestkit(",
        "aiotestkit_fail_on",
        "aiotestkit_strict",
        "forbid_get_event_loop",
    ):
        assert marker in markers, marker
    plugins = [
        plugin
        for plugin in pytestconfig.pluginmanager.get_plugins()
        if getattr(plugin, "__name__", "") == "aiotestkit_testcase._pytest_plugin"
    ]
    assert plugins
    for fixture in ("fakeio_loop", "clocked_loop", "advance"):
        assert callable(getattr(plugins[0], fixture)), fixture
        assert f"`{fixture}`" in text
