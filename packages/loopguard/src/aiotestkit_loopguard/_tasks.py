"""Where tasks were created, recorded cheaply without asyncio's debug mode.

asyncio remembers a task's creation stack only in debug mode, which extracts a full stack
summary for every handle and future (what makes ``IsolatedAsyncioTestCase`` slow). A guarded
loop gets a task factory instead that keeps one ``(filename, lineno, function)`` triple per
task: the first frame that is neither asyncio's nor aiotestkit's own. No frame object is kept.
"""

from __future__ import annotations

import asyncio
import gc
import os
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from . import _compat

__all__ = (
    "TaskSite",
    "TaskSiteRecorder",
    "TaskSites",
    "finalized_site",
    "is_internal",
    "unwatch_collections",
    "watch_collections",
)

#: Where a task was created: ``(filename, line number, function name)``.
TaskSite = tuple[str, int, str]

_ASYNCIO_DIR = os.path.dirname(asyncio.__file__) + os.sep
_internal_files: dict[str, bool] = {}
#: Where a Python loop calls a callback: a creation-site walk stops there (see `_compat`).
_CALLBACK_RUNNERS = _compat.callback_runner_code_ids()


def is_internal(filename: str) -> bool:
    """Whether ``filename`` belongs to asyncio or to an aiotestkit package (cached).

    These frames are skipped when naming a creation site: ``asyncio.sleep()``,
    ``loop.create_task()`` or a guard's task factory are never the line that matters.
    """
    internal = _internal_files.get(filename)
    if internal is None:
        package = os.path.basename(os.path.dirname(filename))
        internal = (
            filename.startswith(_ASYNCIO_DIR)
            or package == "aiotestkit"
            or package.startswith("aiotestkit_")
        )
        _internal_files[filename] = internal
    return internal


# --- sites of tasks the garbage collector is finalizing ---------------------------------------
# A task in a reference cycle is finalized by the collector, which clears weak references
# (running their callbacks) *before* calling finalizers: by the time a task's finalizer reports
# "Task exception was never retrieved", its `TaskSites` entry is gone. So while a collection
# runs, each dying task's site is moved here, keyed by id(task), and dropped when the
# collection ends. Within one collection the ids are unambiguous: nothing collected is freed
# before every finalizer has run. Outside a collection (a task freed by reference counting)
# nothing is moved: its finalizer runs while its weak entry still exists.
_finalized: dict[int, TaskSite] = {}
_collecting = False
_watchers = 0


def _on_gc(phase: str, info: dict[str, Any]) -> None:
    global _collecting
    _collecting = phase == "start"
    if not _collecting:
        _finalized.clear()


def watch_collections() -> None:
    """Start moving the sites of tasks being collected aside (nests; see `finalized_site`)."""
    global _watchers
    _watchers += 1
    if _on_gc not in gc.callbacks:
        gc.callbacks.append(_on_gc)


def unwatch_collections() -> None:
    """Undo one `watch_collections` call; the last one removes the collector callback."""
    global _watchers, _collecting
    _watchers = max(0, _watchers - 1)
    if _watchers == 0:
        while _on_gc in gc.callbacks:
            gc.callbacks.remove(_on_gc)
        _collecting = False
        _finalized.clear()


def finalized_site(obj: object) -> TaskSite | None:
    """Return the site of a task the running collection is finalizing, or None.

    Only meaningful from a finalizer the collector runs (a task's ``__del__`` calling the
    loop's exception handler); outside a collection it is always None.
    """
    if not _collecting:
        return None
    return _finalized.get(id(obj))


class TaskSites(Mapping[asyncio.Task[Any], TaskSite]):
    """Read-only weak mapping ``task -> TaskSite``: an entry vanishes with its task.

    Like a ``WeakKeyDictionary``, cheaper per task, which matters for a factory that runs on
    every ``create_task``: keys are ``weakref.ref(task, forget)`` and values
    ``(site, id(task))``. ``forget`` is one small function (no method lookup, no lock) that
    pops the entry and, only while the garbage collector runs, keeps the site aside for the
    task's finalizer (see `finalized_site`). Entries are only ever added (by
    `TaskSiteRecorder`) and removed by that callback, so the pop always finds its key.
    """

    __slots__ = ("_data", "_forget")

    def __init__(self) -> None:
        data: dict[weakref.ref[Any], tuple[TaskSite, int]] = {}
        self._data = data

        def forget(ref: weakref.ref[Any], pop: Any = data.pop) -> None:
            site, task_id = pop(ref)
            if _collecting:
                _finalized[task_id] = site

        self._forget = forget

    def __getitem__(self, task: asyncio.Task[Any]) -> TaskSite:
        try:
            key = weakref.ref(task)
        except TypeError:  # not weakly referenceable, so never recorded
            raise KeyError(task) from None
        return self._data[key][0]

    def __iter__(self) -> Iterator[asyncio.Task[Any]]:
        for key in list(self._data):
            task = key()
            if task is not None:
                yield task

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"<TaskSites of {len(self)} task(s)>"


class TaskSiteRecorder:
    """A task factory recording each task's creation site, then delegating.

    It chains the factory the loop had before (None: a plain ``asyncio.Task``, or e.g.
    ``asyncio.eager_task_factory``), forwarding every keyword argument, whatever the Python
    version passes: nothing (3.10), ``context`` (3.11-3.13), ``name``, ``context``,
    ``eager_start``... (3.14, uvloop on 3.13).

    Args:
        inner: The loop's previous task factory, or None.
        sites: The weak mapping to fill (tasks are never kept alive by it).
    """

    __slots__ = ("_data", "_forget", "active", "inner")

    def __init__(self, inner: Callable[..., Any] | None, sites: TaskSites) -> None:
        self.inner = inner
        self._data = sites._data
        self._forget = sites._forget
        #: Set to False when the guard closes; a factory chain left behind stops recording.
        self.active = True

    def __call__(self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        # The task is never bound to a local here. An eager task whose first step raises
        # stores a traceback whose frames link back (f_back) to this frame; a local `task`
        # would then form a cycle task -> exception -> frame -> task (CPython's own
        # create_task avoids the same on 3.14, gh-128552), and the walk's `frame` local would
        # keep a frame of the caller alive.
        inner = self.inner
        if inner is None:
            # What create_task does without a factory; looked up at call time like asyncio.
            return self._record(asyncio.tasks.Task(coro, loop=loop, **kwargs))
        return self._record(inner(loop, coro, **kwargs))

    def _record(self, task: Any) -> Any:
        getframe = _compat.getframe
        if not self.active or getframe is None:
            return task
        # The innermost frame outside asyncio and aiotestkit (this runs for every task):
        # 0 is this method, 1 is __call__, 2 is who called the factory (loop.create_task).
        frame: Any = getframe(2)
        while frame is not None:
            code = frame.f_code
            filename = code.co_filename
            internal = _internal_files.get(filename)
            if internal is None:
                internal = is_internal(filename)
            if not internal:
                try:
                    self._data[weakref.ref(task, self._forget)] = (
                        (filename, frame.f_lineno, code.co_name),
                        id(task),
                    )
                except TypeError:  # a custom factory's task without weakrefs: no site
                    return task
                break
            if code.co_name == "_run" and id(code) in _CALLBACK_RUNNERS:
                # Reached the loop's dispatch: a callback the loop ran created the task (a
                # server's handler, run_coroutine_threadsafe...). The frames above only
                # started the loop; naming them would mislead. No site, then.
                break
            frame = frame.f_back
        return task

    def __repr__(self) -> str:
        return f"<aiotestkit_loopguard task-site recorder wrapping {self.inner!r}>"
