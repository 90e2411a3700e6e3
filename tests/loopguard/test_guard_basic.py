"""LoopGuard lifecycle basics."""

from __future__ import annotations

import asyncio

import pytest

from aiotestkit_loopguard import LeakError, LoopGuard, fail_on, resolve_checks


def test_loop_is_current_while_started_and_closed_after() -> None:
    guard = LoopGuard()
    loop = guard.start()
    try:
        assert guard.loop is loop
        assert asyncio.get_event_loop() is loop
    finally:
        guard.close()
    assert loop.is_closed()
    guard.close()  # idempotent


def test_assert_clean_names_pending_timer() -> None:
    with LoopGuard() as loop:
        handle = loop.call_later(100, print)
        guard_checks = {"active_handles": True}
        from aiotestkit_loopguard import check_loop

        findings = check_loop(loop, **guard_checks)
        assert [f.name for f in findings] == ["active_handles"]
        assert "print" in findings[0].message
        handle.cancel()
        assert check_loop(loop, **guard_checks) == []


def test_assert_clean_raises_leak_error() -> None:
    class Case:
        @fail_on(active_handles=True)
        def test(self) -> None:
            pass

    guard = LoopGuard()
    loop = guard.start()
    try:
        loop.call_later(10, print)
        with pytest.raises(LeakError, match="pending timer") as info:
            guard.assert_clean(resolve_checks(Case, Case.test))
        assert isinstance(info.value, AssertionError)
    finally:
        guard.close()
