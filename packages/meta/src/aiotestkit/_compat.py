"""Every use of a private stdlib name in the aiotestkit meta-package lives here.

Checked on CPython 3.10.13, 3.11.7, 3.12.1 and 3.13.0 (run here) and against the 3.14 source of
``Lib/asyncio/base_events.py`` (read, not run).
"""

from __future__ import annotations

import asyncio

__all__ = ("ready_callbacks",)


def ready_callbacks(loop: asyncio.AbstractEventLoop) -> int | None:
    """Return how many callbacks wait in the loop's ready queue, or None if it has none.

    ``BaseEventLoop._ready`` (a ``collections.deque`` of handles) exists on every CPython
    3.10-3.14; uvloop and other native loops keep their queue out of reach.
    """
    ready = getattr(loop, "_ready", None)
    if ready is None:
        return None
    return len(ready)
