"""Emulate Python 3.14's policy deprecation on the Pythons that run here.

On 3.14 the public policy accessors warn and the private ``events._get_event_loop_policy`` /
``_set_event_loop_policy`` / ``_AbstractEventLoopPolicy`` are the warning-free way in, and the
default policy's thread-local has no ``_set_called`` any more (CPython Lib/asyncio/events.py,
read from source). Here the public accessors are made to fail loudly and the private names are
provided, so any deprecated call from loopguard would fail these tests.
"""

from __future__ import annotations

import asyncio
import asyncio.events as events
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from aiotestkit_loopguard import (
    GetEventLoopForbiddenError,
    LoopGuard,
    _compat,
    _forbid,
    forbid_get_event_loop,
)

if hasattr(events, "_get_event_loop_policy"):  # a real 3.14+: nothing to emulate
    pytest.skip("this Python has the private policy accessors", allow_module_level=True)


class Policy314(asyncio.DefaultEventLoopPolicy):
    """The 3.14 default policy: no ``_set_called`` latch, never creates a loop implicitly."""

    class _Local(threading.local):
        _loop: asyncio.AbstractEventLoop | None = None

    _local: _Local

    def get_event_loop(self) -> asyncio.AbstractEventLoop:
        loop: asyncio.AbstractEventLoop | None = self._local._loop
        if loop is None:
            raise RuntimeError("There is no current event loop in thread 'MainThread'.")
        return loop

    def set_event_loop(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self._local._loop = loop


def _deprecated(*args: Any) -> Any:
    raise AssertionError("a policy API deprecated in 3.14 was called")


@pytest.fixture
def py314(monkeypatch: pytest.MonkeyPatch) -> Iterator[Policy314]:
    real_get = events.get_event_loop_policy
    real_set = events.set_event_loop_policy
    original = real_get()
    policy = Policy314()
    real_set(policy)

    def set_event_loop(loop: asyncio.AbstractEventLoop | None) -> None:
        real_get().set_event_loop(loop)

    def new_event_loop() -> asyncio.AbstractEventLoop:
        loop: asyncio.AbstractEventLoop = real_get().new_event_loop()
        return loop

    monkeypatch.setattr(_compat, "_private_get_policy", real_get)
    monkeypatch.setattr(_compat, "_private_set_policy", real_set)
    base = asyncio.AbstractEventLoopPolicy
    monkeypatch.setattr(events, "_AbstractEventLoopPolicy", base, raising=False)
    monkeypatch.setattr(_forbid, "_policy_class", None)  # rebuilt from the private base
    for module in (events, asyncio):
        monkeypatch.setattr(module, "get_event_loop_policy", _deprecated)
        monkeypatch.setattr(module, "set_event_loop_policy", _deprecated)
        monkeypatch.setattr(module, "set_event_loop", set_event_loop)
        monkeypatch.setattr(module, "new_event_loop", new_event_loop)
    try:
        yield policy
    finally:
        real_set(original)


def test_guard_lifecycle_without_deprecated_calls(py314: Policy314) -> None:
    assert _compat.capture_current_loop().set_called is _compat.MISSING
    outer = asyncio.SelectorEventLoop()
    py314.set_event_loop(outer)
    try:
        with LoopGuard(forbid_get_event_loop=True) as loop:
            assert py314._local._loop is loop
            with pytest.raises(GetEventLoopForbiddenError):
                asyncio.get_event_loop()
            loop.run_until_complete(asyncio.sleep(0))
        assert _compat.get_policy() is py314
        assert py314._local._loop is outer
        with LoopGuard(use_default_loop=True) as adopted:
            assert adopted is outer
        assert not outer.is_closed()
    finally:
        py314.set_event_loop(None)
        outer.close()


def test_forbid_without_deprecated_calls(py314: Policy314) -> None:
    with forbid_get_event_loop():
        assert _compat.get_policy() is not py314
        with pytest.raises(GetEventLoopForbiddenError):
            asyncio.get_event_loop()
    assert _compat.get_policy() is py314
    with pytest.raises(RuntimeError, match="no current event loop"):
        asyncio.get_event_loop()
