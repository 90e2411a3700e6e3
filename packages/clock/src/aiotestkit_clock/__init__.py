"""aiotestkit: the virtual-time event loop (ClockedEventLoop, advance, auto-advance)."""

from __future__ import annotations

__all__ = ()
