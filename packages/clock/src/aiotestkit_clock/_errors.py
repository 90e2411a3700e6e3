"""Exceptions raised by the virtual clock."""

from __future__ import annotations

__all__ = ("DeadlockError",)


class DeadlockError(RuntimeError):
    """The loop is idle and nothing can ever wake it up.

    Raised out of ``run_until_complete()`` / ``run_forever()`` (and so out of
    ``asyncio.Runner.run()``) instead of hanging forever: no callback is ready, no executor job,
    subprocess or real I/O is in flight, and virtual time cannot move to a timer (there is none,
    or the loop is in ``advance()`` mode and no ``advance()`` is in progress). The message names
    every pending task and what it awaits.
    """
