"""CoroutineMock, the spec-aware Mock family, create_autospec, mock_open and return_once."""

from __future__ import annotations

import asyncio
import gc
import inspect
import unittest.mock
import warnings
from typing import Any

import pytest

from aiotestkit_fakeio import (
    ANY,
    CoroutineMock,
    MagicMock,
    Mock,
    NonCallableMagicMock,
    NonCallableMock,
    call,
    create_autospec,
    mock_open,
    return_once,
)


class Client:
    async def fetch(self, url: str, *, retries: int = 0) -> str:
        return url

    def close(self) -> None:
        pass

    @classmethod
    async def connect(cls, host: str) -> Client:
        return cls()

    @staticmethod
    async def ping(host: str) -> bool:
        return True


async def download(url: str, timeout: float = 1.0) -> bytes:
    return b""


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def asyncio_iscoroutinefunction(obj: Any) -> bool | None:
    """``asyncio.iscoroutinefunction(obj)``, or None where asyncio no longer has it.

    It is deprecated from 3.14 on (removal planned for 3.16); old code still calls it, so mocks
    must keep answering it. Its DeprecationWarning is expected here, and kept from escaping.
    """
    check = getattr(asyncio, "iscoroutinefunction", None)
    if check is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return bool(check(obj))


def inspect_has_coroutine_marks() -> bool:
    """Whether ``inspect.iscoroutinefunction`` honours marks on non-functions (3.12+)."""
    return hasattr(inspect, "markcoroutinefunction")


class TestCoroutineMock:
    def test_is_a_coroutine_function_and_an_async_mock(self) -> None:
        mock = CoroutineMock()
        assert isinstance(mock, unittest.mock.AsyncMock)
        assert inspect.iscoroutinefunction(mock)
        assert asyncio_iscoroutinefunction(mock) in (True, None)
        coro = mock()
        assert inspect.iscoroutine(coro)
        assert isinstance(run(coro), unittest.mock.MagicMock)

    def test_an_unawaited_call_is_reported_with_the_mock_s_name(self) -> None:
        fetch = CoroutineMock(name="fetch")
        client = MagicMock(spec=Client)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fetch("url")  # never awaited
            client.fetch("/")
            gc.collect()
        assert [str(w.message) for w in caught if w.category is RuntimeWarning] == [
            f"coroutine '{fetch!r}()' was never awaited",
            f"coroutine '{client.fetch!r}()' was never awaited",
        ]
        assert "name='fetch'" in repr(fetch)
        assert "name='mock.fetch'" in repr(client.fetch)

    def test_a_task_running_the_mock_names_it(self) -> None:
        fetch = CoroutineMock(name="fetch")

        async def main() -> str:
            task = asyncio.ensure_future(fetch())
            shown = repr(task)
            await task
            return shown

        assert f"coro=<{fetch!r}()" in run(main())

    def test_call_is_recorded_at_call_time_and_await_when_done(self) -> None:
        mock = CoroutineMock(return_value=3)
        coro = mock(1, a=2)
        mock.assert_called_once_with(1, a=2)
        mock.assert_not_awaited()
        assert not mock.awaited
        assert run(coro) == 3
        mock.assert_awaited_once_with(1, a=2)
        assert mock.await_args == call(1, a=2)
        assert mock.await_args_list == [call(1, a=2)]
        assert mock.awaited

    def test_side_effect_function_runs_at_call_time(self) -> None:
        seen: list[int] = []

        def effect(x: int) -> int:
            seen.append(x)
            return x * 2

        mock = CoroutineMock(side_effect=effect)
        coro = mock(4)
        assert seen == [4]
        assert run(coro) == 8

    def test_async_side_effect_and_awaitable_return_values_are_awaited(self) -> None:
        async def effect(x: int) -> int:
            await asyncio.sleep(0)
            return x + 1

        assert run(CoroutineMock(side_effect=effect)(1)) == 2

        async def main() -> Any:
            future = asyncio.get_running_loop().create_future()
            future.set_result("from future")
            return await CoroutineMock(return_value=future)()

        assert run(main()) == "from future"

    def test_exception_side_effect_is_raised_when_awaited_and_counted(self) -> None:
        mock = CoroutineMock(side_effect=ValueError("boom"))
        coro = mock()
        with pytest.raises(ValueError, match="boom"):
            run(coro)
        mock.assert_awaited_once()

    def test_iterable_side_effect_and_exhaustion_at_call_time(self) -> None:
        mock = CoroutineMock(side_effect=[1, KeyError("k")])
        assert run(mock()) == 1
        with pytest.raises(KeyError):
            run(mock())
        with pytest.raises(StopIteration):
            mock()

    def test_return_once(self) -> None:
        mock = CoroutineMock(side_effect=return_once(1, then=2))
        assert [run(mock()) for _ in range(3)] == [1, 2, 2]
        assert [m() for m in [Mock(side_effect=return_once("a"))] * 2] == ["a", None]

    def test_wraps(self) -> None:
        mock = CoroutineMock(wraps=download)
        assert run(mock("u")) == b""
        mock.assert_awaited_once_with("u")

    def test_children_are_magic_mocks(self) -> None:
        mock = CoroutineMock()
        assert type(mock.attribute).__mro__[1] is MagicMock

    def test_reset_mock(self) -> None:
        mock = CoroutineMock()
        run(mock())
        mock.reset_mock()
        mock.assert_not_awaited()
        assert not mock.awaited

    def test_assert_messages(self) -> None:
        mock = CoroutineMock(name="fetch")
        with pytest.raises(AssertionError, match="fetch"):
            mock.assert_awaited()
        run(mock(1))
        mock.assert_any_await(1)
        mock.assert_has_awaits([call(1)])
        with pytest.raises(AssertionError):
            mock.assert_awaited_with(2)


class TestIsCoroutine:
    """asynctest's ``is_coroutine`` argument and property."""

    @pytest.mark.parametrize("klass", [NonCallableMock, NonCallableMagicMock])
    def test_non_callable_mocks_pass_for_coroutine_functions_on_request(self, klass: Any) -> None:
        plain = klass()
        assert plain.is_coroutine is False
        assert not inspect.iscoroutinefunction(plain)
        assert asyncio_iscoroutinefunction(plain) in (False, None)

        mock = klass(is_coroutine=True)
        assert mock.is_coroutine is True
        assert asyncio_iscoroutinefunction(mock) in (True, None)
        # inspect reads marks on non-functions from 3.12 on; before, only real code flags.
        assert inspect.iscoroutinefunction(mock) is inspect_has_coroutine_marks()

        mock.is_coroutine = False
        assert asyncio_iscoroutinefunction(mock) in (False, None)
        assert not inspect.iscoroutinefunction(mock)
        mock.configure_mock(is_coroutine=1)
        assert mock.is_coroutine is True

    def test_positional_order_is_asynctests(self) -> None:
        mock = NonCallableMock(None, None, "name", None, True)
        assert mock.is_coroutine is True
        assert mock._mock_parent is None

    def test_works_with_spec_set(self) -> None:
        mock = NonCallableMagicMock(spec_set=Client, is_coroutine=True)
        mock.is_coroutine = False
        assert mock.is_coroutine is False
        with pytest.raises(AttributeError):
            mock.undefined = 1

    def test_default_follows_the_spec(self) -> None:
        assert NonCallableMock(spec=download).is_coroutine is True
        assert NonCallableMock(spec=Client.close).is_coroutine is False

    def test_mark_set_by_inspect(self) -> None:
        mark = getattr(inspect, "markcoroutinefunction", None)
        if mark is None:
            pytest.skip("inspect.markcoroutinefunction is new in 3.12")
        mock = NonCallableMock()
        assert mark(mock) is mock
        assert mock.is_coroutine is True
        assert inspect.iscoroutinefunction(mock)

    def test_coroutine_mock_is_true_by_default_and_can_be_switched_off(self) -> None:
        mock = CoroutineMock()
        assert mock.is_coroutine is True
        mock.is_coroutine = False
        assert not inspect.iscoroutinefunction(mock)
        assert asyncio_iscoroutinefunction(mock) in (False, None)
        assert run(mock()) is mock.return_value  # still returns a coroutine when called
        mock.is_coroutine = True
        assert inspect.iscoroutinefunction(mock)
        off = CoroutineMock(is_coroutine=False)
        assert not inspect.iscoroutinefunction(off)
        assert isinstance(off.child, MagicMock)  # not taken as a child's configuration

    def test_plain_mock_has_no_is_coroutine(self) -> None:
        # As in asynctest: Mock and MagicMock take it as an ordinary attribute.
        mock = Mock(is_coroutine=True)
        assert not inspect.iscoroutinefunction(mock)
        assert asyncio_iscoroutinefunction(mock) in (False, None)


class TestAwaitedWaiters:
    def test_wait_wait_next_and_wait_for(self) -> None:
        async def main() -> list[str]:
            mock = CoroutineMock()
            log: list[str] = []

            async def waiter(name: str, aw: Any) -> None:
                await aw
                log.append(name)

            tasks = [
                asyncio.ensure_future(waiter("wait", mock.awaited.wait())),
                asyncio.ensure_future(waiter("wait skip=1", mock.awaited.wait(skip=1))),
                asyncio.ensure_future(
                    waiter("wait_for 3", mock.awaited.wait_for(lambda m: m.await_count == 3))
                ),
            ]
            await asyncio.sleep(0)
            await mock()
            await asyncio.sleep(0)
            assert log == ["wait"]
            # Already satisfied: returns at once.
            assert await mock.awaited.wait() is True
            next_one = asyncio.ensure_future(waiter("wait_next", mock.awaited.wait_next()))
            await asyncio.sleep(0)
            await mock()
            await mock()
            await asyncio.gather(*tasks, next_one)
            return log

        assert run(main()) == ["wait", "wait skip=1", "wait_next", "wait_for 3"]

    def test_skip_is_positional_as_in_asynctest(self) -> None:
        async def main() -> None:
            mock = CoroutineMock()
            waiting = asyncio.ensure_future(mock.awaited.wait(1))
            next_two = asyncio.ensure_future(mock.awaited.wait_next(1))
            await asyncio.sleep(0)
            await mock()
            await asyncio.sleep(0)
            assert not waiting.done()
            assert not next_two.done()
            await mock()
            await asyncio.gather(waiting, next_two)

        run(main())

    def test_wait_next_with_skip(self) -> None:
        async def main() -> int:
            mock = CoroutineMock()
            await mock()
            task = asyncio.ensure_future(mock.awaited.wait_next(skip=1))
            await asyncio.sleep(0)
            await mock()
            await asyncio.sleep(0)
            assert not task.done()
            await mock()
            await task
            return int(mock.await_count)

        assert run(main()) == 3


class TestSpecAndMagic:
    def test_spec_turns_coroutine_methods_into_coroutine_mocks(self) -> None:
        for klass in (Mock, MagicMock, NonCallableMock, NonCallableMagicMock):
            mock = klass(spec=Client)
            assert isinstance(mock.fetch, CoroutineMock), klass
            assert not isinstance(mock.close, unittest.mock.AsyncMock), klass
        instance_mock = Mock(spec_set=Client())
        assert isinstance(instance_mock.fetch, CoroutineMock)

    def test_children_keep_the_family(self) -> None:
        assert isinstance(Mock().child, Mock)
        assert isinstance(MagicMock().child, MagicMock)
        assert isinstance(NonCallableMock().child, Mock)
        assert isinstance(NonCallableMagicMock().child, MagicMock)

    def test_async_context_manager(self) -> None:
        async def main() -> None:
            mock = MagicMock()
            async with mock as entered:
                assert isinstance(entered, MagicMock)
            assert isinstance(mock.__aenter__, CoroutineMock)
            mock.__aenter__.assert_awaited_once()
            mock.__aexit__.assert_awaited_once_with(None, None, None)
            with pytest.raises(KeyError):
                async with mock:
                    raise KeyError("propagates")

        run(main())

    def test_async_iteration(self) -> None:
        async def main() -> list[int]:
            mock = MagicMock()
            mock.__aiter__.return_value = [1, 2, 3]
            return [item async for item in mock]

        assert run(main()) == [1, 2, 3]

    def test_sealed_mock_still_refuses_new_attributes(self) -> None:
        mock = Mock()
        unittest.mock.seal(mock)
        with pytest.raises(AttributeError):
            _ = mock.anything


class TestCreateAutospec:
    def test_coroutine_function(self) -> None:
        mock = create_autospec(download)
        assert isinstance(mock, CoroutineMock)
        assert inspect.iscoroutinefunction(mock)
        assert str(inspect.signature(mock)) == "(url: 'str', timeout: 'float' = 1.0) -> 'bytes'"
        with pytest.raises(TypeError, match="url"):
            mock()
        run(mock("u"))
        mock.assert_awaited_once_with("u")
        assert mock.await_count == 1  # counted once (asynctest counted twice on 3.8+)
        with pytest.raises(RuntimeError, match="instance"):
            create_autospec(download, instance=True)

    def test_class_and_instance(self) -> None:
        klass = create_autospec(Client)
        instance = klass()
        assert isinstance(instance.fetch, CoroutineMock)
        assert inspect.iscoroutinefunction(instance.fetch)
        run(instance.fetch("u", retries=2))
        instance.fetch.assert_awaited_once_with("u", retries=2)
        with pytest.raises(TypeError):
            instance.fetch()
        with pytest.raises(TypeError):
            instance.fetch("u", 2)  # retries is keyword-only
        assert not isinstance(instance.close, unittest.mock.AsyncMock)
        with pytest.raises(AttributeError):
            _ = instance.missing
        run(klass.connect("h"))
        klass.connect.assert_awaited_once_with("h")
        run(klass.ping("h"))
        run(instance.ping("h"))
        assert klass.ping.await_count == 1
        assert instance.mock_calls == [call.fetch("u", retries=2), call.ping("h")]

    def test_instance_spec(self) -> None:
        mock = create_autospec(Client(), spec_set=True)
        run(mock.fetch("x"))
        mock.fetch.assert_awaited_once_with("x")
        with pytest.raises(AttributeError):
            mock.other = 1


class Service:
    """Coroutine functions at several depths, for the nested autospec tests."""

    client = Client()
    bound_fetch = Client().fetch

    class Pool:
        async def acquire(self, timeout: float) -> None:
            pass

    async def start(self) -> None:
        pass


class Application:
    service = Service()


class TestNestedAutospec:
    """asynctest's create_autospec recursed: every coroutine function in the tree is mocked."""

    def test_instance_attributes_at_every_depth(self) -> None:
        app = create_autospec(Application, instance=True)
        fetch = app.service.client.fetch
        assert isinstance(fetch, CoroutineMock)
        assert bool(fetch.awaited) is False  # asynctest's awaited event, not a child mock
        run(fetch("u", retries=1))
        assert fetch.await_count == 1
        assert bool(fetch.awaited) is True
        fetch.assert_awaited_once_with("u", retries=1)
        with pytest.raises(TypeError):
            fetch()
        assert isinstance(app.service.start, CoroutineMock)
        assert app.mock_calls == [call.service.client.fetch("u", retries=1)]

    def test_class_spec_its_instance_and_other_attribute_kinds(self) -> None:
        klass = create_autospec(Service)
        for tree in (klass, klass.return_value, klass()):
            assert isinstance(tree.client.fetch, CoroutineMock)
            assert isinstance(tree.Pool().acquire, CoroutineMock)
            assert isinstance(tree.bound_fetch, CoroutineMock)
        run(klass.Pool().acquire(1.0))
        klass.Pool.return_value.acquire.assert_awaited_once_with(1.0)
        with pytest.raises(TypeError):
            klass.Pool().acquire()
        run(klass.bound_fetch("u"))  # bound: no self
        klass.bound_fetch.assert_awaited_once_with("u")
        assert not isinstance(klass.client.close, unittest.mock.AsyncMock)

    def test_spec_set_carries_down(self) -> None:
        app = create_autospec(Application, spec_set=True, instance=True)
        assert isinstance(app.service.client.fetch, CoroutineMock)
        with pytest.raises(AttributeError):
            app.service.client.other = 1

    def test_patch_with_autospec(self) -> None:
        from aiotestkit_fakeio import patch

        with patch.object(Application, "service", autospec=True) as service:
            run(Application.service.client.fetch("u"))
            assert isinstance(service.client.fetch, CoroutineMock)
            assert service.client.fetch.await_count == 1
        with patch(f"{__name__}.Application", autospec=True) as app:
            assert isinstance(app.service.client.fetch, CoroutineMock)
            assert isinstance(app().service.client.fetch, CoroutineMock)


class TestClassRelationships:
    """asynctest's mock classes inherited from one another; code checks isinstance on them."""

    def test_asynctests_isinstance_relationships_hold(self) -> None:
        assert isinstance(CoroutineMock(), Mock)
        assert isinstance(CoroutineMock(), NonCallableMock)
        assert isinstance(Mock(), NonCallableMock)
        assert isinstance(MagicMock(), Mock)
        assert isinstance(MagicMock(), NonCallableMock)
        assert isinstance(NonCallableMagicMock(), NonCallableMock)
        assert issubclass(CoroutineMock, Mock)
        assert issubclass(MagicMock, NonCallableMock)
        assert issubclass(NonCallableMagicMock, NonCallableMock)

    def test_no_other_relationship_is_made_up(self) -> None:
        assert not isinstance(NonCallableMock(), Mock)
        assert not isinstance(Mock(), MagicMock)
        assert not isinstance(Mock(), CoroutineMock)
        assert not isinstance(NonCallableMagicMock(), Mock)
        assert not isinstance(unittest.mock.Mock(), Mock)  # the stdlib's classes are not ours
        assert not issubclass(unittest.mock.MagicMock, NonCallableMock)
        assert not isinstance(object(), NonCallableMock)

    def test_specs_and_the_stdlib_classes_are_unchanged(self) -> None:
        mock = Mock(spec=Client)
        assert isinstance(mock, Client)  # spec'd mocks still pass for their spec
        assert isinstance(mock, NonCallableMock)
        assert isinstance(MagicMock(), unittest.mock.MagicMock)
        assert not isinstance(MagicMock(), unittest.mock.NonCallableMagicMock)
        assert isinstance(CoroutineMock(), unittest.mock.AsyncMock)
        assert isinstance(NonCallableMock(spec=Client).fetch, Mock)  # a CoroutineMock child


def test_mock_open() -> None:
    opener = mock_open(read_data="content")
    with opener("path") as handle:
        assert handle.read() == "content"
    opener.assert_called_once_with("path")
    assert isinstance(opener, MagicMock)


def test_reexports_are_the_stdlib_objects() -> None:
    assert ANY is unittest.mock.ANY
    from aiotestkit_fakeio import DEFAULT, PropertyMock, sentinel

    assert DEFAULT is unittest.mock.DEFAULT
    assert PropertyMock is unittest.mock.PropertyMock
    assert sentinel is unittest.mock.sentinel
