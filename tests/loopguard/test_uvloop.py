"""Ordinary tests on uvloop loops (uvloop is a test-only dependency on CPython)."""

from __future__ import annotations

import asyncio

import pytest

from aiotestkit_loopguard import LoopGuard, _compat, check_loop

uvloop = pytest.importorskip("uvloop")


def test_uvloop_lifecycle_and_checks() -> None:
    before = _compat.capture_current_loop()
    with LoopGuard(uvloop.new_event_loop) as loop:
        assert isinstance(loop, uvloop.Loop)
        assert asyncio.get_event_loop() is loop
        assert loop.run_until_complete(asyncio.sleep(0, "ok")) == "ok"
        assert check_loop(loop) == []
        task = loop.create_task(asyncio.sleep(10))
        loop.call_later(10, print)  # invisible on uvloop: no timer heap to inspect
        loop.run_until_complete(asyncio.sleep(0))
        assert [f.name for f in check_loop(loop)] == ["leftover_tasks"]
    assert task.cancelled()
    assert loop.is_closed()
    assert _compat.capture_current_loop() == before


def test_uvloop_unused_loop_and_exceptions() -> None:
    guard = LoopGuard(uvloop.new_event_loop)
    loop = guard.start()
    try:
        assert [f.name for f in guard.check({"unused_loop": True})] == ["unused_loop"]
        loop.call_soon(lambda: 1 / 0)
        loop.run_until_complete(asyncio.sleep(0))
        assert guard.check({"unused_loop": True}) == []
        [finding] = guard.check({"loop_exceptions": True})
        assert "ZeroDivisionError" in finding.message
    finally:
        guard.close()


def test_default_factory_honours_an_installed_uvloop_policy() -> None:
    policy_class = getattr(uvloop, "EventLoopPolicy", None)
    if policy_class is None or _compat.get_policy() is None:  # pragma: no cover - 3.16+
        pytest.skip("no event-loop policies on this Python or uvloop")
    original = _compat.capture_current_loop()
    policy = policy_class()
    _compat.set_policy(policy)
    outer = policy.new_event_loop()
    try:
        asyncio.set_event_loop(outer)
        before = _compat.capture_current_loop()
        with LoopGuard() as loop:
            assert isinstance(loop, uvloop.Loop)  # asyncio.new_event_loop() asked the policy
            assert asyncio.get_event_loop() is loop
            loop.run_until_complete(asyncio.sleep(0))
        assert loop.is_closed()
        assert _compat.get_policy() is policy
        assert _compat.capture_current_loop() == before
        assert asyncio.get_event_loop() is outer
    finally:
        _compat.restore_current_loop(original)
        outer.close()
    assert _compat.get_policy() is original.policy
