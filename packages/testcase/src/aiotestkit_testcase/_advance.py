"""The awaitable `advance()` returns inside a running loop, and the check for a missing await.

`self.advance(5)` without `await` in a coroutine test would only create a coroutine and move no
time; a coroutine never awaited merely warns when it is garbage-collected, so the test could
pass (or fail later for a reason that hides the real one). `advance()` therefore returns a real
coroutine (as asynctest's did, so `create_task()` takes it), recorded in an `UnawaitedCalls` of
the test; the test's runner asks the record at the end of each phase, and a call that never
started and that nothing else holds fails the test, naming the line that made it.
"""

from __future__ import annotations

import gc
import inspect
from collections.abc import Coroutine
from typing import Any

from aiotestkit_clock import ClockedEventLoop

__unittest = True


def caller(depth: int = 2) -> str:
    """Return "file:line" of the caller's caller (*depth* frames above this function)."""
    frame = inspect.currentframe()
    for _ in range(depth):
        if frame is None:  # pragma: no cover - an interpreter without frame objects
            break
        frame = frame.f_back
    if frame is None:  # pragma: no cover - idem
        return "an unknown line"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


async def _advance(loop: ClockedEventLoop, seconds: float) -> None:
    await loop.advance(seconds)


class AdvanceCall:
    """One `advance()` call made in a running loop: a real coroutine, and where it was made.

    `advance()` returns `coro`, a coroutine like asynctest's, so it can be awaited, given to
    `create_task()`, `gather()`, `TaskGroup.create_task()`... The call counts as awaited once
    the coroutine has started (or was closed, e.g. its task was cancelled before it ran).

    Args:
        loop: the virtual-time loop to advance.
        seconds: how far.
        spelling: how the user wrote the call (`self.advance`, `advance`), for messages.
        where: "file:line" of the call, for messages.
    """

    __slots__ = ("coro", "seconds", "spelling", "where")

    def __init__(self, loop: ClockedEventLoop, seconds: float, spelling: str, where: str) -> None:
        coro: Any = _advance(loop, seconds)
        coro.__qualname__ = f"{spelling}({seconds!r})"  # what warnings and task reprs show
        self.coro: Coroutine[Any, Any, None] = coro
        self.seconds = seconds
        self.spelling = spelling
        self.where = where

    @property
    def awaited(self) -> bool:
        """Whether the coroutine has started (or was closed without starting)."""
        return inspect.getcoroutinestate(self.coro) != inspect.CORO_CREATED

    @property
    def held_elsewhere(self) -> bool:
        """Whether code besides the record still holds the coroutine (to await it later).

        A call written as a statement, `self.advance(5)` without `await`, leaves the record as
        the coroutine's only holder: that one is reported when its phase ends. One stored
        (`self.step = self.advance(1)`) may be awaited in a later phase.
        """
        # Asked only for calls still pending when a phase ends (rare), so the cost of a heap
        # walk is fine; reference counts would be cheaper but differ between versions.
        return any(holder is not self for holder in gc.get_referrers(self.coro))

    def __repr__(self) -> str:
        return f"<{self.spelling}({self.seconds!r}) at {self.where}>"


class UnawaitedCalls:
    """The `advance()` calls of one test that are not awaited yet."""

    __slots__ = ("_calls",)

    def __init__(self) -> None:
        self._calls: list[AdvanceCall] = []

    def add(self, call: AdvanceCall) -> Coroutine[Any, Any, None]:
        """Record *call*; return its coroutine (what `advance()` gives the caller)."""
        self._calls.append(call)
        return call.coro

    def report(self) -> str | None:
        """Describe the calls nobody can await any more (None if there are none).

        Calls already awaited are forgotten; a call not started yet but still held by the
        test's code (stored to be awaited in a later phase) stays recorded; the others are
        reported, and their coroutines closed so that Python does not also warn about them.
        """
        calls = self._calls
        if not calls:
            return None
        pending = [call for call in calls if not call.awaited]
        self._calls = [call for call in pending if call.held_elsewhere]
        missed = [call for call in pending if not call.held_elsewhere]
        for call in missed:
            call.coro.close()
        if not missed:
            return None
        lines = "\n".join(
            f"  {call.spelling}({call.seconds!r}) at {call.where}: write "
            f"`await {call.spelling}({call.seconds!r})`"
            for call in missed
        )
        return f"advance() was called without `await`, so the clock did not move:\n{lines}"
