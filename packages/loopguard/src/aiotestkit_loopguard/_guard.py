"""`LoopGuard`: a test's event loop, from creation to complete teardown."""

from __future__ import annotations

import asyncio
import gc
import inspect
import re
import sys
import warnings
import weakref
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from . import _compat, _forbid
from ._checks import (
    GC_CHECKS,
    Finding,
    LeakError,
    Records,
    combine_checks,
    run_before_hooks,
    run_checks,
)
from ._tasks import TaskSiteRecorder, finalized_site, unwatch_collections, watch_collections

__all__ = ("LoopGuard", "guard_of")

_UNAWAITED = re.compile(r"coroutine .* was never awaited")
_guards: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopGuard] = (
    weakref.WeakKeyDictionary()
)


def guard_of(loop: asyncio.AbstractEventLoop) -> LoopGuard | None:
    """Return the started guard managing ``loop``, or None."""
    try:
        return _guards.get(loop)
    except TypeError:  # pragma: no cover - a loop type that cannot be weakly referenced
        return None


def _effective_action(category: type[Warning], message: str) -> str:
    """Return what the current warning filters do with a warning from unknown code.

    Module-specific filters are skipped: these warnings are raised from finalizers whose
    module is not known in advance.
    """
    for action, msg, cat, mod, lineno in warnings.filters:
        if mod is not None or lineno:
            continue
        if msg is not None and not msg.match(message):
            continue
        if issubclass(category, cat):
            return str(action)
    return str(getattr(warnings, "defaultaction", "default"))


def _coroutine_site(obj: object) -> str:
    """Say where an unawaited coroutine was defined and, if tracked, created.

    A warning turned into an error (``-W error``) reaches ``sys.unraisablehook`` without a
    file and line; the coroutine object it carries still knows its code and, when origin
    tracking is on (debug mode while the loop runs), its creation stack (``cr_origin``, most
    recent call first).
    """
    if not inspect.iscoroutine(obj):
        return ""
    code = obj.cr_code
    site = f" (coroutine defined at {code.co_filename}:{code.co_firstlineno}"
    origin = getattr(obj, "cr_origin", None)
    if origin:
        filename, lineno, function = origin[0]
        site += f", created at {filename}:{lineno} in {function}"
    return site + ")"


def _create_task_keeping_names(loop: asyncio.AbstractEventLoop) -> Callable[..., Any]:
    """Return a ``create_task`` for ``loop`` that leaves unnamed tasks their ``Task-<n>`` name.

    What ``BaseEventLoop.create_task`` does, minus the ``task.set_name(None)`` of CPython
    3.13.0-3.13.2 (gh-130033; see `_compat.create_task_misnames_unnamed_tasks`): for an
    unnamed task, the loop's task factory (the guard's, or whatever the test set since) is
    called directly; a named task goes through the loop's own method, which names it right.
    The guard installs it on the loop instance and removes it in ``close()``.
    """
    original: Any = type(loop).create_task

    def create_task(coro: Any, *, name: str | None = None, context: Any = None) -> Any:
        # No local holds the task (see TaskSiteRecorder.__call__: eager tasks' tracebacks).
        factory: Any = loop.get_task_factory()
        if name is not None or factory is None:
            return original(loop, coro, name=name, context=context)
        if loop.is_closed():
            raise RuntimeError("Event loop is closed")
        if context is None:
            return factory(loop, coro)
        return factory(loop, coro, context=context)

    return create_task


class _WarningRecorder:
    """Copies "never awaited" RuntimeWarnings and ResourceWarnings into `Records`.

    It never changes what a warning does: shown warnings are recorded and still shown;
    warnings turned into errors (``-W error``) reach ``sys.unraisablehook`` from finalizers,
    where they are recorded and passed on. Only where the filters would *ignore* them is an
    ``always`` filter added (and those are recorded without being shown).
    """

    def __init__(self, records: Records) -> None:
        self._records = records
        self._catcher: warnings.catch_warnings[Any] | None = None
        self._previous_show: Callable[..., Any] | None = None
        self._previous_hook: Callable[[Any], Any] | None = None
        self._forced_unawaited = False
        self._forced_resource = False

    def install(self) -> None:
        self._catcher = warnings.catch_warnings()
        self._catcher.__enter__()
        if _effective_action(RuntimeWarning, "coroutine 'x' was never awaited") == "ignore":
            warnings.filterwarnings("always", r"coroutine .* was never awaited", RuntimeWarning)
            self._forced_unawaited = True
        if _effective_action(ResourceWarning, "unclosed") == "ignore":
            warnings.simplefilter("always", ResourceWarning)
            self._forced_resource = True
        self._previous_show = warnings.showwarning
        warnings.showwarning = self._show
        self._previous_hook = sys.unraisablehook
        sys.unraisablehook = self._unraisable

    def uninstall(self) -> None:
        if self._previous_hook is not None:
            if sys.unraisablehook == self._unraisable:
                sys.unraisablehook = self._previous_hook
            self._previous_hook = None
        if self._catcher is not None:
            catcher, self._catcher = self._catcher, None
            catcher.__exit__(None, None, None)  # restores filters and showwarning exactly

    def _record(self, category: type[BaseException], message: str, where: str) -> bool:
        """Record a warning; return whether it was forced visible by us (so: not shown)."""
        if issubclass(category, RuntimeWarning) and _UNAWAITED.search(message):
            self._records.unawaited.append(message + where)
            return self._forced_unawaited
        if issubclass(category, ResourceWarning):
            self._records.resources.append(message + where)
            return self._forced_resource
        return False

    def _show(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        forced = self._record(category, str(message), f" ({filename}:{lineno})")
        if not forced and self._previous_show is not None:
            self._previous_show(message, category, filename, lineno, file, line)

    def _unraisable(self, unraisable: Any) -> None:
        exc = unraisable.exc_value
        if isinstance(exc, Warning):
            self._record(type(exc), str(exc), _coroutine_site(unraisable.object))
        if self._previous_hook is not None:
            self._previous_hook(unraisable)


class LoopNotStartedError(RuntimeError, AttributeError):
    """`LoopGuard.loop` was read before ``start()``.

    A RuntimeError, as it always was, and an AttributeError, as a property that has no value
    yet should raise: ``hasattr(guard, "loop")`` is then False instead of an error.
    """


class LoopGuard:
    """Give a test its event loop and take it down completely.

    ``start()`` (or ``with LoopGuard() as loop:``) creates the loop, makes it the thread's
    current loop and starts recording what the checks need; ``assert_clean(checks)`` fails
    with every leaked item; ``close()`` cancels leftover tasks, shuts down async generators
    and the default executor, closes the loop and restores the thread's previous current
    loop, the policy and the warning filters exactly.

    Guards used in one thread must nest (close the last started first), like
    ``warnings.catch_warnings``, whose state they save and restore.

    Args:
        loop_factory: Zero-argument callable returning a new loop (e.g.
            ``uvloop.new_event_loop``). None means ``asyncio.new_event_loop()``, which still
            honours an installed policy on Python ≤ 3.15.
        use_default_loop: Use the thread's current loop (the one ``asyncio.set_event_loop``
            installed, read without side effects) and never close it. If the thread has no
            current loop, a new one from ``asyncio.new_event_loop()`` is created, made
            current and left current and open after ``close()``, so later tests share it.
            This is the same on every Python (on 3.14+ there is no implicit default loop);
            only a Python without ``asyncio.set_event_loop`` (possibly 3.16+) has no current
            loop to adopt, and there the option is ignored.
        debug: Loop debug mode; None leaves the loop's own default, which follows
            ``PYTHONASYNCIODEBUG`` and ``-X dev``.
        forbid_get_event_loop: Forbid ``asyncio.get_event_loop()`` outside the running loop
            while the guard is active (see `forbid_get_event_loop`).
        track_tasks: Record where each task created on the loop was created (file, line and
            function of the first frame outside asyncio and aiotestkit), without debug mode,
            through a task factory wrapping the loop's own (restored by ``close()``). The
            ``leftover_tasks`` check names that site. False saves about a microsecond per
            created task. On CPython 3.13.0-3.13.2, whose ``create_task`` names every unnamed
            task ``'None'`` once a task factory is set (gh-130033), the loop's
            ``create_task`` is also shadowed on the loop instance (removed by ``close()``)
            so unnamed tasks keep their ``Task-<n>`` name.

    Raises:
        ValueError: Both ``loop_factory`` and ``use_default_loop`` were given.
        TypeError: ``loop_factory`` is not callable.
    """

    def __init__(
        self,
        loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None,
        *,
        use_default_loop: bool = False,
        debug: bool | None = None,
        forbid_get_event_loop: bool = False,
        track_tasks: bool = True,
    ) -> None:
        if loop_factory is not None and not callable(loop_factory):
            raise TypeError(f"loop_factory must be a zero-argument callable, got {loop_factory!r}")
        if loop_factory is not None and use_default_loop:
            raise ValueError(
                "use_default_loop=True uses the thread's current loop; "
                f"do not also pass loop_factory={loop_factory!r}"
            )
        self._loop_factory = loop_factory
        self._use_default_loop = use_default_loop
        self._debug = debug
        self._forbid = forbid_get_event_loop
        self._track_tasks = track_tasks
        self._recorder: TaskSiteRecorder | None = None
        self._create_task: Callable[..., Any] | None = None
        self._guarded_loop: asyncio.AbstractEventLoop | None = None
        self._state = "new"
        self._owns_loop = False
        self._keep_current = False
        self._previous: _compat.CurrentLoopState | None = None
        self._previous_debug: bool | None = None
        self._previous_handler: Any = None
        self._forbidder: _forbid.ForbidGetEventLoop | None = None
        self._warnings: _WarningRecorder | None = None
        self._baselines: dict[str, Any] = {}
        self.records = Records()

    def __repr__(self) -> str:
        return f"<LoopGuard {self._state} loop={self._guarded_loop!r}>"

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The guarded loop.

        Raises:
            RuntimeError: The guard was not started. The error is also an `AttributeError`,
                so ``hasattr(guard, "loop")`` and ``getattr(guard, "loop", None)`` work.
        """
        if self._guarded_loop is None:
            # Tracebacks of an AttributeError suggest the attribute of the guard closest to
            # "loop" (3.12+, and the exceptiongroup backport on 3.10 and 3.11): the loop is
            # kept in `_guarded_loop`, a name too far from "loop" to be offered instead.
            raise LoopNotStartedError("LoopGuard has no loop: call start() (or use it with `with`)")
        return self._guarded_loop

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> asyncio.AbstractEventLoop:
        """Create (or adopt) the loop, make it current and start recording.

        Returns:
            The loop.

        Raises:
            RuntimeError: Already started, already closed, or called while a loop is running
                in this thread.
        """
        if self._state != "new":
            raise RuntimeError(f"LoopGuard.start() can be called once; this guard is {self._state}")
        if _compat.running_loop() is not None:
            raise RuntimeError(
                "LoopGuard.start() cannot be called while an event loop is running in this "
                "thread; start the guard from synchronous code"
            )
        self._state = "started"
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self.loop

    def _start(self) -> None:
        self._previous = _compat.capture_current_loop()
        # Without a per-thread current loop (a Python without set_event_loop) there is nothing
        # to adopt and nowhere to keep a shared loop: a fresh loop, closed at the end.
        if self._use_default_loop and _compat.has_current_loop():
            current = self._previous.loop
            if current is not None and not current.is_closed():
                self._guarded_loop = current
            else:
                self._guarded_loop = asyncio.new_event_loop()
                self._keep_current = True
        else:
            factory = self._loop_factory or asyncio.new_event_loop
            loop: object = factory()
            if not isinstance(loop, asyncio.AbstractEventLoop):
                raise TypeError(
                    f"loop_factory {factory!r} returned {loop!r}, not an asyncio event loop"
                )
            self._guarded_loop = loop
            self._owns_loop = True
        loop = self.loop
        _guards[loop] = self
        if self._debug is not None:
            self._previous_debug = loop.get_debug()
            loop.set_debug(self._debug)
        if self._track_tasks:
            self._install_task_factory(loop)
        _compat.set_current_loop(loop)
        self._previous_handler = loop.get_exception_handler()
        loop.set_exception_handler(self._record_exception)
        self._warnings = _WarningRecorder(self.records)
        self._warnings.install()
        _forbid.add_recorder(self.records.violations)
        if self._forbid:
            self._forbidder = _forbid.ForbidGetEventLoop()
            self._forbidder.__enter__()
        self._baselines = run_before_hooks(loop)
        self.begin_test()

    def _install_task_factory(self, loop: asyncio.AbstractEventLoop) -> None:
        """Wrap the loop's task factory with one recording creation sites (see `_tasks`)."""
        try:
            inner = loop.get_task_factory()
        except (AttributeError, NotImplementedError):  # a loop without task factories
            return
        recorder = TaskSiteRecorder(inner, self.records.task_sites)
        loop.set_task_factory(recorder)
        self._recorder = recorder
        watch_collections()
        if (
            _compat.create_task_misnames_unnamed_tasks()
            and getattr(type(loop), "create_task", None) is asyncio.BaseEventLoop.create_task
            and isinstance(getattr(loop, "__dict__", None), dict)
            and "create_task" not in vars(loop)
        ):
            # 3.13.0-3.13.2 would name every unnamed task 'None' once a factory is set: the
            # loop's create_task is shadowed, on this instance only, by one that does not.
            self._create_task = _create_task_keeping_names(loop)
            loop.create_task = self._create_task  # type: ignore[method-assign]

    def _restore_task_factory(self, loop: asyncio.AbstractEventLoop) -> None:
        recorder = self._recorder
        self._recorder = None
        if recorder is None:
            return
        unwatch_collections()
        create_task, self._create_task = self._create_task, None
        if create_task is not None and vars(loop).get("create_task") is create_task:
            del loop.create_task
        recorder.active = False  # a factory chain the test left around ours stops recording
        # A factory the test installed itself stays, like an exception handler it installed.
        inner = recorder.inner
        if loop.get_task_factory() is recorder:
            loop.set_task_factory(inner)

    def begin_test(self) -> None:
        """Mark the start of the test body for the ``unused_loop`` check.

        ``start()`` calls it; a test runner that runs setUp on the loop calls it again after
        setUp, so only the test (and tearDown) counts as "using the loop".
        """
        loop = self.loop
        self.records.loop_ran = False

        def mark_ran() -> None:
            self.records.loop_ran = True

        # A callback that runs at the loop's next iteration, whichever loop implementation.
        loop.call_soon(mark_ran)

    def _record_exception(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        records = self.records
        records.exceptions.append(context)
        task = context.get("task") or context.get("future")
        if task is not None:
            # Looked up now: a task finalized by the garbage collector ("Task exception was
            # never retrieved") has already lost its weak entry; see `_tasks.finalized_site`.
            site = records.task_sites.get(task) or finalized_site(task)
            if site is not None:
                records.exception_sites[id(context)] = site
        # Then handled now, as without a guard: logged by asyncio's default handler, or passed
        # to the handler the loop had (a test's assertLogs, a handler of its own, see it at
        # the time). The log line carries the traceback a `loop_exceptions` finding lacks;
        # the guard cannot hold it back for that check, which is chosen only after the test.
        handler = self._previous_handler
        if handler is None:
            loop.default_exception_handler(context)
        else:
            handler(loop, context)

    def __enter__(self) -> asyncio.AbstractEventLoop:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- checks -----------------------------------------------------------------------------

    def check(self, checks: Mapping[str, bool] | None = None, /, **named: bool) -> list[Finding]:
        """Run the enabled checks and return one `Finding` per leaked item.

        ``guard.check({"leftover_tasks": True})`` (what `resolve_checks` returns) or
        ``guard.check(leftover_tasks=True)``; given both, the keywords win. A check that is
        not named takes its default (off for every built-in check). Call it after the test
        and its tearDown, before cleanups and `close` (which cancels what the checks look for).

        Args:
            checks: A mapping of check names (see `known_checks`) to True or False.
            **named: The same as keyword arguments.

        Raises:
            TypeError: ``checks`` is not a mapping, a check name is unknown or a value is not
                a bool.
        """
        selected = combine_checks(checks, named, "LoopGuard.check()")
        return self._check(selected)

    def _check(self, checks: dict[str, bool]) -> list[Finding]:
        loop = self.loop
        if any(checks.get(name) for name in GC_CHECKS):
            # Finalizers report unretrieved task exceptions, unawaited coroutines and
            # unclosed resources only once the objects are collected.
            gc.collect()
        return run_checks(loop, checks, baselines=self._baselines, records=self.records)

    def assert_clean(self, checks: Mapping[str, bool] | None = None, /, **named: bool) -> None:
        """Run `check` and raise if it found anything.

        Takes the same arguments as `check`: ``guard.assert_clean(resolve_checks(...))`` or
        ``guard.assert_clean(leftover_tasks=True, active_handles=True)``.

        Raises:
            LeakError: An AssertionError whose message names every finding.
            TypeError: ``checks`` is not a mapping, a check name is unknown or a value is not
                a bool.
        """
        findings = self._check(combine_checks(checks, named, "LoopGuard.assert_clean()"))
        if findings:
            raise LeakError(findings)

    # --- teardown ---------------------------------------------------------------------------

    def close(self) -> None:
        """Tear everything down and restore the previous state (idempotent).

        Leftover tasks are cancelled and awaited; their exceptions go to the loop's exception
        handler. Then async generators and the default executor are shut down, the previous
        current loop, policy, warning filters and hooks are restored and the loop is closed
        (unless it is the thread's default loop, see ``use_default_loop``). Every step runs
        even if an earlier one raised; the first error is re-raised at the end.

        Raises:
            RuntimeError: Called from inside the guarded loop while it runs.
        """
        if self._state == "closed":
            return
        loop = self._guarded_loop
        if loop is not None and loop.is_running():
            raise RuntimeError("LoopGuard.close() cannot be called while its loop is running")
        self._state = "closed"
        errors: list[BaseException] = []

        def step(action: Callable[[], object]) -> None:
            try:
                action()
            except BaseException as exc:
                errors.append(exc)

        if loop is not None:
            # First: the tasks teardown creates (shutdown_asyncgens...) need no creation site,
            # the checks have run; recording them would only cost time.
            step(lambda: self._restore_task_factory(loop))
        if loop is not None and not loop.is_closed():
            step(self._cancel_tasks)
            if self._owns_loop:
                step(lambda: loop.run_until_complete(loop.shutdown_asyncgens()))
                step(lambda: loop.run_until_complete(loop.shutdown_default_executor()))
        if self._forbidder is not None:
            step(lambda: self._forbidder.__exit__(None, None, None) if self._forbidder else None)
        _forbid.remove_recorder(self.records.violations)
        if loop is not None:
            step(lambda: self._restore_handler(loop))
            if self._previous_debug is not None:
                step(lambda: loop.set_debug(bool(self._previous_debug)))
            _guards.pop(loop, None)
        if self._previous is not None and not self._keep_current:
            previous = self._previous
            step(lambda: _compat.restore_current_loop(previous))
        if loop is not None and self._owns_loop:
            step(loop.close)
        if self._warnings is not None:
            step(self._warnings.uninstall)
        if errors:
            raise errors[0]

    def _cancel_tasks(self) -> None:
        loop = self.loop
        before = self._baselines.get("leftover_tasks") or set()
        tasks = [t for t in asyncio.all_tasks(loop) if t not in before and not t.done()]
        if not tasks:
            return
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        for task in tasks:
            if task.cancelled():
                continue
            exc = task.exception()
            if exc is not None:
                loop.call_exception_handler(
                    {
                        "message": "unhandled exception during test shutdown",
                        "exception": exc,
                        "task": task,
                    }
                )

    def _restore_handler(self, loop: asyncio.AbstractEventLoop) -> None:
        if loop.get_exception_handler() == self._record_exception:
            loop.set_exception_handler(self._previous_handler)
