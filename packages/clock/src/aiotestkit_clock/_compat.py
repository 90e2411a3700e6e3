"""The virtual-time engine: every use of a private asyncio or selectors name lives here.

``ClockedLoopBase`` replaces ``BaseEventLoop._run_once`` (one loop iteration) with a lean version
that never reads a real clock, compares deadlines exactly, keeps timers with equal deadlines in
scheduling order, and decides between running, jumping virtual time, waiting in real time and
reporting a deadlock. The public class in ``_loop.py`` only adds the API on top.

Private stdlib names used, and why:

- ``BaseEventLoop``: ``_closed`` (set on a loop whose constructor failed), ``_ready``
  (deque of handles to run), ``_scheduled`` (heap of timer handles),
  ``_timer_cancelled_count``, ``_stopping``, ``_debug``, ``_current_handle``,
  ``_clock_resolution`` (only read by the stock ``_run_once`` we replace), ``_default_executor``
  and ``_check_default_executor()`` (creating the default executor exactly as
  ``run_in_executor`` does), ``_check_closed()``, ``_check_thread()``, ``_check_callback()``
  (the debug-mode checks of ``call_at``), ``_timer_handle_cancelled()`` (called by
  ``TimerHandle.cancel``), ``_make_subprocess_transport()`` (the one place every subprocess
  is started).
- ``BaseSelectorEventLoop``: ``_selector``, ``_process_events()``, ``_ssock`` (the self-pipe).
- ``_UnixSelectorEventLoop``: ``_signal_handlers``.
- ``Handle`` / ``TimerHandle`` slots: ``_callback``, ``_args``, ``_cancelled``, ``_loop``,
  ``_source_traceback``, ``_repr``, ``_context``, ``_when``, ``_scheduled``.
- ``selectors._BaseSelectorImpl._fd_to_key`` (a fast length of the registrations; falls back
  to the public ``get_map()``).
- ``sys._getframe()`` and the name of ``Handle._run`` in asyncio/events.py (where a
  ``run_in_executor`` job was submitted, for the hold warning: the walk stops at the loop's
  frames). ``run_in_executor`` hands ``func`` itself to ``executor.submit`` and
  ``call_soon_threadsafe`` has the same signature on 3.10-3.14 (3.14: base_events.py read
  through the search index, as below).

What was checked, on which version:

- 3.10.13, 3.11.7, 3.12.1, 3.13.0: installed here; their ``Lib/asyncio`` read and the whole
  test suite run on each.
- 3.14 and main (3.15 development): no interpreter here; sources read through the search
  index. The index does not label copies with a release tag, so copies were identified by
  changes only they contain. python/cpython ``base_events.py`` at fc87e651 (2025: has
  gh-128552, ``create_task(coro, **kwargs)`` from gh-128307, ``_ThreadSafeHandle`` in
  ``call_soon_threadsafe``) and ``selector_events.py`` at 001c2866 (3.13+
  ``get_map().get(fd)``). Copies from 3.14 on (with the 3.14-only removal of child watchers,
  ``futures.future_add_to_awaited_by`` and ``Task(eager_start=...)`` via ``create_task``
  keyword arguments): ``events.py`` (``Handle``, ``_ThreadSafeHandle``, ``TimerHandle``),
  ``tasks.py``, ``futures.py``, ``unix_events.py`` and ``base_events.py`` from a mirror of
  CPython main, and ``Modules/_asynciomodule.c`` ``call_soon()``. The copies of
  ``events.py``, ``tasks.py`` and ``unix_events.py`` stored under python/cpython itself are
  years old (3.4 to 3.11) and were not used.
- Same on every one of them: ``_run_once`` (purge rule, ``_clock_resolution`` comparison,
  debug timing with ``_current_handle``), ``call_at``/``call_later``/``call_soon`` (checks
  and the frames they strip from a debug-mode creation traceback), ``Handle.__slots__`` and
  ``TimerHandle.__slots__`` (still checked at import: ``_FAST_HANDLES``),
  ``TimerHandle.cancel`` -> ``_timer_handle_cancelled``, ``_run_forever_setup`` /
  ``_run_forever_cleanup`` (3.13+; not overridden here), ``run_in_executor`` and
  ``shutdown_default_executor``, ``_make_subprocess_transport`` (async, same arguments; 3.14
  uses ``self._watcher`` instead of the child watcher policy), ``_selector``, ``_ssock``,
  ``_process_events``, ``_write_to_self``, the async generator hooks (their finalizer uses
  ``call_soon_threadsafe``), and ``_signal_handlers``. Tasks and futures (Python and C)
  schedule through the public ``loop.call_soon`` method, and eager tasks start without any
  loop internals, on 3.12 to main.
- Differences, all handled without version checks: ``call_soon_threadsafe`` queues a
  ``_ThreadSafeHandle`` (a ``Handle`` subclass with a lock; 3.14 and late 3.12/3.13 bug-fix
  releases), which ``_run_once`` runs like any handle (it re-checks cancellation under its
  lock); ``create_task`` forwards keyword arguments such as ``eager_start`` (3.14), which the
  clock does not override.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextvars
import functools
import heapq
import itertools
import logging
import math
import os
import reprlib
import selectors
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from ._errors import DeadlockError

if TYPE_CHECKING:
    from typing_extensions import TypeVarTuple, Unpack

    _Ts = TypeVarTuple("_Ts")

__all__ = ("ClockedLoopBase", "OrderedTimerHandle")

_T = TypeVar("_T")

logger = logging.getLogger("asyncio")

# The stock loop's rule for purging cancelled timers from the heap (base_events.py).
_MIN_SCHEDULED_TIMER_HANDLES = 100
_MIN_CANCELLED_TIMER_HANDLES_FRACTION = 0.5

# How many iterations one _run_once call may run while callbacks keep becoming ready.
_MAX_INNER_ITERATIONS = 1000

# Longest single real-time wait while real work is in flight; the loop re-evaluates after it.
_MAX_REAL_WAIT = 1.0

# Handle's slots on every checked version; when they differ (a future Python) timer handles
# are built through the stock constructors instead of the fast path below.
_HANDLE_SLOTS = ("_callback", "_args", "_cancelled", "_loop", "_source_traceback", "_repr")
_FAST_HANDLES = set(_HANDLE_SLOTS) | {"_context", "__weakref__"} == set(
    asyncio.Handle.__slots__
) and set(getattr(asyncio.TimerHandle, "__slots__", ())) == {"_scheduled", "_when"}
_copy_context = contextvars.copy_context
_new_handle: Callable[[type[asyncio.Handle]], asyncio.Handle] = object.__new__


class OrderedTimerHandle(asyncio.TimerHandle):
    """A ``TimerHandle`` that orders by (deadline, scheduling sequence).

    The stock handle compares deadlines only, so the heap may run two callbacks due at the same
    time in either order; the sequence number makes equal deadlines run first-in first-out.
    """

    __slots__ = ("_seq",)

    if TYPE_CHECKING:
        _seq: int
        _when: float
        _scheduled: bool
        _args: Sequence[Any]
        _callback: Callable[..., object] | None
        _context: contextvars.Context
        _loop: asyncio.AbstractEventLoop
        _source_traceback: Any
        _repr: str | None

    def __init__(
        self,
        when: float,
        callback: Callable[..., object],
        args: Sequence[Any],
        loop: ClockedLoopBase,
        context: contextvars.Context | None,
        seq: int,
    ) -> None:
        # The slow path (debug mode, or a Python whose Handle has other slots); the hot path
        # builds handles in ClockedLoopBase.call_at without calling any constructor.
        super().__init__(when, callback, args, loop, context)
        _drop_own_frames(self._source_traceback)
        self._seq = seq

    def __lt__(self, other: asyncio.TimerHandle) -> bool:
        when = self._when
        other_when = other._when  # type: ignore[attr-defined]
        if when == other_when:
            return self._seq < other._seq  # type: ignore[attr-defined,no-any-return]
        return when < other_when  # type: ignore[no-any-return]

    __hash__ = asyncio.TimerHandle.__hash__


_new_timer: Callable[[type[OrderedTimerHandle]], OrderedTimerHandle] = object.__new__

# The frames this module adds between a user's call and a handle's constructor in debug mode.
_OWN_FRAMES = frozenset(
    {"call_soon", "call_soon_threadsafe", "call_at", "call_later", "_vt_slow_timer", "__init__"}
)


def _drop_own_frames(source_traceback: Any) -> None:
    """Strip this module's frames from the end of a debug-mode "created at" traceback.

    The stock loop deletes the frames of its own scheduling methods so that a handle's
    traceback ends at the user's call; this does the same for the frames added here, matched by
    file and function name rather than counted, so it stays right if the stdlib changes how many
    of its own frames it strips.
    """
    while (
        source_traceback
        and source_traceback[-1].filename == __file__
        and source_traceback[-1].name in _OWN_FRAMES
    ):
        del source_traceback[-1]


def innermost_selector(selector: selectors.BaseSelector) -> selectors.BaseSelector:
    """Follow the ``.wrapped`` chain (aiotestkit_fakeio.TestSelector) to the real selector."""
    seen = {id(selector)}
    while True:
        inner = getattr(selector, "wrapped", None)
        if not isinstance(inner, selectors.BaseSelector) or id(inner) in seen:
            return selector
        seen.add(id(inner))
        selector = inner


def registrations(selector: selectors.BaseSelector) -> Mapping[Any, selectors.SelectorKey]:
    """Return a live mapping of the selector's registrations whose ``len()`` is cheap."""
    fd_to_key = getattr(selector, "_fd_to_key", None)
    if isinstance(fd_to_key, dict):
        return fd_to_key
    return selector.get_map()


_ASYNCIO_DIR = os.path.dirname(asyncio.__file__)
_SKIPPED_FILES = (__file__, functools.__file__)


def _submission_site(loop: asyncio.AbstractEventLoop) -> str:
    """Return where a job is being submitted: ``func() at file:line`` outside asyncio.

    Walks the calling frames, skipping asyncio's and this module's, up to the loop machinery
    (``Handle._run`` in asyncio/events.py). When the whole coroutine chain is asyncio's own (on
    3.10 and 3.11, ``wait_for(to_thread(...))`` runs ``to_thread`` in a task of its own), it
    names the current task instead.
    """
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        directory = os.path.dirname(filename)
        if directory == _ASYNCIO_DIR and code.co_name == "_run" and filename.endswith("events.py"):
            break  # below this are the loop's frames, not the code that submitted the job
        if filename not in _SKIPPED_FILES and directory != _ASYNCIO_DIR:
            return f"{code.co_name}() at {filename}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    task = asyncio.current_task(loop)
    if task is None:
        return "a callback (no caller outside asyncio on the stack)"
    coro = task.get_coro()
    name = getattr(coro, "__qualname__", None) or reprlib.repr(coro)
    return f"task {task.get_name()!r} running {name}() (no caller outside asyncio on its stack)"


def _callable_name(func: object) -> str:
    """Return the name of the function a job runs, looking through ``to_thread``'s wrapper.

    ``asyncio.to_thread(f, ...)`` submits ``functools.partial(context.run, f, ...)``.
    """
    for _ in range(10):
        if not isinstance(func, functools.partial):
            break
        owner = getattr(func.func, "__self__", None)
        func = func.args[0] if isinstance(owner, contextvars.Context) and func.args else func.func
    name = getattr(func, "__qualname__", None)
    if isinstance(name, str):
        return f"{name}()"
    return reprlib.repr(func)


class _Job:
    """An executor job started from the loop, with what the hold warning needs to know."""

    __slots__ = ("future", "held_since", "name", "posts", "result", "site", "warned")

    def __init__(
        self,
        future: concurrent.futures.Future[Any],
        result: asyncio.Future[Any],
        name: str,
        site: str,
        posts: int,
    ) -> None:
        self.future = future
        self.result = result
        self.name = name
        self.site = site
        # How many call_soon_threadsafe calls the loop had received when the job started.
        self.posts = posts
        # Real (monotonic) time at which virtual time was first held for this job.
        self.held_since: float | None = None
        self.warned = False


class _RecordingExecutor(concurrent.futures.Executor):
    """Submits to another executor and reports every future it creates."""

    def __init__(
        self,
        executor: concurrent.futures.Executor,
        record: Callable[[concurrent.futures.Future[Any]], None],
    ) -> None:
        self._executor = executor
        self._record = record

    def submit(
        self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[_T]:
        future = self._executor.submit(fn, *args, **kwargs)
        self._record(future)
        return future


def _describe_task(task: asyncio.Task[Any]) -> str:
    """Return the task's repr plus the chain of coroutine frames it is suspended in."""
    chain = []
    awaitable: object = task.get_coro()
    for _ in range(100):
        frame = getattr(awaitable, "cr_frame", None) or getattr(awaitable, "gi_frame", None)
        if frame is None:
            break
        chain.append(f"{frame.f_code.co_name}() at {frame.f_code.co_filename}:{frame.f_lineno}")
        awaitable = getattr(awaitable, "cr_await", None) or getattr(awaitable, "gi_yieldfrom", None)
    where = " -> ".join(chain) if chain else "(no coroutine frame)"
    return f"  {task!r}\n    suspended in {where}"


class ClockedLoopBase(asyncio.SelectorEventLoop):
    """A selector event loop whose iterations run on virtual time.

    Subclasses decide the policy through ``_vt_autojump`` and the advance targets; this base
    implements the mechanics. See ``aiotestkit_clock.ClockedEventLoop`` for the public API.
    """

    if TYPE_CHECKING:
        _ready: collections.deque[asyncio.Handle]
        _scheduled: list[OrderedTimerHandle]
        _timer_cancelled_count: int
        _stopping: bool
        _debug: bool
        _current_handle: asyncio.Handle | None
        _clock_resolution: float
        _selector: selectors.BaseSelector
        _default_executor: concurrent.futures.ThreadPoolExecutor | None
        _ssock: Any
        _closed: bool

        def _process_events(self, event_list: list[tuple[selectors.SelectorKey, int]]) -> None:
            """Stub of the stdlib method."""

        def _check_closed(self) -> None:
            """Stub of the stdlib method."""

        def _check_thread(self) -> None:
            """Stub of the stdlib method."""

        def _check_callback(self, callback: object, method: str) -> None:
            """Stub of the stdlib method."""

        def _check_default_executor(self) -> None:
            """Stub of the stdlib method."""

    def __init__(
        self,
        selector: selectors.BaseSelector | None,
        start: float,
        autojump: bool,
        io_grace: float,
        hold_warning: float | None,
        hold_for_subprocesses: bool,
    ) -> None:
        self._vt_now = start
        self._vt_seq = itertools.count()
        self._vt_autojump = autojump
        self._vt_io_grace = io_grace
        # Pending advance() calls: a heap of (target time, sequence, future).
        self._vt_targets: list[tuple[float, int, asyncio.Future[None]]] = []
        # Executor jobs started from this loop.
        self._vt_jobs: list[_Job] = []
        # Real seconds of holding virtual time for one job before a warning is logged.
        self._vt_hold_warning = hold_warning
        # How many times call_soon_threadsafe was called (for the hold warning's message).
        self._vt_posts = 0
        self._vt_procs: list[asyncio.SubprocessTransport] = []
        # False: a live child holds virtual time only when time could not move anyway.
        self._vt_hold_procs = hold_for_subprocesses
        # Real work in flight that is not a job or a process (subprocess start-up, executor
        # shutdown): a counter of active sections.
        self._vt_busy = 0
        self._vt_signals = False
        super().__init__(selector)
        # The stock _run_once (replaced below) compares `when < time() + _clock_resolution`;
        # keep the value ulp-sized so that nothing relying on it loses precision.
        self._clock_resolution = math.ulp(max(1.0, abs(start)))
        inner = innermost_selector(self._selector)
        self._vt_wrapped = inner is not self._selector
        self._vt_fds = registrations(inner)
        ssock = getattr(self, "_ssock", None)
        self._vt_base_fds = 0
        if ssock is not None and ssock.fileno() in self._vt_fds:
            self._vt_base_fds = 1

    def _vt_abandon(self) -> None:
        """Mark a loop whose constructor failed as closed, so ``__del__`` leaves it alone."""
        self._closed = True

    # -- time and timers ------------------------------------------------------------------------

    def time(self) -> float:
        """Return the loop's virtual time."""
        return self._vt_now

    def call_at(
        self,
        when: float,
        callback: Callable[[Unpack[_Ts]], object],
        *args: Unpack[_Ts],
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        """Schedule ``callback(*args)`` at virtual time ``when``; equal times run in FIFO order."""
        if when is None:
            raise TypeError("when cannot be None")
        if self._debug or self._closed or not _FAST_HANDLES:
            return self._vt_slow_timer(when, callback, args, context)
        # The state Handle.__init__ and TimerHandle.__init__ set up, without their calls (this
        # runs once per timer: the hot path). call_later and call_soon repeat these lines on
        # purpose: measured on 3.12.1 in one process, moving them into a shared helper made a
        # 60,000-step call_later chain 5% slower and 50,000 sleep(0.01) 2% slower. Keep the
        # three copies in step (the slot list is checked once at import: _FAST_HANDLES).
        timer = _new_timer(OrderedTimerHandle)
        timer._context = _copy_context() if context is None else context
        timer._loop = self
        timer._callback = callback
        timer._args = args
        timer._cancelled = False
        timer._repr = None
        timer._source_traceback = None
        timer._when = when
        timer._seq = next(self._vt_seq)
        timer._scheduled = True
        heapq.heappush(self._scheduled, timer)
        return timer

    def call_later(
        self,
        delay: float,
        callback: Callable[[Unpack[_Ts]], object],
        *args: Unpack[_Ts],
        context: contextvars.Context | None = None,
    ) -> asyncio.TimerHandle:
        """Schedule ``callback(*args)`` ``delay`` virtual seconds from now."""
        if delay is None:
            raise TypeError("delay must not be None")
        if self._debug or self._closed or not _FAST_HANDLES:
            return self._vt_slow_timer(self._vt_now + delay, callback, args, context)
        # Deliberately the same lines as call_at (one call less per timer; see there).
        timer = _new_timer(OrderedTimerHandle)
        timer._context = _copy_context() if context is None else context
        timer._loop = self
        timer._callback = callback
        timer._args = args
        timer._cancelled = False
        timer._repr = None
        timer._source_traceback = None
        timer._when = self._vt_now + delay
        timer._seq = next(self._vt_seq)
        timer._scheduled = True
        heapq.heappush(self._scheduled, timer)
        return timer

    def _vt_slow_timer(
        self,
        when: float,
        callback: Callable[..., object],
        args: Sequence[Any],
        context: contextvars.Context | None,
    ) -> asyncio.TimerHandle:
        # The stock checks and constructors (debug mode, closed loop, unknown Handle layout).
        self._check_closed()
        if self._debug:
            self._check_thread()
            self._check_callback(callback, "call_at")
        timer = OrderedTimerHandle(when, callback, args, self, context, next(self._vt_seq))
        _drop_own_frames(timer._source_traceback)
        heapq.heappush(self._scheduled, timer)
        timer._scheduled = True
        return timer

    def call_soon(
        self,
        callback: Callable[[Unpack[_Ts]], object],
        *args: Unpack[_Ts],
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        """Like the stock method, with a leaner path when not in debug mode."""
        if self._debug or self._closed or not _FAST_HANDLES:
            handle = super().call_soon(callback, *args, context=context)
            _drop_own_frames(handle._source_traceback)  # type: ignore[attr-defined]
            return handle
        # Handle.__init__'s state without the call, as in call_at (deliberate; see there).
        handle = _new_handle(asyncio.Handle)
        slots: Any = handle  # typeshed does not declare Handle's private slots
        slots._context = _copy_context() if context is None else context
        slots._loop = self
        slots._callback = callback
        slots._args = args
        slots._cancelled = False
        slots._repr = None
        slots._source_traceback = None
        self._ready.append(handle)
        return handle

    def _vt_next_deadline(self) -> float | None:
        scheduled = self._scheduled
        while scheduled and scheduled[0]._cancelled:
            self._timer_cancelled_count -= 1
            heapq.heappop(scheduled)._scheduled = False
        return scheduled[0]._when if scheduled else None

    def _vt_pending_timers(self) -> int:
        return sum(1 for handle in self._scheduled if not handle._cancelled)

    # -- real work tracking ---------------------------------------------------------------------

    def run_in_executor(
        self,
        executor: concurrent.futures.Executor | None,
        func: Callable[[Unpack[_Ts]], _T],
        *args: Unpack[_Ts],
    ) -> asyncio.Future[_T]:
        """Like the stock method; virtual time does not move while the job runs."""
        self._check_closed()
        if executor is None:
            executor = self._default_executor
            self._check_default_executor()
            if executor is None:
                # The same default executor the stock method would create.
                executor = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="asyncio")
                self._default_executor = executor
        recorded: list[concurrent.futures.Future[Any]] = []
        posts = self._vt_posts  # read before the job starts: it may post at once
        future = super().run_in_executor(_RecordingExecutor(executor, recorded.append), func, *args)
        if recorded:
            name = _callable_name(func)
            site = _submission_site(self)
            for job in recorded:
                self._vt_jobs.append(_Job(job, future, name, site, posts))
        return future

    def call_soon_threadsafe(
        self,
        callback: Callable[[Unpack[_Ts]], object],
        *args: Unpack[_Ts],
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        """Like the stock method; the loop counts the calls for its hold warning."""
        # Not atomic across threads; a lost count only changes a diagnostic's wording.
        self._vt_posts += 1
        handle = super().call_soon_threadsafe(callback, *args, context=context)
        _drop_own_frames(handle._source_traceback)  # type: ignore[attr-defined]
        return handle

    async def shutdown_default_executor(self, *args: Any, **kwargs: Any) -> None:
        """Like the stock method; virtual time does not move while the threads are joined."""
        self._vt_busy += 1
        try:
            await super().shutdown_default_executor(*args, **kwargs)
        finally:
            self._vt_busy -= 1

    async def _make_subprocess_transport(self, *args: Any, **kwargs: Any) -> Any:
        # Every subprocess_exec/subprocess_shell goes through here (3.10-3.14).
        self._vt_busy += 1
        try:
            transport = await super()._make_subprocess_transport(  # type: ignore[misc]
                *args, **kwargs
            )
        finally:
            self._vt_busy -= 1
        self._vt_procs.append(transport)
        return transport

    def add_signal_handler(
        self, sig: int, callback: Callable[[Unpack[_Ts]], object], *args: Unpack[_Ts]
    ) -> None:
        """Like the stock method; the loop then polls its self-pipe every iteration."""
        super().add_signal_handler(sig, callback, *args)
        self._vt_signals = bool(getattr(self, "_signal_handlers", None))

    def remove_signal_handler(self, sig: int) -> bool:
        """Like the stock method."""
        removed = super().remove_signal_handler(sig)
        self._vt_signals = bool(getattr(self, "_signal_handlers", None))
        return removed

    def _vt_work_in_flight(self, procs: bool = True) -> bool:
        """Return whether an executor job, subprocess or shutdown may still deliver.

        Args:
            procs: Whether live subprocesses count.
        """
        if self._vt_busy:
            return True
        if self._vt_jobs:
            self._vt_jobs = [
                job for job in self._vt_jobs if not (job.future.done() and job.result.done())
            ]
            if self._vt_jobs:
                return True
        if self._vt_procs:
            self._vt_procs = [p for p in self._vt_procs if p.get_returncode() is None]
            if self._vt_procs and procs:
                return True
        return False

    # -- the loop iteration ---------------------------------------------------------------------

    def _vt_poll(self, timeout: float | None) -> bool:
        """Poll the selector; return whether any event was delivered."""
        event_list = self._selector.select(timeout)
        if event_list:
            self._process_events(event_list)
            return True
        return False

    def _run_once(self) -> None:
        """Run up to ``_MAX_INNER_ITERATIONS`` loop iterations, until the loop is stopping.

        Each iteration: poll I/O if anything could deliver through the selector, move virtual
        time if nothing is ready, move due timers to the ready queue and run what was ready at
        its start. ``run_forever`` calls this once per iteration and checks ``_stopping`` after
        it; the virtual loop keeps iterating here instead, which saves a call per iteration and
        changes nothing for ``run_forever``. The bound hands control back now and then to any
        other code that drives ``_run_once`` itself.
        """
        ready = self._ready
        popleft = ready.popleft
        heappop = heapq.heappop
        handle: asyncio.Handle | None = None
        for _ in range(_MAX_INNER_ITERATIONS):
            scheduled = self._scheduled
            count = len(scheduled)
            if (
                count > _MIN_SCHEDULED_TIMER_HANDLES
                and self._timer_cancelled_count / count > _MIN_CANCELLED_TIMER_HANDLES_FRACTION
            ):
                self._vt_purge_cancelled()
                scheduled = self._scheduled
            else:
                while scheduled and scheduled[0]._cancelled:
                    self._timer_cancelled_count -= 1
                    heappop(scheduled)._scheduled = False

            if ready or self._stopping:
                # Busy: poll I/O without blocking, but only if something could deliver through
                # the selector (the stock loop makes this syscall on every iteration).
                if self._vt_wrapped or self._vt_signals or len(self._vt_fds) > self._vt_base_fds:
                    self._vt_poll(0)
            elif (
                scheduled
                and self._vt_autojump
                and not (
                    self._vt_targets
                    or self._vt_jobs
                    or self._vt_procs
                    or self._vt_busy
                    or self._vt_wrapped
                    or self._vt_signals
                )
                and len(self._vt_fds) <= self._vt_base_fds
            ):
                # Idle in plain autojump mode with nothing real around: jump to the next timer
                # (the common case of _vt_idle, inlined; a timer at infinity is never reached).
                when = scheduled[0]._when
                if when > self._vt_now:
                    if when < math.inf:
                        self._vt_now = when
                    else:
                        self._vt_idle()
            else:
                self._vt_idle()

            # Exact comparison: a timer is due when its deadline is not after now (written so
            # that a NaN deadline is due at once, as on the stock loop, instead of never).
            now = self._vt_now
            while scheduled and not scheduled[0]._when > now:
                timer = heappop(scheduled)
                timer._scheduled = False
                ready.append(timer)

            ntodo = len(ready)
            if self._debug:
                self._vt_run_debug(ntodo)
            else:
                for _ in range(ntodo):
                    handle = popleft()
                    if not handle._cancelled:
                        handle._run()
                handle = None  # break reference cycles when an exception occurs
            if self._stopping:
                return

    def _vt_purge_cancelled(self) -> None:
        # The stock rule: rebuild the heap when more than half of its timers are cancelled.
        kept = []
        for timer in self._scheduled:
            if timer._cancelled:
                timer._scheduled = False
            else:
                kept.append(timer)
        heapq.heapify(kept)
        self._scheduled = kept
        self._timer_cancelled_count = 0

    def _vt_run_debug(self, ntodo: int) -> None:
        # Slow callbacks are measured in real time: virtual time never moves inside a callback,
        # and a real-time measurement keeps the warning meaningful.
        ready = self._ready
        for _ in range(ntodo):
            handle = ready.popleft()
            if handle._cancelled:
                continue
            try:
                self._current_handle = handle
                t0 = time.perf_counter()
                handle._run()
                dt = time.perf_counter() - t0
                if dt >= self.slow_callback_duration:
                    logger.warning("Executing %s took %.3f seconds", _format_handle(handle), dt)
            finally:
                self._current_handle = None

    def _vt_idle(self) -> None:
        """Nothing is ready: run what I/O delivers, jump virtual time, wait, or raise."""
        scheduled = self._scheduled
        now = self._vt_now
        if scheduled and not scheduled[0]._when > now:
            return  # a timer is due now; the caller moves it to the ready queue
        if (self._vt_wrapped or self._vt_signals) and self._vt_poll(0):
            return  # fake readiness or a signal arrived
        next_timer = scheduled[0]._when if scheduled else math.inf
        targets = self._vt_targets
        next_target = targets[0][0] if targets else math.inf
        can_move = self._vt_autojump or bool(targets)
        stop = min(next_timer, next_target) if can_move else math.inf

        # With hold_for_subprocesses off, a live child does not hold virtual time, but while
        # time could not move anyway the loop waits for it (its exit may arrive from the child
        # watcher's thread) instead of raising DeadlockError.
        if self._vt_work_in_flight(self._vt_hold_procs or stop == math.inf):
            # A thread or a process is working in real time: freeze virtual time and wait for
            # its result (it arrives through call_soon_threadsafe, which wakes the selector).
            wait = _MAX_REAL_WAIT
            if stop < math.inf and self._vt_jobs and self._vt_hold_warning is not None:
                # Time is held for a job: warn once if that has lasted hold_warning seconds.
                wait = self._vt_check_holds(stop)
            self._vt_poll(wait)
            return
        real_io = len(self._vt_fds) > self._vt_base_fds
        if real_io:
            # Real sockets or pipes may still deliver: give them a real-time grace period
            # before time jumps, and block on them if time cannot move at all.
            #
            # Every registered real fd counts, on purpose. Measured (tests/clock/probe_io_grace.py)
            # for a rule that would skip the wait when no fd could receive from outside the
            # loop: a listening socket can always be connected to by another process, so the
            # common case (a server nobody connects to) would still wait; a connected socket's
            # peer may be another process, a thread or a remote host, and the loop cannot tell
            # an in-loop peer portably (Unix socket pair peers are anonymous; nothing says who
            # else holds the peer's fd); and that the kernel delivers loopback data before the
            # sending call returns (0 misses in 100,000 sends on Linux) is observed behaviour,
            # not a guarantee. No sound rule was found, so the wait stays and the user decides
            # through the public ``io_grace`` property (0 for sockets that talk only to this
            # loop). A peer outside the loop answering after 5 ms was overtaken 30 of 30 times
            # with io_grace=0 and 0 of 30 times with the default 0.02.
            if self._vt_poll(self._vt_io_grace if stop < math.inf else _MAX_REAL_WAIT):
                return
            if stop == math.inf:
                return
        elif stop == math.inf:
            # Last chance for a wake-up from a thread the loop does not know about.
            if self._vt_poll(self._vt_io_grace) or self._ready:
                return
            raise DeadlockError(self._vt_deadlock_message(next_timer))

        if next_target < next_timer:
            # Every timer due within the advance() window has run and settled: finish it.
            self._vt_now = next_target
            while targets and targets[0][0] <= next_target:
                future = heapq.heappop(targets)[2]
                if not future.done():
                    future.set_result(None)
        else:
            self._vt_now = next_timer

    def _vt_check_holds(self, stop: float) -> float:
        """Log one warning per job that has held virtual time for ``hold_warning`` seconds.

        A job that waits for the loop to reach a timer (``run_coroutine_threadsafe(...).result()``
        on a coroutine that sleeps) never ends, because virtual time stands still while the job
        runs; no rule tells such a job from one doing slow real work (it may have posted to the
        loop and gone on working), so the loop does not move time but says what is going on.

        Returns:
            How long the caller may wait in real time before the next check is due.
        """
        limit = self._vt_hold_warning
        assert limit is not None
        now = time.monotonic()
        wait = _MAX_REAL_WAIT
        for job in self._vt_jobs:
            if job.warned or job.future.done():
                continue
            if job.held_since is None:
                job.held_since = now
            due = job.held_since + limit
            if now < due:
                wait = min(wait, due - now)
                continue
            job.warned = True
            posts = self._vt_posts - job.posts
            received = (
                f" While it ran, the loop received {posts} callback(s) from other threads "
                "(call_soon_threadsafe, run_coroutine_threadsafe): if the job waits for what it "
                "handed to the loop, and that waits for virtual time, both wait forever."
                if posts
                else ""
            )
            logger.warning(
                "ClockedEventLoop: virtual time has been held at t=%r for %.3g real seconds "
                "(it would move to t=%r) while the executor job %s, submitted in %s, runs. "
                "Virtual time stands still while a run_in_executor/to_thread job started from "
                "this loop is in flight, so that no timeout overtakes its real work.%s If the "
                "job waits for the loop to reach a timer (e.g. "
                "asyncio.run_coroutine_threadsafe(coro, loop).result() where coro sleeps), run "
                "it on an executor of your own and await asyncio.wrap_future(executor.submit(...))"
                ", which the clock does not wait for. If the job is only slow, raise "
                "loop.hold_warning (None turns this warning off).",
                self._vt_now,
                now - job.held_since,
                stop,
                job.name,
                job.site,
                received,
            )
        return wait

    def _vt_deadlock_message(self, next_timer: float) -> str:
        tasks = [task for task in asyncio.all_tasks(self) if not task.done()]
        if next_timer < math.inf:
            # Generic advice: this loop may run under aiotestkit-testcase (ClockedTestCase or
            # its pytest plugin) or on its own; one line for each way of moving time.
            head = (
                f"the loop is idle at virtual time t={self._vt_now!r} and would wait forever: "
                f"the next timer is due at t={next_timer!r}, but in advance() mode virtual time "
                "moves only while an advance() is in progress. To move it:\n"
                "  - any loop: `await loop.advance(s)` or `await aiotestkit_clock.advance(s)`, "
                "or `loop.autojump = True`\n"
                "  - ClockedTestCase: `await self.advance(s)`, or `autojump = True` on the class\n"
                "  - pytest plugin: the `advance` fixture (`await advance(s)`), or "
                "`@pytest.mark.aiotestkit(clock=True, autojump=True)`"
            )
        else:
            head = (
                f"the loop is idle at virtual time t={self._vt_now!r} and nothing can wake it: "
                "no callback is ready, no timer is pending (or only at t=inf), and no executor "
                "job, subprocess or real I/O is in flight."
            )
        if tasks:
            lines = "\n".join(_describe_task(task) for task in tasks)
            return f"{head}\nPending tasks and what they await:\n{lines}"
        return f"{head}\nNo task is pending."


def _format_handle(handle: asyncio.Handle) -> str:
    callback = getattr(handle, "_callback", None)
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        return repr(owner)
    return str(handle)
