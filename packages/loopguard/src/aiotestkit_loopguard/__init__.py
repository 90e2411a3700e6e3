"""aiotestkit: a test's event-loop lifecycle, forbid_get_event_loop and fail_on leak checks."""

from __future__ import annotations

from ._checks import (
    CheckContext,
    Finding,
    LeakError,
    Records,
    check_loop,
    fail_on,
    ignore_loop,
    known_checks,
    lenient,
    register_check,
    resolve_checks,
    strict,
    unregister_check,
)
from ._forbid import ForbidGetEventLoop, GetEventLoopForbiddenError, forbid_get_event_loop
from ._guard import LoopGuard

__all__ = (
    # the loop of a test
    "LoopGuard",
    # checks and their decorators
    "fail_on",
    "strict",
    "lenient",
    "ignore_loop",
    "resolve_checks",
    "check_loop",
    "register_check",
    "unregister_check",
    "known_checks",
    "Finding",
    "LeakError",
    "CheckContext",
    "Records",
    # forbid_get_event_loop
    "forbid_get_event_loop",
    "ForbidGetEventLoop",
    "GetEventLoopForbiddenError",
)
