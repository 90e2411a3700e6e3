"""The public virtual-time event loop and the module-level ``advance()``."""

from __future__ import annotations

import asyncio
import heapq
import math
import numbers
import reprlib
import selectors

from ._compat import ClockedLoopBase

__all__ = ("ClockedEventLoop", "advance")


def _check_seconds(seconds: object, what: str) -> float:
    """Validate a non-negative, finite duration in seconds and return it as a float.

    Raises:
        TypeError: ``seconds`` is not an int or float (``bool`` is refused too).
        ValueError: ``seconds`` is negative, NaN, infinite, or too large for a float.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real):
        raise TypeError(
            f"{what} must be an int or float, got {_short_repr(seconds)} ({type(seconds).__name__})"
        )
    try:
        value = float(seconds)
    except OverflowError:
        raise ValueError(
            f"{what} must be a finite number >= 0, got {_short_repr(seconds)} "
            "(too large for a float)"
        ) from None
    if not 0 <= value < math.inf:  # also false for NaN
        raise ValueError(f"{what} must be a finite number >= 0, got {_short_repr(seconds)}")
    return value


def _check_start(start: object) -> float:
    """Validate the virtual time a loop starts at (any finite number) and return it as a float.

    Raises:
        TypeError: ``start`` is not an int or float (``bool`` is refused too).
        ValueError: ``start`` is NaN, infinite, or too large for a float.
    """
    if isinstance(start, bool) or not isinstance(start, numbers.Real):
        raise TypeError(
            f"start must be an int or float (a virtual time), got {_short_repr(start)} "
            f"({type(start).__name__})"
        )
    try:
        value = float(start)
    except OverflowError:
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(
            f"start must be a finite number (a virtual time), got {_short_repr(start)}"
        )
    return value


def _check_selector(selector: object) -> None:
    """Refuse anything but a selector or None, with a hint when a start time was meant.

    Raises:
        TypeError: ``selector`` is not a ``selectors.BaseSelector`` or None.
    """
    if selector is None or isinstance(selector, selectors.BaseSelector):
        return
    message = (
        f"selector must be a selectors.BaseSelector or None, got {_short_repr(selector)} "
        f"({type(selector).__name__})"
    )
    if not isinstance(selector, bool) and isinstance(selector, numbers.Real):
        # ClockedEventLoop(1.7e9): the start time passed positionally.
        message += f"; did you mean start={_short_repr(selector)}?"
    raise TypeError(message)


def _check_hold_warning(value: object) -> float | None:
    """Validate ``hold_warning``: None (no warning) or a finite number of seconds >= 0.

    Raises:
        TypeError: ``value`` is not None, an int or a float.
        ValueError: ``value`` is negative, NaN, infinite or too large for a float.
    """
    if value is None:
        return None
    try:
        return _check_seconds(value, "hold_warning")
    except TypeError:
        raise TypeError(
            f"hold_warning must be an int or float, or None to turn the warning off, got "
            f"{_short_repr(value)} ({type(value).__name__})"
        ) from None


def _short_repr(value: object) -> str:
    """Return ``repr(value)``, shortened in the middle when it is very long (10**400)."""
    return reprlib.repr(value)


class ClockedEventLoop(ClockedLoopBase):
    """A selector event loop whose ``time()`` is virtual.

    Virtual time starts at ``start`` and moves only between loop iterations, never while a
    callback runs, and never by reading a real clock: either by ``await loop.advance(seconds)``
    or, with ``autojump``, straight to the next timer whenever nothing is ready. Every timer
    runs with ``loop.time()`` equal to its own deadline; timers with equal deadlines run in the
    order they were scheduled. The wall clock (``time.time()``, ``time.monotonic()``) is never
    touched.

    Real work is never overtaken: while an executor job (``run_in_executor``, ``to_thread``)
    started from this loop, a subprocess, or ``shutdown_default_executor`` is in flight, virtual
    time stands still and the loop waits for it in real time. When real file descriptors are
    registered (sockets, pipes; not the loop's self-pipe, not aiotestkit_fakeio's fake ones),
    the loop gives them ``io_grace`` real seconds to deliver before each jump (a read/write
    property: set it to 0 when those sockets only talk to this loop, and jumps cost no real
    time). When virtual time has been held for one executor job for ``hold_warning`` real
    seconds, the loop logs one warning about that job on the ``asyncio`` logger (a job that
    waits for the loop to reach a timer would otherwise hang silently).

    When the loop would otherwise wait forever, it raises ``DeadlockError`` naming every pending
    task and what it awaits.

    Usable wherever a loop factory is accepted: ``asyncio.Runner(loop_factory=ClockedEventLoop)``
    (3.11+), ``asyncio.run(main(), loop_factory=...)`` (3.12+),
    ``IsolatedAsyncioTestCase.loop_factory`` (3.13+), or directly with ``run_until_complete``.

    Args:
        selector: The selector to use, as for ``asyncio.SelectorEventLoop`` (e.g. an
            aiotestkit_fakeio ``TestSelector``). Defaults to ``selectors.DefaultSelector()``.
        start: The virtual time the loop starts at; any finite float, including epoch-like
            values such as 1.7e9.
        autojump: Whether idle time jumps straight to the next timer. Can be changed at run time
            through the ``autojump`` property.
        io_grace: Real seconds to wait for real file descriptors to deliver before a jump
            (default 0.02); also the ``io_grace`` property.
        hold_warning: Real seconds virtual time may be held for one executor job before the
            loop logs a warning naming it (default 5.0; None: never); also the
            ``hold_warning`` property.
        hold_for_subprocesses: Whether a live subprocess holds virtual time for its whole life
            (default True); also the ``hold_for_subprocesses`` property.

    Raises:
        TypeError: ``selector`` is not a ``selectors.BaseSelector`` or None (a number there
            was probably meant as ``start=``, which is keyword-only), ``start`` or
            ``io_grace`` is not an int or float, ``hold_warning`` is not an int, float or
            None, or ``autojump`` or ``hold_for_subprocesses`` is not a bool.
        ValueError: ``start`` is not finite, or ``io_grace`` or ``hold_warning`` is negative
            or not finite.
    """

    def __init__(
        self,
        selector: selectors.BaseSelector | None = None,
        *,
        start: float = 0.0,
        autojump: bool = False,
        io_grace: float = 0.02,
        hold_warning: float | None = 5.0,
        hold_for_subprocesses: bool = True,
    ) -> None:
        try:
            # Checked before the base class builds anything (self-pipe, selector): a failed
            # constructor must not leave a half-built loop behind for __del__ to warn about.
            _check_selector(selector)
            first = _check_start(start)
            if not isinstance(autojump, bool):
                raise TypeError(f"autojump must be True or False, got {autojump!r}")
            if not isinstance(hold_for_subprocesses, bool):
                raise TypeError(
                    f"hold_for_subprocesses must be True or False, got {hold_for_subprocesses!r}"
                )
            grace = _check_seconds(io_grace, "io_grace")
            hold = _check_hold_warning(hold_warning)
        except (TypeError, ValueError):
            self._vt_abandon()
            raise
        super().__init__(selector, first, autojump, grace, hold, hold_for_subprocesses)

    @property
    def autojump(self) -> bool:
        """Whether virtual time jumps to the next timer whenever nothing is ready.

        Can be switched at any time, also from inside a running test.
        """
        return self._vt_autojump

    @autojump.setter
    def autojump(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise TypeError(f"autojump must be True or False, got {value!r}")
        self._vt_autojump = value

    @property
    def io_grace(self) -> float:
        """Real seconds the loop gives registered real file descriptors before each time jump.

        While a real socket or pipe is registered with the loop (anything but its self-pipe and
        the fake files of a wrapping selector such as aiotestkit_fakeio's ``TestSelector``),
        every move of virtual time first waits up to ``io_grace`` real seconds for that I/O to
        deliver, so that a reply arriving from outside the loop is not overtaken by a timeout.
        Each jump then costs up to this much real time (50 jumps at the default 0.02: one real
        second). Set it to ``0`` when the real sockets only talk to this loop itself (a server
        and its clients in the same test; the kernel makes such data readable before the
        sending call returns), and the jumps are free again. Can be changed at any time.

        Raises:
            TypeError: On assignment of something that is not an int or float.
            ValueError: On assignment of a negative, NaN or infinite value.
        """
        return self._vt_io_grace

    @io_grace.setter
    def io_grace(self, value: float) -> None:
        self._vt_io_grace = _check_seconds(value, "io_grace")

    @property
    def hold_warning(self) -> float | None:
        """Real seconds virtual time may be held for one executor job before a warning.

        Virtual time stands still while a ``run_in_executor`` / ``to_thread`` job started from
        this loop is in flight. When that has lasted ``hold_warning`` real seconds for a job
        while time would otherwise move (to a timer under autojump, or towards a pending
        ``advance()``), the loop logs one warning on the ``asyncio`` logger naming the job's
        function and where it was submitted: a job that waits for the loop to reach a timer
        (``run_coroutine_threadsafe(coro, loop).result()`` where ``coro`` sleeps) would
        otherwise hang without a word. Time is still held. Default
        5.0; ``None`` turns the warning off. Can be changed at any time.

        Raises:
            TypeError: On assignment of something that is not an int, float or None.
            ValueError: On assignment of a negative, NaN or infinite value.
        """
        return self._vt_hold_warning

    @hold_warning.setter
    def hold_warning(self, value: float | None) -> None:
        self._vt_hold_warning = _check_hold_warning(value)

    @property
    def hold_for_subprocesses(self) -> bool:
        """Whether a live subprocess holds virtual time (default True).

        True: from its start until it exits, a child process started from this loop holds
        virtual time, as an executor job does, so that nothing it does is overtaken, and a
        ``wait_for(proc.stdout.readline(), 1)`` around a child that answers after 4 real
        seconds returns the answer after 4 real seconds instead of timing out. A long-lived
        child (a helper server) then makes every virtual sleep wait for its exit. False: a child
        holds time only while time could not move anyway (the loop then waits for it instead of
        raising ``DeadlockError``); its pipes are real file descriptors, which get ``io_grace``
        before each jump like sockets. Can be changed at any time.

        Raises:
            TypeError: On assignment of something that is not a bool.
        """
        return self._vt_hold_procs

    @hold_for_subprocesses.setter
    def hold_for_subprocesses(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise TypeError(f"hold_for_subprocesses must be True or False, got {value!r}")
        self._vt_hold_procs = value

    async def advance(self, seconds: float) -> None:
        """Let ``seconds`` of virtual time pass, running everything due on the way.

        Every callback due within the window runs at its own due time, in due order (equal
        times in scheduling order), including callbacks scheduled during the window; the tasks
        they wake run before time moves on. When this returns, ``loop.time()`` equals the time
        at the call plus ``seconds``. ``advance(0)`` runs only what is ready now. Executor jobs,
        subprocesses and real I/O in flight are waited for in real time, as in autojump mode.

        Args:
            seconds: How far to move virtual time; a finite number >= 0.

        Raises:
            TypeError: ``seconds`` is not an int or float.
            ValueError: ``seconds`` is negative, NaN, infinite or too large for a float.
            RuntimeError: Awaited outside this loop.
        """
        delta = _check_seconds(seconds, "seconds")
        if asyncio.get_running_loop() is not self:
            raise RuntimeError("loop.advance() must be awaited by a task running in that same loop")
        target = self._vt_now + delta
        entry = (target, next(self._vt_seq), self.create_future())
        heapq.heappush(self._vt_targets, entry)
        try:
            await entry[2]
        finally:
            if not entry[2].done() or entry[2].cancelled():
                try:
                    self._vt_targets.remove(entry)
                except ValueError:
                    pass
                else:
                    heapq.heapify(self._vt_targets)

    def next_deadline(self) -> float | None:
        """Return the virtual time of the earliest pending (not cancelled) timer, or None."""
        return self._vt_next_deadline()

    def pending_timers(self) -> int:
        """Return how many timers are scheduled and not cancelled."""
        return self._vt_pending_timers()


async def advance(seconds: float) -> None:
    """Advance the running ``ClockedEventLoop`` by ``seconds``; see ``ClockedEventLoop.advance``.

    Args:
        seconds: How far to move virtual time; a finite number >= 0.

    Raises:
        TypeError: The running loop is not a ClockedEventLoop, or ``seconds`` is not an int or
            float.
        ValueError: ``seconds`` is negative, NaN, infinite or too large for a float.
    """
    loop = asyncio.get_running_loop()
    if not isinstance(loop, ClockedEventLoop):
        kind = f"{type(loop).__module__}.{type(loop).__qualname__}"
        raise TypeError(
            f"advance() needs the running loop to be an aiotestkit_clock.ClockedEventLoop, "
            f"but it is a {kind}; run the code on one, e.g. "
            "asyncio.Runner(loop_factory=aiotestkit_clock.ClockedEventLoop), or use "
            "aiotestkit_testcase.ClockedTestCase"
        )
    await loop.advance(seconds)
