"""Run a test's phases on its loop, in one shared context, under an optional watchdog.

A test is a sequence of phases (setUp, asyncSetUp, the test method, asyncTearDown, tearDown,
each cleanup). unittest calls them one by one from synchronous code, so each phase that is a
coroutine becomes one task run to completion with `loop.run_until_complete()`. All phases share
one `contextvars.Context` so that a variable set in setUp is seen by the test, tearDown and the
cleanups, as with `unittest.IsolatedAsyncioTestCase` on 3.11+:

- 3.11+: synchronous phases run with `context.run()`, tasks are created with
  `loop.create_task(coro, context=context)`; the task works on the shared context itself.
- 3.10: `create_task()` has no `context=` parameter and a task always works on a *copy* of the
  current context. The task is created inside `context.run()` (so it starts from the shared
  values) and, when it finishes, every variable it set is copied back into the shared context.
  Values therefore flow in both directions on 3.10 too; only `ContextVar.reset()` of a value set
  in an earlier phase is not carried back (the variable keeps its earlier value). The same is
  done on every version for a coroutine run from inside a synchronous phase (`self.advance()`
  in a sync test): a task cannot enter a context that is already entered.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import threading
import time
import traceback
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any, TypeVar

from ._advance import UnawaitedCalls

__unittest = True  # hide this module's frames from unittest tracebacks

_T = TypeVar("_T")


def _create_task_takes_context() -> bool:
    """Tell whether `loop.create_task()` accepts `context=` (3.11+), by its signature."""
    try:
        parameters = inspect.signature(asyncio.BaseEventLoop.create_task).parameters
    except (TypeError, ValueError):  # pragma: no cover - a C implementation without signature
        return True
    return "context" in parameters


_TASK_CONTEXT = _create_task_takes_context()
_MISSING = object()


async def _await(awaitable: Awaitable[_T]) -> _T:
    """Turn any awaitable (a Future, an object with `__await__`) into a coroutine."""
    return await awaitable


async def _capture(coro: Coroutine[Any, Any, _T], box: list[contextvars.Context]) -> _T:
    """Run *coro*, then keep a copy of the context it ended with (to copy its changes back)."""
    try:
        return await coro
    finally:
        box.append(contextvars.copy_context())


def _set_all(changes: list[tuple[contextvars.ContextVar[Any], Any]]) -> None:
    for var, value in changes:
        var.set(value)


class _Done(Coroutine[Any, Any, None]):
    """A coroutine that is already complete: what sync-mode helpers return.

    In synchronous code `self.advance(5)` has already done its work; returning this keeps
    asynctest's spelling `self.loop.run_until_complete(self.advance(5))` working (a no-op).
    """

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield  # pragma: no cover - makes this a generator

    def send(self, value: Any, /) -> Any:
        raise StopIteration

    def throw(self, typ: Any, val: Any = None, tb: Any = None, /) -> Any:
        raise typ if val is None else val

    def close(self) -> None:
        return None


DONE = _Done()


_TASK = "task"
_SYNC = "sync"
_TEARDOWN = "teardown"

_Watched = tuple[str, Any, "float | None"]
"""What the watcher thread watches: (kind, payload, start).

- (_TASK, task, start): `run()` runs *task* since *start* (time.monotonic());
- (_SYNC, reports, None): a synchronous phase; time counts only while it runs the loop itself;
- (_TEARDOWN, reports, None): the loop's teardown, watched like a synchronous phase.

A new tuple is made for each watched stretch: the watcher and the loop callbacks it schedules
compare them by identity to tell whether the stretch they were about is still the current one.
"""


class PhaseRunner:
    """Run the phases of one test on *loop* in *context*, each under an optional watchdog.

    Args:
        loop: the test's event loop; it must not be running when a phase starts.
        context: the context shared by all the phases of the test.
        watchdog: real seconds a phase may run on the loop before it is cancelled, or None.
        failure: the exception class a watchdog expiry is reported with (the test's
            `failureException`).
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        context: contextvars.Context,
        watchdog: float | None,
        failure: type[BaseException],
    ) -> None:
        if watchdog is not None and not watchdog > 0:
            msg = f"watchdog must be a number of seconds > 0 or None, got {watchdog!r}"
            raise ValueError(msg)
        self.loop = loop
        self.context = context
        self._watchdog = watchdog
        self._failure = failure
        self._task: asyncio.Task[Any] | None = None
        self._report: str | None = None
        self._in_sync = False
        self._watched: _Watched | None = None
        self._watcher: threading.Thread | None = None
        self._finished = threading.Event()
        self.unawaited = UnawaitedCalls()
        """`advance()` calls made on the loop; one never awaited by the end of a phase fails it."""

    def call(self, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Call *func* in the shared context; if it returns an awaitable, run that on the loop.

        This covers `async def` functions, plain functions, and plain functions returning an
        awaitable (a `functools.partial` of a coroutine function, an `AsyncMock`). It may be
        called from inside a synchronous phase (a sync test calling `doCleanups()`).

        Returns:
            What the function (or the awaitable it returned) produced.
        """
        __tracebackhide__ = True
        # Already inside the shared context (a sync test calling doCleanups()): call directly.
        call = func if self._in_sync else functools.partial(self._call_sync, func)
        result = call(*args, **kwargs)
        if inspect.isawaitable(result):
            return self.run(result)
        return result

    def _call_sync(self, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Call *func* in the shared context, under the watchdog if it runs the loop itself.

        A synchronous phase may run the loop (`self.loop.run_until_complete(...)` in a sync
        test, asynctest's idiom): if it keeps the loop running for the watchdog's period, the
        loop is stopped (its `run_until_complete()` raises) and the phase fails with the
        pending tasks. Runs it makes through `run()` have their own watchdog and do not count.
        """
        __tracebackhide__ = True
        reports: list[str] = []
        if self._watchdog is not None:
            self._watch((_SYNC, reports, None))
        self._in_sync = True
        try:
            result = self.context.run(func, *args, **kwargs)
        except BaseException as exc:
            if reports:
                raise self._failure(reports[0]) from exc
            raise
        finally:
            self._in_sync = False
            self._watched = None
        if reports:  # the code caught the loop's RuntimeError
            raise self._failure(reports[0])
        return result

    def run(self, awaitable: Awaitable[_T]) -> _T:
        """Run *awaitable* to completion as one task of the loop, in the shared context.

        Raises:
            AssertionError: (the test's failureException) if the watchdog expired; the message
                lists the loop's pending tasks and where each one is suspended. Also if an
                `advance()` call made meanwhile was never awaited (the line is named); if the
                awaitable failed an assertion, that failure becomes the cause.
        """
        __tracebackhide__ = True  # pytest: show the test's frames, not this runner's
        coro = awaitable if inspect.iscoroutine(awaitable) else _await(awaitable)
        loop = self.loop
        box: list[contextvars.Context] = []
        task: asyncio.Task[_T]
        if _TASK_CONTEXT and not self._in_sync:
            task = loop.create_task(coro, context=self.context)  # type: ignore[call-arg,unused-ignore]
        elif self._in_sync:
            # Called from a synchronous phase, which has entered the shared context: a task
            # cannot enter it too, so it works on a copy whose changes are copied back.
            task = loop.create_task(_capture(coro, box))
        else:  # 3.10: no create_task(context=); start from a copy, copy the changes back
            task = self.context.run(loop.create_task, _capture(coro, box))
        self._task = task
        self._report = None
        outer = self._watched
        if self._watchdog is not None:
            self._watch((_TASK, task, time.monotonic()))
        try:
            result = loop.run_until_complete(task)
        except BaseException as exc:
            report = self._report
            if report is not None:
                raise self._failure(report) from exc
            # A forgotten `await` is the likely cause of a failed assertion (time did not
            # move): report it first. Other errors (and skips) stay as they are.
            missed = self.unawaited.report()
            if missed is not None and isinstance(exc, AssertionError):
                raise self._failure(missed) from exc
            raise
        finally:
            self._task = None
            # Back to the synchronous phase that made this run, if any: a new stretch of it.
            self._watched = None if outer is None else (outer[0], outer[1], None)
            if box:
                self._copy_back(box[0])
        missed = self.unawaited.report()
        if missed is not None:
            raise self._failure(missed)
        return result

    def _copy_back(self, final: contextvars.Context) -> None:
        shared = self.context
        changes = [
            (var, value) for var, value in final.items() if shared.get(var, _MISSING) is not value
        ]
        if not changes:
            return
        if self._in_sync:  # the shared context is the current one
            _set_all(changes)
        else:
            shared.run(_set_all, changes)

    def teardown(self, close: Callable[[], None]) -> None:
        """Call *close*, the loop's teardown, stopping the loop whenever the watchdog expires.

        Closing cancels the leftover tasks and runs the loop until they finish: a task that
        ignores cancellation would block the suite there. With a watchdog, the loop is stopped
        each time it has run for one more period, which ends the step it was running (the
        teardown goes on with the next one, and the loop is closed with such tasks still
        pending). The watcher thread ends with the teardown.

        Raises:
            AssertionError: (the test's failureException) if the watchdog stopped the loop; the
                message lists the tasks that were still pending.
        """
        if self._watchdog is None:
            close()
            return
        reports: list[str] = []
        self._watch((_TEARDOWN, reports, None))
        try:
            close()
        except BaseException as exc:
            if reports:
                raise self._failure(reports[0]) from exc
            raise
        finally:
            self._watched = None
            self._finished.set()
        if reports:
            raise self._failure(reports[0])

    # -- watchdog -------------------------------------------------------------------------------
    # One watcher thread per runner (started with the first watched phase, ended by teardown()
    # or when the loop is closed) wakes every quarter of the watchdog and looks at what the
    # loop thread is doing: nothing is started per phase. It cannot touch the loop directly: it
    # asks the loop thread to act through call_soon_threadsafe(), which also wakes a loop
    # blocked in select(), and only while the loop runs (nothing is left on it for a later
    # phase). A task run by run() is cancelled once it has run for the watchdog's period, and
    # if it swallows the cancellation the loop is stopped one period later. A synchronous phase
    # (and the teardown) gets the loop stopped when it has kept the loop running for a period:
    # from the first time the watcher sees it running, until it sees the loop stopped or a
    # run() start. Code that blocks the loop's thread itself (time.sleep, a busy loop) cannot
    # be interrupted this way.

    def _watch(self, watched: _Watched) -> None:
        self._watched = watched
        if self._watcher is None:
            watcher = threading.Thread(target=self._watcher_loop, name="aiotestkit-watchdog")
            watcher.daemon = True
            self._watcher = watcher
            watcher.start()

    def _watcher_loop(self) -> None:
        watchdog = self._watchdog
        assert watchdog is not None
        loop = self.loop
        seen: _Watched | None = None
        since = 0.0
        posted = 0  # expiries asked of the loop for `seen`
        while not self._finished.wait(watchdog / 4):
            if loop.is_closed():
                return  # the test is over (the teardown sets `_finished` too)
            watched = self._watched
            if watched is None or not loop.is_running():
                seen = None  # a synchronous phase's stretch ends when the loop stops
                continue
            now = time.monotonic()
            if watched is not seen:
                seen, posted = watched, 0
                start = watched[2]
                since = now if start is None else start
            due = int((now - since) // watchdog)
            if due > posted:
                posted = due
                # RuntimeError: the loop was closed in the meantime, nothing is left to stop.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(self._expire, watched)

    def _expire(self, watched: _Watched) -> None:
        """In the loop's thread: act on a watchdog expiry, if *watched* is still current."""
        if watched is not self._watched:
            return  # a late expiry of a stretch that has already ended
        kind, payload, _ = watched
        if kind == _TASK:
            task: asyncio.Task[Any] = payload
            if task.done():
                return
            if self._report is None:  # the first expiry: cancel the task
                self._report = (
                    f"the test ran longer than its watchdog of {self._watchdog} s (real time) and "
                    f"was cancelled; pending tasks:\n{describe_tasks(self.loop)}"
                )
                task.cancel()
                return
        else:
            reports: list[str] = payload
            if not reports:
                if kind == _SYNC:
                    what = (
                        f"the test ran longer than its watchdog of {self._watchdog} s (real time) "
                        "and the loop it was running was stopped; pending tasks"
                    )
                else:
                    what = (
                        f"the test's teardown ran longer than its watchdog of {self._watchdog} s "
                        "(real time) and was cut short; tasks that did not finish when cancelled"
                    )
                reports.append(f"{what}:\n{describe_tasks(self.loop)}")
        self.loop.stop()


def describe_tasks(loop: asyncio.AbstractEventLoop) -> str:
    """Describe every pending task of *loop* with the chain of coroutines it is suspended in."""
    parts = [_describe_task(task) for task in asyncio.all_tasks(loop)]
    return "\n".join(parts) if parts else "(none)"


def _describe_task(task: asyncio.Task[Any]) -> str:
    # Task.print_stack() shows one frame for a suspended coroutine; following `cr_await`
    # shows the whole chain down to what the task waits for (3.14's format_call_graph does the
    # same, but only from 3.14 on).
    lines = [repr(task)]
    awaited: Any = task.get_coro()
    while awaited is not None:
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "gi_frame", None)
        if frame is None:  # a future (its iterator), or a finished coroutine
            if asyncio.isfuture(awaited):
                lines.append(f"  awaiting {awaited!r}")
            break
        summary = traceback.extract_stack(frame, limit=1)
        lines.extend(line.rstrip("\n") for line in traceback.format_list(summary))
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "gi_yieldfrom", None)
    return "\n".join(lines)
