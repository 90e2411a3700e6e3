"""Every private name of the standard library that aiotestkit_fakeio touches, in one place.

Each helper says which versions it was checked on: CPython 3.10.13, 3.11.7, 3.12.1 and 3.13.0
were run here; 3.14 was read from the CPython sources (``Lib/asyncio/selector_events.py``,
``Lib/unittest/mock.py``). Every helper degrades to a safe answer when the private name is gone.

Two unittest.mock hooks are *overridden* (not called) elsewhere, because subclassing them is the
only way to change how mocks build children and answer calls; both have the same signature on
3.10-3.14:

- ``NonCallableMock._get_child_mock(**kw)`` (documented as the hook for child creation), in
  ``_mock.py``;
- ``AsyncMockMixin._execute_mock_call(*args, **kwargs)``, called by ``CallableMixin._mock_call``
  after the call is recorded, in ``_mock.py`` (``CoroutineMock``).

Two attribute names are *provided* by mocks (``_mock.py``, ``is_coroutine``) because the stdlib
reads them: ``_is_coroutine`` (``asyncio.iscoroutinefunction``, 3.10-3.14) and
``_is_coroutine_marker`` (``inspect.iscoroutinefunction``, 3.12-3.14).
"""

from __future__ import annotations

import asyncio.coroutines
import inspect
from typing import Any
from unittest import mock as _stdlib_mock


def loop_selector(loop: object) -> object | None:
    """Return the selector a selector event loop polls, or None if it has none.

    ``BaseSelectorEventLoop._selector`` holds the selector passed to the constructor on
    3.10-3.14 (it becomes None once the loop is closed). uvloop and the Proactor loop have no
    such attribute.
    """
    return getattr(loop, "_selector", None)


def spec_async_names(mock: object) -> frozenset[str]:
    """Names that the spec of a unittest.mock object marks as coroutine functions.

    ``NonCallableMock._mock_add_spec`` stores them in ``__dict__['_spec_asyncs']`` (a list) on
    3.10-3.14.
    """
    names = vars(mock).get("_spec_asyncs")
    return frozenset(names) if names else frozenset()


def is_sealed(mock: object) -> bool:
    """Whether ``unittest.mock.seal`` was applied (``_mock_sealed``, 3.10-3.14)."""
    return bool(vars(mock).get("_mock_sealed", False))


def return_value_configured(mock: object) -> bool:
    """Whether the user assigned ``return_value`` (``_mock_return_value``, 3.10-3.14).

    The mock may also delegate to an autospec function (``_mock_delegate``); its return value
    then lives on the delegate.
    """
    delegate = vars(mock).get("_mock_delegate")
    source = delegate if delegate is not None else mock
    return vars(source).get("_mock_return_value", _stdlib_mock.DEFAULT) is not _stdlib_mock.DEFAULT


def wrapped_callable(mock: object) -> Any:
    """The object given as ``wraps=`` to a mock (``_mock_wraps``, 3.10-3.14), or None."""
    return vars(mock).get("_mock_wraps")


def _asyncio_coroutine_mark() -> object:
    """The marker ``asyncio.iscoroutinefunction`` looks for in ``_is_coroutine``.

    ``asyncio.coroutines._is_coroutine`` on 3.10-3.14 (3.14 deprecates
    ``asyncio.iscoroutinefunction``, to be removed in 3.16; a fresh object then, which nothing
    looks for).
    """
    return getattr(asyncio.coroutines, "_is_coroutine", object())


def _inspect_coroutine_mark() -> object:
    """The marker ``inspect.iscoroutinefunction`` looks for in ``_is_coroutine_marker``.

    Obtained through the public ``inspect.markcoroutinefunction`` (3.12+; the attribute name
    ``_is_coroutine_marker`` is the same on 3.12-3.14, the module global holding the marker is
    not). 3.10 and 3.11 have no marker: a fresh object then, which nothing looks for.
    """
    mark = getattr(inspect, "markcoroutinefunction", None)
    if mark is None:
        return object()

    def probe() -> None:
        pass

    mark(probe)
    return getattr(probe, "_is_coroutine_marker", object())


ASYNCIO_COROUTINE_MARK = _asyncio_coroutine_mark()
INSPECT_COROUTINE_MARK = _inspect_coroutine_mark()


def set_code_coroutine_flag(mock: object, value: bool) -> None:
    """Set or clear ``CO_COROUTINE`` in the fake ``__code__`` of an ``AsyncMock``.

    ``AsyncMockMixin.__init__`` stores a code mock in ``__dict__['__code__']`` (3.10-3.14) whose
    ``co_flags`` make ``inspect.iscoroutinefunction`` true for a callable mock. Nothing to do for
    mocks without one.
    """
    code = vars(mock).get("__code__")
    if code is None:
        return
    flags = int(code.co_flags)
    code.co_flags = flags | inspect.CO_COROUTINE if value else flags & ~inspect.CO_COROUTINE


# The lazy placeholder ``create_autospec`` leaves in ``_mock_children`` for an attribute that is
# not a plain function (an instance, a class, a bound method...): ``_SpecState`` with the fields
# ``spec``, ``spec_set``, ``instance``, ``parent`` and ``name`` on 3.10-3.14.
_SPEC_STATE: type[Any] | None = getattr(_stdlib_mock, "_SpecState", None)


class _AutospecChildren(dict[str, Any]):
    """A mock's ``_mock_children`` whose lazy autospec placeholders are built by ``build``.

    ``NonCallableMock.__getattr__`` (3.10-3.14) reads a child with ``_mock_children.get(name)``
    and, on a ``_SpecState``, calls the stdlib's own ``create_autospec``. Building it here first
    (and storing it) makes ``__getattr__`` take it as an ordinary child. Other readers of
    ``get`` (``__delattr__``, ``seal``, call-signature lookup) only ever see the built mock.
    """

    def __init__(self, children: dict[str, Any], build: Any) -> None:
        super().__init__(children)
        self._build = build

    def get(self, key: str, default: Any = None) -> Any:
        value = super().get(key, default)
        if _SPEC_STATE is not None and isinstance(value, _SPEC_STATE):
            value = self._build(value.spec, value.spec_set, value.instance, value.parent, key)
            self[key] = value
        return value


def build_autospec_children_with(mock: object, build: Any) -> None:
    """Make ``build(spec, spec_set, instance, parent, name)`` build ``mock``'s lazy children.

    ``mock`` is a mock made by ``unittest.mock.create_autospec``; its ``_mock_children`` dict
    (``__dict__['_mock_children']``, 3.10-3.14) is replaced by one that builds the attributes
    the stdlib left as ``_SpecState`` placeholders with ``build`` (aiotestkit's
    ``create_autospec``) when first read. No-op for anything else (an autospecced function is
    a real function object).
    """
    attributes = vars(mock) if hasattr(mock, "__dict__") else {}
    children = attributes.get("_mock_children")
    if isinstance(children, dict) and not isinstance(children, _AutospecChildren):
        attributes["_mock_children"] = _AutospecChildren(children, build)
