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
        self._sync_phase: object | None = None
        self._sync_report: str | None = None
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
        test, asynctest's idiom): if the watchdog expires while it does, the loop is stopped
        (its `run_until_complete()` raises) and the phase fails with the pending tasks.
        """
        __tracebackhide__ = True
        token = object()
        self._sync_phase = token
        self._sync_report = None
        self._in_sync = True
        timers = self._arm_sync(token)
        try:
            result = self.context.run(func, *args, **kwargs)
        except BaseException as exc:
            report = self._sync_report
            if report is not None:
                raise self._failure(report) from exc
            raise
        finally:
            self._in_sync = False
            self._sync_phase = None
            for timer in timers:
                timer.cancel()
        report = self._sync_report
        if report is not None:  # the code caught the loop's RuntimeError
            raise self._failure(report)
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
        timers = self._arm(task)
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
            for timer in timers:
                timer.cancel()
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

    # -- watchdog -------------------------------------------------------------------------------
    # A threading.Timer cannot touch the loop directly: it asks the loop thread to act through
    # call_soon_threadsafe(), which also wakes a loop blocked in select(). The first expiry
    # cancels the phase's task; if the task swallows the cancellation and is still running one
    # more period later, the loop is stopped. Code that blocks the loop's thread itself
    # (time.sleep, a busy loop) cannot be interrupted this way.

    def _arm(self, task: asyncio.Task[Any]) -> list[threading.Timer]:
        if self._watchdog is None:
            return []
        timers = [
            threading.Timer(self._watchdog, self._expire_threadsafe, (task, False)),
            threading.Timer(2 * self._watchdog, self._expire_threadsafe, (task, True)),
        ]
        for timer in timers:
            timer.daemon = True
            timer.start()
        return timers

    def _arm_sync(self, token: object) -> list[threading.Timer]:
        if self._watchdog is None:
            return []
        timers = [
            threading.Timer(self._watchdog, self._expire_sync_threadsafe, (token,)),
            threading.Timer(2 * self._watchdog, self._expire_sync_threadsafe, (token,)),
        ]
        for timer in timers:
            timer.daemon = True
            timer.start()
        return timers

    def _expire_sync_threadsafe(self, token: object) -> None:
        # A synchronous phase that is not running the loop (plain code, time.sleep) cannot be
        # interrupted: leave it, and leave nothing behind on the loop for a later phase.
        if not self.loop.is_running():
            return
        # RuntimeError: the loop was closed in the meantime, nothing is left to stop.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._expire_sync, token)

    def _expire_sync(self, token: object) -> None:
        if token is not self._sync_phase:
            return  # a late timer of a phase that has already ended
        if self._task is not None:
            # The phase runs the loop through run() (a Hypothesis example, self.advance(),
            # doCleanups()), which has its own watchdog: that run is not the phase's to stop.
            return
        if self._sync_report is None:
            self._sync_report = (
                f"the test ran longer than its watchdog of {self._watchdog} s (real time) and the "
                f"loop it was running was stopped; pending tasks:\n{describe_tasks(self.loop)}"
            )
        self.loop.stop()

    def teardown(self, close: Callable[[], None]) -> None:
        """Call *close*, the loop's teardown, stopping the loop whenever the watchdog expires.

        Closing cancels the leftover tasks and runs the loop until they finish: a task that
        ignores cancellation would block the suite there. With a watchdog, the loop is stopped
        each time it runs one more period, which ends the step it was running (the teardown
        goes on with the next one, and the loop is closed with such tasks still pending).

        Raises:
            AssertionError: (the test's failureException) if the watchdog stopped the loop; the
                message lists the tasks that were still pending.
        """
        if self._watchdog is None:
            close()
            return
        finished = threading.Event()
        reports: list[str] = []
        period = self._watchdog

        def watch() -> None:
            while not finished.wait(period):
                # RuntimeError: the loop is closed, the teardown is about to end.
                with contextlib.suppress(RuntimeError):
                    self.loop.call_soon_threadsafe(self._stop_teardown, reports)

        watcher = threading.Thread(target=watch, name="aiotestkit-watchdog", daemon=True)
        watcher.start()
        try:
            close()
        except BaseException as exc:
            if reports:
                raise self._failure(reports[0]) from exc
            raise
        finally:
            finished.set()
        if reports:
            raise self._failure(reports[0])

    def _stop_teardown(self, reports: list[str]) -> None:
        if not reports:
            reports.append(
                f"the test's teardown ran longer than its watchdog of {self._watchdog} s (real "
                "time) and was cut short; tasks that did not finish when cancelled:\n"
                f"{describe_tasks(self.loop)}"
            )
        self.loop.stop()

    def _expire_threadsafe(self, task: asyncio.Task[Any], stop: bool) -> None:
        # RuntimeError: the loop was closed in the meantime, nothing is left to stop.
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._expire, task, stop)

    def _expire(self, task: asyncio.Task[Any], stop: bool) -> None:
        if task is not self._task or task.done():
            return  # a late timer of a phase that has already ended
        if stop:
            self.loop.stop()
            return
        self._report = (
            f"the test ran longer than its watchdog of {self._watchdog} s (real time) and was "
            f"cancelled; pending tasks:\n{describe_tasks(self.loop)}"
        )
        task.cancel()


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
