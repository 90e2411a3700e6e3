"""aiotestkit: a test's event-loop lifecycle, forbid_get_event_loop and fail_on leak checks."""

from __future__ import annotations

__all__ = ()
