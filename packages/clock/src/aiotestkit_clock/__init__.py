"""aiotestkit-clock: a virtual-time asyncio event loop with advance() and auto-advance."""

from __future__ import annotations

from ._errors import DeadlockError
from ._loop import ClockedEventLoop, advance

__all__ = ("ClockedEventLoop", "advance", "DeadlockError")
