"""aiotestkit: coroutine mocks, scoped patches, and fake files and sockets for the event loop."""

from __future__ import annotations

__all__ = ()
