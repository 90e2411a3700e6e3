"""Where tasks were created, recorded cheaply without asyncio's debug mode.

asyncio remembers a task's creation stack only in debug mode, which extracts a full stack
summary for every handle and future (what makes ``IsolatedAsyncioTestCase`` slow). A guarded
loop gets a task factory instead that keeps one ``(filename, lineno, function)`` triple per
task: the first frame that is neither asyncio's nor aiotestkit's own. No frame object is kept.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Callable
from typing import Any

from . import _compat

__all__ = ("TaskSite", "TaskSiteRecorder", "is_internal")

#: Where a task was created: ``(filename, line number, function name)``.
TaskSite = tuple[str, int, str]

_ASYNCIO_DIR = os.path.dirname(asyncio.__file__) + os.sep
_internal_files: dict[str, bool] = {}


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


class TaskSiteRecorder:
    """A task factory recording each task's creation site, then delegating.

    It chains the factory the loop had before (None: a plain ``asyncio.Task``, or e.g.
    ``asyncio.eager_task_factory``), forwarding every keyword argument, whatever the Python
    version passes: nothing (3.10), ``context`` (3.11-3.13), ``name``, ``context``,
    ``eager_start``... (3.14, uvloop on 3.13).

    Args:
        inner: The loop's previous task factory, or None.
        sites: Weak mapping filled with ``task -> TaskSite`` (tasks are never kept alive).
    """

    __slots__ = ("active", "inner", "sites")

    def __init__(
        self,
        inner: Callable[..., Any] | None,
        sites: weakref.WeakKeyDictionary[asyncio.Task[Any], TaskSite],
    ) -> None:
        self.inner = inner
        self.sites = sites
        #: Set to False when the guard closes; a factory chain left behind stops recording.
        self.active = True

    def __call__(self, loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        inner = self.inner
        if inner is None:
            # What create_task does without a factory; looked up at call time like asyncio.
            task = asyncio.tasks.Task(coro, loop=loop, **kwargs)
        else:
            task = inner(loop, coro, **kwargs)
        getframe = _compat.getframe
        if not self.active or getframe is None:
            return task
        # The innermost frame outside asyncio and aiotestkit (this runs for every task).
        frame: Any = getframe(1)
        while frame is not None:
            code = frame.f_code
            filename = code.co_filename
            internal = _internal_files.get(filename)
            if internal is None:
                internal = is_internal(filename)
            if not internal:
                try:
                    self.sites[task] = (filename, frame.f_lineno, code.co_name)
                except TypeError:  # a custom factory's task without weakrefs: no site
                    return task
                break
            frame = frame.f_back
        return task

    def __repr__(self) -> str:
        return f"<aiotestkit_loopguard task-site recorder wrapping {self.inner!r}>"
