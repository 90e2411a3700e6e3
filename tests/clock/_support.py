"""Helpers shared by the clock tests."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from aiotestkit_clock import ClockedEventLoop

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T], **loop_kwargs: Any) -> T:
    """Run ``main`` on a fresh ClockedEventLoop (works on 3.10 too) and close it cleanly."""
    loop = ClockedEventLoop(**loop_kwargs)
    try:
        return loop.run_until_complete(main)
    finally:
        try:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()


def running_clock() -> ClockedEventLoop:
    """Return the running loop, which the tests expect to be clocked."""
    loop = asyncio.get_running_loop()
    assert isinstance(loop, ClockedEventLoop)
    return loop
