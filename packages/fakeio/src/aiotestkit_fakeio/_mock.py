"""Mocks that understand coroutines: CoroutineMock and the spec-aware Mock family.

Prior art: asynctest's ``mock.py`` (``CoroutineMock``, its ``awaited`` event and
``create_autospec``) and the stdlib's ``AsyncMock``. ``CoroutineMock`` subclasses ``AsyncMock``
so that code checking ``isinstance(m, AsyncMock)`` or ``inspect.iscoroutinefunction(m)`` accepts
it, but answers calls the asynctest way (see the class docstring).
"""

from __future__ import annotations

import asyncio
import inspect
import types
import unittest.mock
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, ClassVar, cast

from . import _compat

__all__ = (
    "CoroutineMock",
    "MagicMock",
    "Mock",
    "NonCallableMagicMock",
    "NonCallableMock",
    "create_autospec",
    "mock_open",
    "return_once",
)

# The async magic methods a MagicMock answers with coroutine mocks. ``__aiter__`` is synchronous
# and the stdlib already builds an async iterator from ``__aiter__.return_value``.
_ASYNC_MAGICS = frozenset({"__aenter__", "__aexit__", "__anext__"})


def _is_exception(value: object) -> bool:
    return isinstance(value, BaseException) or (
        isinstance(value, type) and issubclass(value, BaseException)
    )


def _is_coroutine_function(value: object) -> bool:
    # inspect, not asyncio: asyncio.iscoroutinefunction is deprecated on 3.14. inspect unwraps
    # bound methods and functools.partial, and (3.12+) honours markcoroutinefunction.
    return inspect.iscoroutinefunction(value) or (
        isinstance(value, unittest.mock.AsyncMock) and not isinstance(value, type)
    )


class _MockFamily(type):
    """Metaclass of aiotestkit's mock classes: asynctest's class relationships, virtually.

    Each class subclasses its own stdlib counterpart (so the stdlib's machinery treats it as
    that class), and the stdlib's classes do not inherit from one another the way asynctest's
    did. ``isinstance``/``issubclass`` checks against an aiotestkit class also accept the
    classes it lists in ``_RELATED`` (and theirs): ``Mock`` and ``NonCallableMagicMock`` are
    ``NonCallableMock``s, ``MagicMock`` and ``CoroutineMock`` are ``Mock``s. Only checks
    against aiotestkit's classes change; those against ``unittest.mock``'s are untouched.
    """

    def __instancecheck__(cls, instance: Any) -> bool:
        if type.__instancecheck__(cls, instance):
            return True
        return any(isinstance(instance, related) for related in _RELATED.get(cls, ()))

    def __subclasscheck__(cls, subclass: type) -> bool:
        if type.__subclasscheck__(cls, subclass):
            return True
        return any(issubclass(subclass, related) for related in _RELATED.get(cls, ()))


# The classes that count as subclasses of each aiotestkit mock class (filled in below).
_RELATED: dict[type, tuple[type, ...]] = {}


class _ChildMixin(metaclass=_MockFamily):
    """Pick the class of child mocks: coroutine mocks for coroutine attributes of the spec."""

    # The class of ordinary children; None keeps the stdlib rule (the user's own class).
    _child_mock_class: ClassVar[type[unittest.mock.NonCallableMock] | None] = None

    def _get_child_mock(self, /, **kw: Any) -> Any:
        if _compat.is_sealed(self):
            return super()._get_child_mock(**kw)  # type: ignore[misc]  # raises AttributeError
        new_name = kw.get("_new_name")
        if new_name in _compat.spec_async_names(self):
            return CoroutineMock(**kw)
        if new_name in _ASYNC_MAGICS and isinstance(self, unittest.mock.MagicMixin):
            return CoroutineMock(**kw)
        klass = type(self)._child_mock_class
        if klass is None:
            if isinstance(self, unittest.mock.AsyncMockMixin):
                # Mock(spec=async_fn) mixed AsyncMockMixin in: keep the stdlib's rules.
                return super()._get_child_mock(**kw)  # type: ignore[misc]
            # Mock.__new__ puts a one-off subclass first in the MRO: the user's class is next.
            klass = type(self).__mro__[1]
        return klass(**kw)


# Attribute names whose assignment goes to the is_coroutine properties, never to the mock's
# attribute machinery (which refuses unknown names under spec_set).
_IS_COROUTINE_NAMES = frozenset({"is_coroutine", "_is_coroutine", "_is_coroutine_marker"})


def _coroutine_mark(mark: object) -> property:
    """A property that holds ``mark`` while ``is_coroutine`` is true; setting it sets that."""

    def get(self: _IsCoroutineMixin) -> object:
        return mark if self.is_coroutine else None

    def set_(self: _IsCoroutineMixin, value: object) -> None:
        self.is_coroutine = value is mark

    return property(get, set_)


class _IsCoroutineMixin:
    """asynctest's ``is_coroutine``: whether the mock passes for a coroutine function.

    ``asyncio.iscoroutinefunction`` reads ``_is_coroutine`` (every Python), and
    ``inspect.iscoroutinefunction`` reads ``_is_coroutine_marker`` (3.12+) and, for a callable
    mock, the ``CO_COROUTINE`` flag of its fake ``__code__``: all three follow ``is_coroutine``.
    """

    def _init_is_coroutine(self, value: object) -> None:
        if value is None:
            # Keep the stdlib's answer: a spec that is a coroutine function made it an async mock.
            value = isinstance(self, unittest.mock.AsyncMockMixin)
        self.is_coroutine = bool(value)

    @property
    def is_coroutine(self) -> bool:
        """True if the mocked object is a coroutine function (read/write)."""
        return bool(self.__dict__.get("_aiotestkit_is_coroutine", False))

    @is_coroutine.setter
    def is_coroutine(self, value: object) -> None:
        self.__dict__["_aiotestkit_is_coroutine"] = bool(value)
        _compat.set_code_coroutine_flag(self, bool(value))

    _is_coroutine = _coroutine_mark(_compat.ASYNCIO_COROUTINE_MARK)
    # Also what inspect.markcoroutinefunction(mock) sets (3.12+).
    _is_coroutine_marker = _coroutine_mark(_compat.INSPECT_COROUTINE_MARK)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _IS_COROUTINE_NAMES:
            object.__setattr__(self, name, value)  # the property setter
            return
        super().__setattr__(name, value)


class _NonCallableArguments(_IsCoroutineMixin):
    """asynctest's constructor of the non-callable mocks: the stdlib's, plus ``is_coroutine``."""

    def __init__(
        self,
        spec: Any = None,
        wraps: Any = None,
        name: str | None = None,
        spec_set: Any = None,
        is_coroutine: bool | None = None,
        parent: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(  # type: ignore[call-arg]  # the stdlib mock class comes next in the MRO
            spec=spec, wraps=wraps, name=name, spec_set=spec_set, parent=parent, **kwargs
        )
        self._init_is_coroutine(is_coroutine)


class NonCallableMock(_NonCallableArguments, _ChildMixin, unittest.mock.NonCallableMock):
    """A non-callable mock whose spec'd coroutine functions become ``CoroutineMock`` children.

    Args:
        spec: as for ``unittest.mock.NonCallableMock``.
        wraps: as for ``unittest.mock.NonCallableMock``.
        name: as for ``unittest.mock.NonCallableMock``.
        spec_set: as for ``unittest.mock.NonCallableMock``.
        is_coroutine: if true, ``asyncio.iscoroutinefunction(mock)`` (every Python) and
            ``inspect.iscoroutinefunction(mock)`` (3.12+) are true. Also a read/write property.
            Left out: true only if ``spec`` is a coroutine function.
        parent: as for ``unittest.mock.NonCallableMock``.
        **kwargs: as for ``unittest.mock.NonCallableMock``.

    Example:
        >>> import inspect
        >>> mock = NonCallableMock(is_coroutine=True)
        >>> mock.is_coroutine
        True
        >>> mock.is_coroutine = False
        >>> inspect.iscoroutinefunction(mock)
        False
    """


class NonCallableMagicMock(_NonCallableArguments, _ChildMixin, unittest.mock.NonCallableMagicMock):
    """A non-callable ``MagicMock`` with async magic methods and coroutine-aware spec children.

    Takes the same arguments as ``NonCallableMock``, ``is_coroutine`` included.
    """


class Mock(_ChildMixin, unittest.mock.Mock):
    """``unittest.mock.Mock`` whose spec'd coroutine functions become ``CoroutineMock`` children.

    Example:
        >>> class Client:
        ...     async def fetch(self): ...
        >>> isinstance(Mock(spec=Client).fetch, CoroutineMock)
        True
    """


class MagicMock(_ChildMixin, unittest.mock.MagicMock):
    """``MagicMock`` with coroutine-aware spec children and async context managers and iterators.

    ``__aenter__``, ``__aexit__`` and ``__anext__`` are ``CoroutineMock``s (``__aexit__`` returns
    False so exceptions propagate); ``async for`` iterates ``mock.__aiter__.return_value``.
    """


NonCallableMock._child_mock_class = Mock
NonCallableMagicMock._child_mock_class = MagicMock
_RELATED[NonCallableMock] = (Mock, NonCallableMagicMock)
_RELATED[Mock] = (MagicMock,)  # and CoroutineMock, once defined


class _AwaitEvent:
    """The ``awaited`` attribute of a ``CoroutineMock``: wait until the mock is awaited.

    ``bool(mock.awaited)`` tells whether the mock was awaited at all. Each waiter is a future of the
    loop running the waiting coroutine, so one mock can be used by tests running on different
    loops.
    """

    def __init__(self, mock: CoroutineMock) -> None:
        self._mock = mock
        self._waiters: list[tuple[Callable[[Any], Any], asyncio.Future[Any]]] = []

    def __bool__(self) -> bool:
        return self._mock.await_count != 0

    def __repr__(self) -> str:
        return f"<awaited of {self._mock!r}: {self._mock.await_count} awaits>"

    async def wait(self, skip: int = 0) -> Any:
        """Wait until the mock has been awaited at least ``skip + 1`` times in total.

        Args:
            skip: how many awaits to disregard.

        Returns:
            True once the condition holds (at once if it already does).
        """
        return await self.wait_for(lambda mock: mock.await_count > skip)

    async def wait_next(self, skip: int = 0) -> Any:
        """Wait for ``skip + 1`` more awaits, counted from now.

        Args:
            skip: how many future awaits to disregard.
        """
        target = self._mock.await_count + skip
        return await self.wait_for(lambda mock: mock.await_count > target)

    async def wait_for(self, predicate: Callable[[Any], Any]) -> Any:
        """Wait until ``predicate(mock)`` is true; re-checked after each await of the mock.

        Args:
            predicate: called with the mock; its truthy result is returned.
        """
        result = predicate(self._mock)
        if result:
            return result
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.append(entry)
        try:
            return await future
        finally:
            self._waiters.remove(entry)

    def _notify(self) -> None:
        for predicate, future in list(self._waiters):
            if future.done():
                continue
            try:
                result = predicate(self._mock)
            except BaseException as exc:  # the waiter sees its predicate's error
                future.set_exception(exc)
                continue
            if result:
                future.set_result(result)


class CoroutineMock(_IsCoroutineMixin, _ChildMixin, unittest.mock.AsyncMock):
    """A mock of a coroutine function, with asynctest's semantics.

    It is an ``AsyncMock`` (so ``inspect.iscoroutinefunction`` and ``asyncio.iscoroutinefunction``
    accept it on every Python) but answers calls the way asynctest's ``CoroutineMock`` did:

    - the call is recorded and ``side_effect`` evaluated when the mock is *called*; an
      exception (class or instance) given as ``side_effect`` or yielded by it is raised when the
      coroutine is awaited; an exhausted ``side_effect`` iterator raises ``StopIteration`` at
      call time;
    - an awaitable result (of ``side_effect`` or ``return_value``) is awaited, so an ``async def``
      side effect or a Future return value works;
    - ``await_count``, ``await_args`` and ``await_args_list`` are updated when an await
      finishes (also when it raises), in completion order;
    - ``awaited`` lets a test wait: ``await mock.awaited.wait()``, ``wait_next()``,
      ``wait_for(predicate)``;
    - the default result and the children are ``MagicMock``s;
    - ``is_coroutine`` (true by default, read/write, also accepted as an argument) decides what
      ``inspect.iscoroutinefunction`` and ``asyncio.iscoroutinefunction`` answer; calling the
      mock returns a coroutine either way.
    """

    _child_mock_class = MagicMock

    def __init__(self, *args: Any, is_coroutine: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Through __dict__: a spec_set mock would refuse a new attribute.
        self.__dict__["awaited"] = _AwaitEvent(self)
        self._init_is_coroutine(is_coroutine)

    awaited: _AwaitEvent

    def __call__(self, /, *args: Any, **kwargs: Any) -> Any:
        signature = self.__dict__.get("_aiotestkit_signature")
        if signature is not None:
            # Autospec: reject a call the real coroutine function would reject.
            signature.bind(*args, **kwargs)
        return super().__call__(*args, **kwargs)

    def reset_mock(self, /, *args: Any, **kwargs: Any) -> None:
        """Reset calls, awaits and the ``awaited`` event (see ``Mock.reset_mock``)."""
        super().reset_mock(*args, **kwargs)
        self.__dict__["awaited"] = _AwaitEvent(self)

    def _execute_mock_call(self, /, *args: Any, **kwargs: Any) -> Coroutine[Any, Any, Any]:
        # The call was just recorded: call_args is the stdlib's own record of it.
        call = self.call_args
        error: Any = None
        result: Any = unittest.mock.DEFAULT
        effect = self.side_effect
        if effect is not None:
            if _is_exception(effect):
                error = effect
            elif not callable(effect):
                result = next(effect)  # StopIteration at call time, as asynctest documents
                if _is_exception(result):
                    error, result = result, None
            else:
                result = effect(*args, **kwargs)
        if error is None and result is unittest.mock.DEFAULT:
            wrapped = _compat.wrapped_callable(self)
            if _compat.return_value_configured(self) or wrapped is None:
                result = self.return_value
            else:
                result = wrapped(*args, **kwargs)
        # An async def method returns a native coroutine, whose names are writable.
        coroutine = cast(
            "types.CoroutineType[Any, Any, Any]", self._await_outcome(call, error, result)
        )
        # Name the coroutine after the mock: Python's "coroutine '...' was never awaited"
        # warning, and the repr of a task running it, show __qualname__, which would otherwise
        # be "CoroutineMock._await_outcome" for every mock.
        label = f"{self!r}()"
        coroutine.__name__ = coroutine.__qualname__ = label
        return coroutine

    async def _await_outcome(self, call: Any, error: Any, result: Any) -> Any:
        try:
            if error is not None:
                raise error
            if inspect.isawaitable(result):
                return await result
            return result
        finally:
            self.await_count += 1
            self.await_args = call
            self.await_args_list.append(call)
            self.awaited._notify()


_RELATED[Mock] = (MagicMock, CoroutineMock)


def return_once(value: Any, then: Any = None) -> Iterator[Any]:
    """Return ``value`` once, then ``then`` forever: meant as a mock's ``side_effect``.

    Exceptions among the values are raised by the mock, as for any ``side_effect`` iterator.

    Example:
        >>> m = Mock(side_effect=return_once(1, then=2))
        >>> [m(), m(), m()]
        [1, 2, 2]
    """
    yield value
    while True:
        yield then


def mock_open(mock: Any = None, read_data: str | bytes = "") -> Any:
    """Build a mock of ``open`` (see ``unittest.mock.mock_open``) on an aiotestkit MagicMock.

    Args:
        mock: the mock to configure; a ``MagicMock(name='open', spec=open)`` if None.
        read_data: what the handle's ``read``, ``readline`` and ``readlines`` return.
    """
    if mock is None:
        mock = MagicMock(name="open", spec=open)
    return unittest.mock.mock_open(mock, read_data)


class _MethodCoroutineMock(CoroutineMock):
    """An autospec of a coroutine method put on a class: binds to instances like a function.

    ``patch.object(Class, "method", autospec=True)`` then records ``(instance, ...)`` calls, as
    the stdlib's autospec does.
    """

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        return types.MethodType(self, instance)


def _autospec_coroutine(
    func: Any, *, skip_first: bool, name: str | None, method: bool = False, **kwargs: Any
) -> CoroutineMock:
    """A ``CoroutineMock`` that checks calls against the signature of ``func``.

    Args:
        func: the coroutine function.
        skip_first: drop its first parameter (``self``/``cls`` of a bound method).
        name: the mock's name.
        method: make it bind to instances (it replaces a method on a class).
        **kwargs: passed to the mock's constructor.
    """
    klass = _MethodCoroutineMock if method else CoroutineMock
    mock = klass(name=name, **kwargs)
    try:
        signature: inspect.Signature | None = inspect.signature(func)
    except (TypeError, ValueError):  # builtins without a signature: accept any call
        signature = None
    if signature is not None and skip_first:
        parameters = list(signature.parameters.values())[1:]
        signature = signature.replace(parameters=parameters)
    mock.__dict__["_aiotestkit_signature"] = signature
    if signature is not None:
        mock.__dict__["__signature__"] = signature
    return mock


def _coroutine_attributes(spec: Any) -> Iterator[tuple[str, Any, Any]]:
    """Yield ``(name, function, descriptor)`` for each coroutine function reachable on ``spec``."""
    for name in dir(spec):
        try:
            raw = inspect.getattr_static(spec, name)
        except AttributeError:
            continue
        func = raw.__func__ if isinstance(raw, (classmethod, staticmethod)) else raw
        if inspect.iscoroutinefunction(func):
            yield name, func, raw


def create_autospec(
    spec: Any,
    spec_set: Any = False,
    instance: bool = False,
    _parent: Any = None,
    _name: str | None = None,
    **kwargs: Any,
) -> Any:
    """Like ``unittest.mock.create_autospec``, with coroutine functions as ``CoroutineMock``s.

    A coroutine function spec gives a ``CoroutineMock`` checking each call against the signature
    (each await is counted once). For a class or an instance, its coroutine methods (including
    class and static methods) become such mocks on the class mock and on the instance mock.

    Raises:
        RuntimeError: ``instance=True`` with a coroutine function spec.
    """
    if _is_coroutine_function(spec) and not isinstance(spec, type):
        if instance:
            msg = "instance can not be True when create_autospec is mocking a coroutine function"
            raise RuntimeError(msg)
        return _autospec_coroutine(spec, skip_first=False, name=_name, **kwargs)
    mock = unittest.mock.create_autospec(spec, spec_set, instance, _parent, _name, **kwargs)
    if isinstance(spec, type):
        targets = [(mock, False)] if instance else [(mock, True), (mock.return_value, False)]
    else:
        # An instance: bound methods and static methods alike skip nothing more.
        targets = [(mock, False)]
        spec = type(spec)
    for target, is_class in targets:
        # Attributes that are not plain functions (instances, classes, bound methods) are
        # autospecced when first read: by this function, so their coroutine functions become
        # CoroutineMocks too, at every depth.
        _compat.build_autospec_children_with(target, _autospec_child)
        for name, func, raw in _coroutine_attributes(spec):
            if is_class:
                skip_first = isinstance(raw, classmethod)
            else:
                skip_first = not isinstance(raw, staticmethod)
            # Unnamed, so that setattr() adopts it as a child: its calls reach mock_calls.
            setattr(target, name, _autospec_coroutine(func, skip_first=skip_first, name=None))
    return mock


def _autospec_child(spec: Any, spec_set: Any, instance: bool, parent: Any, name: str) -> Any:
    """Autospec the attribute ``name`` of the autospec ``parent``, when it is first read."""
    if _is_coroutine_function(spec) and not isinstance(spec, type):
        # A bound coroutine method or another coroutine callable: ``instance`` is the parent's
        # flag, meaningless here (the stdlib would raise RuntimeError for it).
        mock = _autospec_coroutine(spec, skip_first=False, name=None)
        setattr(parent, name, mock)  # unnamed: adopted as a child, its calls reach mock_calls
        return mock
    return create_autospec(spec, spec_set, instance, parent, name)
