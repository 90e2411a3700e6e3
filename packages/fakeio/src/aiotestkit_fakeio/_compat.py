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
"""

from __future__ import annotations

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
