"""ClockedTestCase: a TestCase whose loop runs on a virtual clock."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import ClassVar

from aiotestkit_clock import ClockedEventLoop
from aiotestkit_fakeio import TestSelector

from ._advance import AdvanceCall, caller
from ._case import LoopFactory, TestCase, check_flag, check_seconds
from ._phases import DONE

__unittest = True


class ClockedTestCase(TestCase):
    """A TestCase whose loop is an `aiotestkit_clock.ClockedEventLoop`.

    The loop's clock starts at 0 and moves only when the test calls `advance()` (or, with
    `autojump = True`, whenever the loop would otherwise wait for a timer). The wall clock
    (`time.time()`, `time.monotonic()`) is never touched.

    Class attributes:
        autojump: jump the clock to the next timer whenever the loop is idle (default False:
            time moves only through `advance()`).
        io_grace: real seconds the loop waits for real sockets and pipes (not fakeio's mocks)
            to deliver before each jump of virtual time; None (default) keeps the clock's
            default. While any real file descriptor is registered (even an idle listening
            server), every jump costs that much real time; 0 suits tests whose sockets only
            talk to the loop itself.
        hold_warning: real seconds virtual time may be held for one executor job (while a timer
            or `advance()` waits) before the loop logs a warning naming the job; None for no
            warning. Default 5.0, the clock's (see aiotestkit-clock's README).
        hold_for_subprocesses: whether a live child process holds virtual time until it
            exits (default True, the clock's); False lets timeouts around a silent child fire.

    A custom `loop_factory` must return a `ClockedEventLoop`.
    """

    autojump: ClassVar[bool] = False
    io_grace: ClassVar[float | None] = None
    hold_warning: ClassVar[float | None] = 5.0
    hold_for_subprocesses: ClassVar[bool] = True

    loop: ClockedEventLoop
    """The test's virtual-time event loop."""

    def _aiotestkit_check_settings(self) -> None:
        super()._aiotestkit_check_settings()
        check_flag(self, "autojump")
        # The clock takes only an int or a float for these: refused here, the error names
        # the class attribute rather than the clock's parameter.
        check_seconds(self, "io_grace", zero=True, meaning="the clock's default", int_or_float=True)
        check_seconds(self, "hold_warning", zero=True, meaning="no warning", int_or_float=True)
        check_flag(self, "hold_for_subprocesses")

    def _aiotestkit_default_loop_factory(self) -> LoopFactory:
        autojump = self.autojump
        io_grace = self.io_grace
        hold_warning = self.hold_warning
        hold_for_subprocesses = self.hold_for_subprocesses

        def clocked_loop() -> ClockedEventLoop:
            loop = ClockedEventLoop(
                selector=TestSelector(),
                autojump=autojump,
                hold_warning=hold_warning,
                hold_for_subprocesses=hold_for_subprocesses,
            )
            if io_grace is not None:
                loop.io_grace = io_grace
            return loop

        return clocked_loop

    def _aiotestkit_check_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        if not isinstance(loop, ClockedEventLoop):
            if self.use_default_loop:
                msg = (
                    f"{type(self).__name__}.use_default_loop needs the thread's current loop to "
                    f"be an aiotestkit_clock.ClockedEventLoop, got {loop!r}"
                )
            else:
                msg = (
                    f"{type(self).__name__}.loop_factory must return an "
                    f"aiotestkit_clock.ClockedEventLoop, got {loop!r}"
                )
            raise TypeError(msg)

    def advance(self, seconds: float) -> Awaitable[None]:
        """Move the loop's clock forward by *seconds*, running every callback due on the way.

        Each timer runs with `loop.time()` equal to its own deadline, in order, as if the time
        had really passed (asynctest's semantics). Use `await self.advance(10)` in coroutines;
        in synchronous code (a sync test, setUp or tearDown) `self.advance(10)` runs the loop
        itself until the clock has moved. A call in a coroutine that is never awaited fails the
        test when its phase ends, naming the line (the clock would silently not have moved).

        Raises:
            ValueError: if *seconds* is negative, NaN or infinite (in a coroutine: when the
                call is awaited, as with asynctest's coroutine `advance()`).
            TypeError: if *seconds* is not an int or float (idem).
        """
        loop = self.loop
        runner = self._aiotestkit_runner
        if loop.is_running():
            call = AdvanceCall(loop, seconds, "self.advance", caller())
            if runner is None:  # pragma: no cover - self.loop exists only while a runner does
                return call.coro
            return runner.unawaited.add(call)  # checked when the phase ends
        if runner is None:  # pragma: no cover - self.loop exists only while a runner does
            msg = "advance() needs the test's loop: call it during the test"
            raise RuntimeError(msg)
        runner.run(loop.advance(seconds))
        return DONE
