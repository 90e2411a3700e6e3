"""Emulate a Python without the policy system (3.16 removes it, gh-127949) on the Pythons here.

Its exact shape was not verifiable: whether ``asyncio.set_event_loop`` / ``get_event_loop`` stay
(backed by a per-thread current loop) or go was still discussed (gh-130322). Both shapes are
emulated: the policy accessors and classes are removed (the private ones too), and
``set_event_loop`` / ``get_event_loop`` either become a plain thread-local or disappear.
"""

from __future__ import annotations

import asyncio
import asyncio.events as events
import threading

import pytest

from aiotestkit_loopguard import (
    GetEventLoopForbiddenError,
    LoopGuard,
    _compat,
    _forbid,
    check_loop,
    forbid_get_event_loop,
)


class _Current(threading.local):
    loop: asyncio.AbstractEventLoop | None = None


@pytest.fixture(params=["thread-local current loop", "no current loop at all"])
def py316(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> _Current:
    current = _Current()

    def get_event_loop() -> asyncio.AbstractEventLoop:
        running = events._get_running_loop()
        if running is not None:
            return running
        if current.loop is None:
            raise RuntimeError("There is no current event loop")
        return current.loop

    def set_event_loop(loop: asyncio.AbstractEventLoop | None) -> None:
        current.loop = loop

    monkeypatch.setattr(_compat, "_private_get_policy", None)
    monkeypatch.setattr(_compat, "_private_set_policy", None)
    monkeypatch.setattr(_forbid, "_policy_class", None)
    for name in ("get_event_loop_policy", "set_event_loop_policy", "AbstractEventLoopPolicy"):
        monkeypatch.delattr(events, name)
    monkeypatch.delattr(events, "_AbstractEventLoopPolicy", raising=False)
    for module in (asyncio, events):
        monkeypatch.setattr(module, "new_event_loop", asyncio.SelectorEventLoop)
        if request.param == "thread-local current loop":
            monkeypatch.setattr(module, "get_event_loop", get_event_loop)
            monkeypatch.setattr(module, "set_event_loop", set_event_loop)
        else:
            monkeypatch.delattr(module, "get_event_loop")
            monkeypatch.delattr(module, "set_event_loop")
    return current


def test_guard_lifecycle(py316: _Current) -> None:
    assert _compat.get_policy() is None
    outer = asyncio.SelectorEventLoop()
    py316.loop = outer
    try:
        with LoopGuard() as loop:
            assert loop is not outer
            if _compat.has_current_loop():
                assert py316.loop is loop
            task = loop.create_task(asyncio.sleep(10))
            loop.run_until_complete(asyncio.sleep(0))
            assert [f.name for f in check_loop(loop, leftover_tasks=True)] == ["leftover_tasks"]
        assert loop.is_closed()
        assert task.cancelled()
        assert py316.loop is outer
    finally:
        py316.loop = None
        outer.close()


def test_use_default_loop(py316: _Current) -> None:
    outer = asyncio.SelectorEventLoop()
    py316.loop = outer
    try:
        with LoopGuard(use_default_loop=True) as loop:
            pass
        if _compat.has_current_loop():
            assert loop is outer  # adopted, left open
            assert not loop.is_closed()
        else:
            assert loop is not outer  # nothing to adopt: a fresh loop, closed
            assert loop.is_closed()
        assert py316.loop is outer
    finally:
        py316.loop = None
        outer.close()


def test_forbid(py316: _Current) -> None:
    if not _compat.has_current_loop():
        with forbid_get_event_loop():  # nothing to forbid: must not fail either
            pass
        return
    outer = asyncio.SelectorEventLoop()
    py316.loop = outer
    try:
        with forbid_get_event_loop() as forbidden:
            with pytest.raises(GetEventLoopForbiddenError):
                asyncio.get_event_loop()
        assert len(forbidden.violations) == 1
        assert asyncio.get_event_loop() is outer
        assert py316.loop is outer
    finally:
        py316.loop = None
        outer.close()
