"""asynctest's awaitable assertions, plus `async with` forms."""

from __future__ import annotations

import re
import unittest
from collections.abc import Awaitable
from contextlib import AbstractContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

if TYPE_CHECKING:
    from unittest.case import _AssertRaisesContext, _AssertWarnsContext

__unittest = True

_T = TypeVar("_T")
_E = TypeVar("_E", bound=BaseException)
_CM = TypeVar("_CM", bound=AbstractContextManager[Any])


class AsyncAssertionContext(Generic[_CM]):
    """`async with` adapter around a unittest assertion context manager.

    The value bound by `as` is unittest's own context object, so `cm.exception` (raises) or
    `cm.warning` / `cm.warnings` (warns) are available after the block, as with the stdlib.
    """

    __slots__ = ("_context",)

    def __init__(self, context: _CM) -> None:
        self._context: _CM = context

    async def __aenter__(self) -> _CM:
        self._context.__enter__()
        return self._context

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        return bool(self._context.__exit__(exc_type, exc, tb))


async def _raises(context: _AssertRaisesContext[_E], awaitable: Awaitable[Any]) -> _E:
    with context:
        await awaitable
    return context.exception


async def _warns(context: _AssertWarnsContext, awaitable: Awaitable[_T]) -> _T:
    with context:
        return await awaitable


class AsyncAssertionsMixin(unittest.TestCase):
    """`assertAsyncRaises`, `assertAsyncRaisesRegex`, `assertAsyncWarns`, `assertAsyncWarnsRegex`.

    Each one takes an awaitable, as asynctest's did (`await self.assertAsyncRaises(E, coro())`),
    or, without one, returns an asynchronous context manager::

        async with self.assertAsyncRaises(ValueError) as cm:
            await parse("x")
        self.assertEqual(cm.exception.args, ("x",))
    """

    @overload
    async def assertAsyncRaises(
        self, expected_exception: type[_E], awaitable: Awaitable[Any], *, msg: Any = None
    ) -> _E: ...
    @overload
    def assertAsyncRaises(
        self, expected_exception: type[_E], awaitable: None = None, *, msg: Any = None
    ) -> AsyncAssertionContext[_AssertRaisesContext[_E]]: ...
    def assertAsyncRaises(
        self,
        expected_exception: type[_E],
        awaitable: Awaitable[Any] | None = None,
        *,
        msg: Any = None,
    ) -> Any:
        """Fail unless awaiting *awaitable* raises *expected_exception*.

        Args:
            expected_exception: the exception class (or a tuple of classes) expected.
            awaitable: a coroutine, Future or other awaitable; when omitted an `async with`
                context manager is returned instead.
            msg: the failure message, as for `assertRaises`.

        Returns:
            With an awaitable: a coroutine returning the exception raised. Without: a context
            manager whose `as` target is unittest's assertRaises context (`cm.exception`).
        """
        context = self.assertRaises(expected_exception, msg=msg)  # noqa: PT027
        if awaitable is None:
            return AsyncAssertionContext(context)
        return _raises(context, awaitable)

    @overload
    async def assertAsyncRaisesRegex(
        self,
        expected_exception: type[_E],
        expected_regex: str | re.Pattern[str],
        awaitable: Awaitable[Any],
        *,
        msg: Any = None,
    ) -> _E: ...
    @overload
    def assertAsyncRaisesRegex(
        self,
        expected_exception: type[_E],
        expected_regex: str | re.Pattern[str],
        awaitable: None = None,
        *,
        msg: Any = None,
    ) -> AsyncAssertionContext[_AssertRaisesContext[_E]]: ...
    def assertAsyncRaisesRegex(
        self,
        expected_exception: type[_E],
        expected_regex: str | re.Pattern[str],
        awaitable: Awaitable[Any] | None = None,
        *,
        msg: Any = None,
    ) -> Any:
        """Like `assertAsyncRaises`, also matching the exception's message with *expected_regex*."""
        context = self.assertRaisesRegex(expected_exception, expected_regex, msg=msg)  # noqa: PT027
        if awaitable is None:
            return AsyncAssertionContext(context)
        return _raises(context, awaitable)

    @overload
    async def assertAsyncWarns(
        self, expected_warning: type[Warning], awaitable: Awaitable[_T], *, msg: Any = None
    ) -> _T: ...
    @overload
    def assertAsyncWarns(
        self, expected_warning: type[Warning], awaitable: None = None, *, msg: Any = None
    ) -> AsyncAssertionContext[_AssertWarnsContext]: ...
    def assertAsyncWarns(
        self,
        expected_warning: type[Warning],
        awaitable: Awaitable[Any] | None = None,
        *,
        msg: Any = None,
    ) -> Any:
        """Fail unless awaiting *awaitable* emits *expected_warning*.

        Returns:
            With an awaitable: a coroutine returning the awaitable's result (as asynctest did).
            Without: a context manager whose `as` target is unittest's assertWarns context
            (`cm.warning`, `cm.filename`, `cm.lineno`).
        """
        context = self.assertWarns(expected_warning, msg=msg)
        if awaitable is None:
            return AsyncAssertionContext(context)
        return _warns(context, awaitable)

    @overload
    async def assertAsyncWarnsRegex(
        self,
        expected_warning: type[Warning],
        expected_regex: str | re.Pattern[str],
        awaitable: Awaitable[_T],
        *,
        msg: Any = None,
    ) -> _T: ...
    @overload
    def assertAsyncWarnsRegex(
        self,
        expected_warning: type[Warning],
        expected_regex: str | re.Pattern[str],
        awaitable: None = None,
        *,
        msg: Any = None,
    ) -> AsyncAssertionContext[_AssertWarnsContext]: ...
    def assertAsyncWarnsRegex(
        self,
        expected_warning: type[Warning],
        expected_regex: str | re.Pattern[str],
        awaitable: Awaitable[Any] | None = None,
        *,
        msg: Any = None,
    ) -> Any:
        """Like `assertAsyncWarns`, also matching the warning's message with *expected_regex*."""
        context = self.assertWarnsRegex(expected_warning, expected_regex, msg=msg)
        if awaitable is None:
            return AsyncAssertionContext(context)
        return _warns(context, awaitable)
