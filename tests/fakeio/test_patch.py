"""patch with scopes: GLOBAL, LIMITED, fresh mocks per call, patch.dict, bad input."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Any

import pytest

from aiotestkit_fakeio import (
    DEFAULT,
    GLOBAL,
    LIMITED,
    CoroutineMock,
    MagicMock,
    PatchScope,
    patch,
)

from . import _targets

TARGET = "tests.fakeio._targets"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def cancel_once_suspended(start: Callable[[], Awaitable[Any]]) -> None:
    """Run ``start()`` as a task, cancel it at its first suspension, expect CancelledError."""

    async def main() -> None:
        task = asyncio.ensure_future(start())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())


async def observe_fetch(seen: list[str], started: asyncio.Event) -> None:
    """A bystander task: records whether it sees the real fetch."""
    started.set()
    for _ in range(3):
        seen.append("real" if _targets.fetch.__module__ == TARGET else "patched")
        await asyncio.sleep(0)


class TestMockSelection:
    def test_coroutine_target_gets_a_coroutine_mock(self) -> None:
        with patch(f"{TARGET}.fetch") as mock:
            assert isinstance(mock, CoroutineMock)
            assert _targets.fetch is mock
        assert inspect.iscoroutinefunction(_targets.fetch)
        with patch(f"{TARGET}.compute") as mock:
            assert isinstance(mock, MagicMock)
            assert not isinstance(mock, CoroutineMock)

    def test_class_is_chosen_when_the_patch_starts(self) -> None:
        patcher = patch(f"{TARGET}.compute")
        with patch.object(_targets, "compute", _targets.fetch):
            with patcher as mock:
                assert isinstance(mock, CoroutineMock)

    def test_spec_and_autospec(self) -> None:
        with patch.object(_targets, "Service", autospec=True) as klass:
            instance = klass()
            assert isinstance(instance.call, CoroutineMock)
            run(instance.call())
            instance.call.assert_awaited_once_with()
        with patch.object(_targets.Service, "call", autospec=True) as method:
            assert isinstance(method, CoroutineMock)
            service = _targets.Service()
            method.return_value = "mocked"
            assert run(service.call()) == "mocked"
            method.assert_awaited_once_with(service)  # bound like a function, as the stdlib's
            with pytest.raises(TypeError):
                service.call("extra")  # type: ignore[call-arg, unused-coroutine]
        with patch.object(_targets, "Service", spec=True) as klass:
            assert isinstance(klass.call, CoroutineMock)

    def test_new_and_new_callable(self) -> None:
        with patch(f"{TARGET}.compute", new="replacement") as value:
            assert value == "replacement"
            assert vars(_targets)["compute"] == "replacement"
        with patch(f"{TARGET}.compute", new_callable=list) as value:
            assert value == []
        with pytest.raises(ValueError, match="new_callable"):
            patch(f"{TARGET}.compute", new=1, new_callable=list)

    def test_start_stop_and_stopall(self) -> None:
        patcher = patch.object(_targets, "compute")
        mock = patcher.start()
        assert _targets.compute is mock
        patcher.stop()
        assert _targets.compute() == "real"
        patch.object(_targets, "compute").start()
        patch.dict(_targets.CONFIG, {"mode": "x"}).start()
        patch.multiple(_targets, compute=patch.object, fetch=patch.object).start()
        patch.stopall()
        assert _targets.compute() == "real"
        assert _targets.CONFIG == {"mode": "real"}
        assert _targets.fetch.__module__ == TARGET


class TestDecoratingFunctions:
    def test_sync_function_like_the_stdlib(self) -> None:
        @patch(f"{TARGET}.compute")
        @patch.object(_targets, "fetch")
        def function(fetch_mock: Any, compute_mock: Any, extra: int) -> int:
            assert _targets.fetch is fetch_mock
            assert _targets.compute is compute_mock
            assert isinstance(fetch_mock, CoroutineMock)
            return extra

        assert function(extra=3) == 3
        assert _targets.compute() == "real"

    def test_class_decoration_patches_test_methods(self) -> None:
        @patch.object(_targets, "compute", new="patched")
        class Tests:
            def test_one(self) -> Any:
                return _targets.compute

            def helper(self) -> Any:
                return _targets.compute

        assert Tests().test_one() == "patched"
        assert Tests().helper() is _targets.compute

    def test_class_decoration_keeps_the_limited_scope(self) -> None:
        # asynctest 0.13 dropped the scope of a class-level patch.dict: its methods got GLOBAL.
        seen: list[tuple[str, str]] = []

        @patch.object(_targets, "compute", new="patched", scope=LIMITED)
        @patch.dict(_targets.CONFIG, {"mode": "patched"}, scope=LIMITED)
        class Tests:
            async def test_async(self) -> tuple[Any, str]:
                for _ in range(3):
                    await asyncio.sleep(0)
                return _targets.compute, _targets.CONFIG["mode"]

            def test_sync(self) -> tuple[Any, str]:
                # Never suspended: LIMITED covers the whole call.
                return _targets.compute, _targets.CONFIG["mode"]

        async def bystander(started: asyncio.Event) -> None:
            started.set()
            for _ in range(3):
                seen.append((getattr(_targets.compute, "__name__", "?"), _targets.CONFIG["mode"]))
                await asyncio.sleep(0)

        async def main() -> Any:
            started = asyncio.Event()

            async def test() -> Any:
                await started.wait()
                return await Tests().test_async()

            result, _ = await asyncio.gather(test(), bystander(started))
            return result

        assert run(main()) == ("patched", "patched")
        assert seen == [("compute", "real")] * 3
        assert Tests().test_sync() == ("patched", "patched")
        assert _targets.compute() == "real"
        assert _targets.CONFIG == {"mode": "real"}

    def test_fresh_mock_for_every_call(self) -> None:
        @patch(f"{TARGET}.fetch")
        async def uses(mock: Any) -> Any:
            await _targets.fetch("u")
            mock.assert_awaited_once_with("u")
            return mock

        first, second = run(uses()), run(uses())
        assert first is not second
        assert inspect.iscoroutinefunction(uses)

    def test_global_is_visible_to_other_tasks(self) -> None:
        @patch(f"{TARGET}.fetch", scope=GLOBAL)
        async def patched(seen: list[str], started: asyncio.Event, mock: Any) -> None:
            await started.wait()
            await asyncio.sleep(0)
            await asyncio.sleep(0)

        async def main() -> list[str]:
            seen: list[str] = []
            started = asyncio.Event()
            await asyncio.gather(patched(seen, started), observe_fetch(seen, started))
            return seen

        assert "patched" in run(main())
        assert _targets.fetch.__module__ == TARGET

    def test_limited_is_invisible_to_other_tasks(self) -> None:
        inside: list[bool] = []

        @patch(f"{TARGET}.fetch", scope=LIMITED)
        async def patched(started: asyncio.Event, mock: Any) -> Any:
            await started.wait()
            for _ in range(3):
                inside.append(_targets.fetch is mock)
                await asyncio.sleep(0)
            await _targets.fetch("x")
            return mock

        async def main() -> tuple[list[str], Any]:
            seen: list[str] = []
            started = asyncio.Event()
            mock, _ = await asyncio.gather(patched(started), observe_fetch(seen, started))
            return seen, mock

        seen, mock = run(main())
        assert seen == ["real"] * 3
        assert inside == [True] * 3
        mock.assert_awaited_once_with("x")

    def test_overlapping_limited_invocations(self) -> None:
        @patch(f"{TARGET}.compute", scope=LIMITED)
        async def worker(delay: int, mock: Any) -> Any:
            mock.return_value = f"mock {delay}"
            results = []
            for _ in range(delay):
                results.append(_targets.compute())
                await asyncio.sleep(0)
            return mock, results

        async def main() -> list[Any]:
            return list(await asyncio.gather(worker(2), worker(4), worker(3)))

        outcomes = run(main())
        mocks = [mock for mock, _ in outcomes]
        assert len({id(m) for m in mocks}) == 3
        for (mock, results), delay in zip(outcomes, (2, 4, 3), strict=True):
            assert results == [f"mock {delay}"] * delay
            assert mock.call_count == delay
        assert _targets.compute() == "real"

    def test_overlapping_global_invocations_end_in_any_order(self) -> None:
        @patch(f"{TARGET}.compute")
        @patch.dict(_targets.CONFIG, {"mode": "global"})
        async def worker(delay: int, mock: Any) -> Any:
            mock.return_value = delay
            for _ in range(delay):
                await asyncio.sleep(0)
            # The latest call's mock is on top while it runs.
            return _targets.compute()

        async def main() -> list[Any]:
            # The first call ends first: the stdlib would then restore the wrong value.
            return list(await asyncio.gather(worker(1), worker(3)))

        assert run(main()) == [3, 3]
        assert _targets.compute() == "real"
        assert _targets.CONFIG == {"mode": "real"}

    def test_limited_cancellation_and_exceptions_propagate(self) -> None:
        @patch(f"{TARGET}.compute", scope=LIMITED)
        async def failing(mock: Any) -> None:
            await asyncio.sleep(0)
            raise KeyError("inner")

        with pytest.raises(KeyError):
            run(failing())

        caught: list[bool] = []

        @patch(f"{TARGET}.compute", scope=LIMITED)
        async def cancelled(mock: Any) -> None:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                caught.append(_targets.compute is mock)
                raise

        cancel_once_suspended(cancelled)
        assert caught == [True]
        assert _targets.compute() == "real"

    def test_limited_generator(self) -> None:
        @patch(f"{TARGET}.compute", new="patched", scope=LIMITED)
        def generator() -> Generator[Any, Any, str]:
            received = yield _targets.compute
            assert received == "sent"
            yield _targets.compute
            return "done"

        gen = generator()
        assert next(gen) == "patched"
        assert _targets.compute() == "real"
        assert gen.send("sent") == "patched"
        with pytest.raises(StopIteration):
            next(gen)
        assert inspect.isgeneratorfunction(generator)

    def test_patch_multiple_passes_keywords(self) -> None:
        @patch.multiple(TARGET, compute=DEFAULT, fetch=DEFAULT, scope=LIMITED)
        async def uses(compute: Any, fetch: Any) -> None:
            assert isinstance(fetch, CoroutineMock)
            assert _targets.compute is compute
            await asyncio.sleep(0)
            assert _targets.fetch is fetch

        run(uses())


class TestAsyncGenerators:
    """patch on async generator functions: GLOBAL from the first step to the end; LIMITED."""

    def test_global_from_the_first_step_until_exhausted(self) -> None:
        @patch(f"{TARGET}.compute", scope=GLOBAL)
        async def items(count: int, mock: Any) -> AsyncGenerator[Any, None]:
            for _ in range(count):
                await asyncio.sleep(0)
                yield _targets.compute is mock

        async def main() -> tuple[list[bool], list[str]]:
            seen: list[str] = []
            gen = items(2)
            seen.append(_targets.compute())  # created, not started: nothing patched yet
            first = await gen.__anext__()
            # Suspended between items, still patched for everyone.
            seen.append("patched" if isinstance(_targets.compute, MagicMock) else "real")
            rest = [item async for item in gen]
            seen.append(_targets.compute())
            return [first, *rest], seen

        assert run(main()) == ([True, True], ["real", "patched", "real"])
        assert inspect.isasyncgenfunction(items)

    def test_global_ends_when_the_generator_is_closed(self) -> None:
        cleaned_up: list[bool] = []

        @patch.dict(_targets.CONFIG, {"mode": "patched"})
        async def items() -> AsyncGenerator[str, None]:
            try:
                while True:
                    yield _targets.CONFIG["mode"]
            finally:
                await asyncio.sleep(0)
                cleaned_up.append(_targets.CONFIG["mode"] == "patched")

        async def main() -> str:
            async with contextlib.aclosing(items()) as gen:
                mode: str = await gen.__anext__()  # then left suspended, and closed
            assert _targets.CONFIG == {"mode": "real"}
            return mode

        assert run(main()) == "patched"
        assert cleaned_up == [True]

    def test_limited_only_while_each_step_runs(self) -> None:
        received: list[str] = []

        @patch(f"{TARGET}.fetch", scope=LIMITED)
        async def items(started: asyncio.Event, mock: Any) -> AsyncGenerator[bool, str]:
            await started.wait()
            for _ in range(3):
                await asyncio.sleep(0)  # suspended inside a step: others see the original
                received.append((yield _targets.fetch is mock))
            yield await _targets.fetch("url") is mock.return_value

        async def consume(started: asyncio.Event) -> tuple[list[bool], list[str]]:
            between: list[str] = []
            gen = items(started)
            results = [await gen.asend(None)]
            between.append(_targets.fetch.__module__)  # between steps: the original
            for value in ("x", "y", "z"):
                results.append(await gen.asend(value))
            with pytest.raises(StopAsyncIteration):
                await gen.asend("end")
            return results, between

        async def main() -> tuple[list[bool], list[str], list[str]]:
            seen: list[str] = []
            started = asyncio.Event()
            (results, between), _ = await asyncio.gather(
                consume(started), observe_fetch(seen, started)
            )
            return results, between, seen

        assert run(main()) == ([True] * 4, [TARGET], ["real"] * 3)
        assert received == ["x", "y", "z"]

    def test_limited_athrow_and_aclose_run_with_the_patch(self) -> None:
        events: list[Any] = []

        @patch(f"{TARGET}.compute", new="patched", scope=LIMITED)
        async def items() -> AsyncGenerator[Any, None]:
            try:
                yield _targets.compute
            except KeyError as error:
                events.append((error.args[0], _targets.compute))
                yield "recovered"
            finally:
                await asyncio.sleep(0)
                events.append(("finally", _targets.compute))

        async def main() -> None:
            gen = items()
            assert await gen.__anext__() == "patched"
            assert _targets.compute() == "real"
            assert await gen.athrow(KeyError("boom")) == "recovered"
            await gen.aclose()
            failing = items()
            await failing.__anext__()
            with pytest.raises(ValueError, match="unhandled"):
                await failing.athrow(ValueError("unhandled"))

        run(main())
        assert events == [
            ("boom", "patched"),
            ("finally", "patched"),
            ("finally", "patched"),
        ]
        assert _targets.compute() == "real"

    @pytest.mark.parametrize("scope", [GLOBAL, LIMITED])
    def test_an_abandoned_generator_is_closed_by_the_loop_with_its_patches(
        self, scope: PatchScope
    ) -> None:
        events: list[Any] = []

        @patch(f"{TARGET}.compute", new="patched", scope=scope)
        async def items() -> AsyncGenerator[Any, None]:
            try:
                while True:
                    yield _targets.compute
            finally:
                await asyncio.sleep(0)
                events.append(_targets.compute)

        async def main() -> Any:
            gen = items()
            return gen, await gen.__anext__()  # then abandoned, still suspended

        loop = asyncio.new_event_loop()
        loop.set_exception_handler(lambda _loop, context: events.append(context["message"]))
        try:
            gen, first = loop.run_until_complete(main())
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
        assert first == "patched"
        assert events == ["patched"]  # no "error occurred during closing" either
        assert _targets.compute() == "real"
        del gen

    def test_overlapping_limited_invocations(self) -> None:
        @patch(f"{TARGET}.compute", scope=LIMITED)
        async def items(label: str, mock: Any) -> AsyncGenerator[Any, None]:
            mock.return_value = label
            for _ in range(3):
                await asyncio.sleep(0)
                yield _targets.compute()

        async def collect(label: str) -> list[Any]:
            return [item async for item in items(label)]

        async def main() -> list[list[Any]]:
            return list(await asyncio.gather(collect("a"), collect("b"), collect("c")))

        assert run(main()) == [["a"] * 3, ["b"] * 3, ["c"] * 3]
        assert _targets.compute() == "real"

    def test_cancellation_reaches_the_inner_generator(self) -> None:
        caught: list[bool] = []

        @patch(f"{TARGET}.compute", scope=LIMITED)
        async def items(mock: Any) -> AsyncGenerator[None, None]:
            try:
                await asyncio.sleep(10)
                yield
            except asyncio.CancelledError:
                caught.append(_targets.compute is mock)
                raise

        cancel_once_suspended(lambda: items().__anext__())
        assert caught == [True]
        assert _targets.compute() == "real"


class TestPatchDict:
    def test_global(self) -> None:
        @patch.dict(_targets.CONFIG, {"mode": "patched"})
        async def uses() -> str:
            await asyncio.sleep(0)
            return _targets.CONFIG["mode"]

        assert run(uses()) == "patched"
        assert _targets.CONFIG == {"mode": "real"}

    def test_limited_keeps_own_changes_and_hides_them_from_others(self) -> None:
        outside: list[str] = []

        @patch.dict(_targets.CONFIG, {"mode": "limited"}, scope=LIMITED)
        async def uses() -> list[str]:
            views = [_targets.CONFIG["mode"]]
            _targets.CONFIG["own"] = "kept"
            await asyncio.sleep(0)
            outside.append(_targets.CONFIG["mode"])  # not seen: we're running
            views.append(_targets.CONFIG["own"])
            return views

        async def main() -> list[str]:
            async def other() -> None:
                outside.append(_targets.CONFIG.get("own", "absent"))

            views, _ = await asyncio.gather(uses(), other())
            return list(views)

        assert run(main()) == ["limited", "kept"]
        assert outside == ["absent", "limited"]
        assert _targets.CONFIG == {"mode": "real"}

    def test_stacked_global_and_limited_on_one_dict(self) -> None:
        seen_by_others: list[dict[str, str]] = []

        @patch.dict(_targets.CONFIG, {"global": "g"})
        @patch.dict(_targets.CONFIG, {"limited": "l"}, scope=LIMITED)
        async def uses() -> dict[str, str]:
            await asyncio.sleep(0)
            return dict(_targets.CONFIG)

        async def main() -> dict[str, str]:
            async def other() -> None:
                seen_by_others.append(dict(_targets.CONFIG))

            result, _ = await asyncio.gather(uses(), other())
            return dict(result)

        assert run(main()) == {"mode": "real", "global": "g", "limited": "l"}
        assert seen_by_others == [{"mode": "real", "global": "g"}]
        assert _targets.CONFIG == {"mode": "real"}

    def test_decorated_function_restores_the_whole_dict_like_the_stdlib(self) -> None:
        # What the test adds, deletes or changes is undone too, not only the patched keys.
        config: dict[str, Any] = {"keep": 1, "drop": 2}

        @patch.dict(config, {"beta": True})
        def sync_test() -> None:
            assert config == {"keep": 1, "drop": 2, "beta": True}
            config["added"] = 1
            del config["drop"]
            config["keep"] = 99

        @patch.dict(config, {"beta": True})
        async def async_test() -> None:
            config["added"] = 1
            await asyncio.sleep(0)
            del config["drop"]
            config["keep"] = 99

        @patch.dict(config, {"beta": True})
        def generator_test() -> Generator[int, None, None]:
            config["added"] = 1
            del config["drop"]
            yield 1

        sync_test()
        assert config == {"keep": 1, "drop": 2}
        run(async_test())
        assert config == {"keep": 1, "drop": 2}
        assert list(generator_test()) == [1]
        assert config == {"keep": 1, "drop": 2}

    def test_overlapping_calls_restore_the_whole_dict_when_the_last_ends(self) -> None:
        config: dict[str, Any] = {"keep": 1}
        seen: list[dict[str, Any]] = []

        @patch.dict(config, {"beta": True})
        async def uses(name: str, done: asyncio.Event) -> None:
            config[name] = "own"
            await done.wait()

        async def main() -> None:
            first_done, second_done = asyncio.Event(), asyncio.Event()
            first = asyncio.create_task(uses("first", first_done))
            second = asyncio.create_task(uses("second", second_done))
            await asyncio.sleep(0)
            first_done.set()
            await first
            # The second call still sees the patched key (and both calls' own changes).
            seen.append(dict(config))
            second_done.set()
            await second

        run(main())
        assert seen == [{"keep": 1, "beta": True, "first": "own", "second": "own"}]
        assert config == {"keep": 1}

    def test_limited_and_clear_decorators_restore_the_whole_dict(self) -> None:
        config: dict[str, Any] = {"keep": 1, "drop": 2}

        @patch.dict(config, {"beta": True}, scope=LIMITED)
        async def limited() -> None:
            config["added"] = 1
            await asyncio.sleep(0)
            del config["drop"]

        @patch.dict(config, {"beta": True}, clear=True)
        def cleared() -> None:
            assert config == {"beta": True}
            config["added"] = 1

        run(limited())
        assert config == {"keep": 1, "drop": 2}
        cleared()
        assert config == {"keep": 1, "drop": 2}

    def test_dotted_name_and_clear(self) -> None:
        with patch.dict(f"{TARGET}.CONFIG", {"a": "b"}, clear=True):
            assert _targets.CONFIG == {"a": "b"}
        assert _targets.CONFIG == {"mode": "real"}


class TestBadInput:
    def test_unknown_scope(self) -> None:
        with pytest.raises(TypeError, match="'limited'"):
            patch(f"{TARGET}.compute", scope="limited")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="None"):
            patch.dict({}, scope=None)  # type: ignore[arg-type]
        assert set(PatchScope) == {GLOBAL, LIMITED}

    def test_scope_is_positional_as_in_asynctest(self) -> None:
        async def step() -> tuple[Any, str]:
            return _targets.compute, _targets.CONFIG["mode"]

        limited_patch = patch(f"{TARGET}.compute", "new", None, False, None, None, None, LIMITED)
        limited_dict = patch.dict(_targets.CONFIG, {"mode": "new"}, False, LIMITED)
        assert limited_patch.scope is LIMITED
        assert limited_dict.scope is LIMITED
        assert (
            patch.object(_targets, "compute", "new", None, False, None, None, None, LIMITED).scope
            is LIMITED
        )
        assert (
            patch.multiple(_targets, None, False, None, None, None, LIMITED, compute="x").scope
            is LIMITED
        )
        assert run(limited_patch(limited_dict(step))()) == ("new", "new")

    def test_limited_needs_a_coroutine_or_generator_function(self) -> None:
        with pytest.raises(TypeError, match=r"scope=LIMITED.*compute"):
            patch.object(_targets, "compute", scope=LIMITED)(_targets.compute)

    def test_target_must_be_dotted(self) -> None:
        with pytest.raises(TypeError, match="valid target"):
            patch("nodots")


@patch(f"{TARGET}.compute")
@patch.object(_targets, "fetch", scope=LIMITED)
async def test_pytest_does_not_take_mocks_for_fixtures(fetch: Any, compute: Any) -> None:
    # Run by pytest-asyncio: the mock arguments are not looked up as fixtures.
    assert isinstance(fetch, CoroutineMock)
    assert _targets.compute is compute


test_pytest_does_not_take_mocks_for_fixtures = pytest.mark.asyncio(
    test_pytest_does_not_take_mocks_for_fixtures
)


def test_mixing_with_the_stdlib_patch_is_refused() -> None:
    import unittest.mock

    def function(a: Any, b: Any) -> None:
        pass

    with pytest.raises(TypeError, match=r"both unittest\.mock\.patch and aiotestkit"):
        patch(f"{TARGET}.compute")(unittest.mock.patch(f"{TARGET}.fetch")(function))
    with pytest.raises(TypeError, match=r"both unittest\.mock\.patch and aiotestkit"):
        unittest.mock.patch(f"{TARGET}.fetch")(patch(f"{TARGET}.compute")(function))


@pytest.mark.parametrize("times", [1, 2, 3])
@patch(f"{TARGET}.compute")
def test_no_accumulation_across_parametrisations(compute: Any, times: int) -> None:
    # asynctest #148: one mock was shared by every parametrisation.
    assert compute.call_count == 0
    for _ in range(times):
        _targets.compute()
    assert compute.call_count == times


@pytest.mark.asyncio
@pytest.mark.parametrize("times", [1, 2])
@patch(f"{TARGET}.fetch", scope=LIMITED)
async def test_no_accumulation_across_async_parametrisations(fetch: Any, times: int) -> None:
    fetch.assert_not_awaited()
    for _ in range(times):
        await _targets.fetch("u")
        await asyncio.sleep(0)
    assert fetch.await_count == times
