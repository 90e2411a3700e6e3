"""The awaitable `advance()` returns inside a running loop, and the check for a missing await.

`self.advance(5)` without `await` in a coroutine test would only create an object and move no
time; a coroutine never awaited merely warns when it is garbage-collected, so the test could
pass (or fail later for a reason that hides the real one). `advance()` therefore returns an
`AdvanceCall`, registered with an `UnawaitedCalls` record of the test; the test's runner asks
the record at the end of each phase, and an `AdvanceCall` that was never awaited fails the test,
naming the line that made it. The clock's own coroutine is only created when the call is
awaited, so nothing else warns.
"""

from __future__ import annotations

import inspect
from collections.abc import Generator
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


class AdvanceCall:
    """Awaiting it moves *loop*'s clock by *seconds* (once), like `await loop.advance(seconds)`.

    Args:
        loop: the virtual-time loop to advance.
        seconds: how far.
        spelling: how the user wrote the call (`self.advance`, `advance`), for messages.
        where: "file:line" of the call, for messages.
    """

    __slots__ = ("_awaited", "_loop", "seconds", "spelling", "where")

    def __init__(self, loop: ClockedEventLoop, seconds: float, spelling: str, where: str) -> None:
        self._loop = loop
        self.seconds = seconds
        self._awaited = False
        self.spelling = spelling
        self.where = where

    @property
    def awaited(self) -> bool:
        """Whether the call has been awaited."""
        return self._awaited

    def __await__(self) -> Generator[Any, None, None]:
        if self._awaited:
            msg = f"{self.spelling}({self.seconds!r}) at {self.where} was already awaited"
            raise RuntimeError(msg)
        self._awaited = True
        return self._loop.advance(self.seconds).__await__()

    def __repr__(self) -> str:
        return f"<{self.spelling}({self.seconds!r}) at {self.where}>"


class UnawaitedCalls:
    """The `advance()` calls of one test that are not awaited yet."""

    __slots__ = ("_calls",)

    def __init__(self) -> None:
        self._calls: list[AdvanceCall] = []

    def add(self, call: AdvanceCall) -> AdvanceCall:
        """Record *call*; return it."""
        self._calls.append(call)
        return call

    def report(self) -> str | None:
        """Forget the recorded calls; describe those never awaited (None if all were)."""
        calls = self._calls
        if not calls:
            return None
        self._calls = []
        missed = [call for call in calls if not call.awaited]
        if not missed:
            return None
        lines = "\n".join(
            f"  {call.spelling}({call.seconds!r}) at {call.where}: write "
            f"`await {call.spelling}({call.seconds!r})`"
            for call in missed
        )
        return f"advance() was called without `await`, so the clock did not move:\n{lines}"
