"""Every use of a private asyncio/stdlib name in aiotestkit-loopguard lives here.

Each helper notes the versions its private names were checked on: 3.10.13, 3.11.7, 3.12.1 and
3.13.0 were run; 3.14 was read from CPython source (``Lib/asyncio/events.py``: the policy
system is deprecated, the private ``_get_event_loop_policy`` / ``_set_event_loop_policy`` /
``_AbstractEventLoopPolicy`` names are the warning-free way in, and the policy's thread-local
``_local`` keeps ``_loop`` but no longer has ``_set_called``). Everything is feature-detected,
never version-compared, so 3.16 (policies removed) degrades instead of crashing.
"""

from __future__ import annotations

import asyncio
import asyncio.events as _events
import selectors
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, NamedTuple

#: Marks "this attribute did not exist", distinct from ``None``.
MISSING: Any = object()

# --- policies -------------------------------------------------------------------------------
# 3.14/3.15: the public get/set_event_loop_policy and AbstractEventLoopPolicy warn
# (DeprecationWarning), the private names below do not. 3.10-3.13: the private names do not
# exist and the public ones do not warn. 3.16: neither exists.
_private_get_policy: Callable[[], Any] | None = getattr(_events, "_get_event_loop_policy", None)
_private_set_policy: Callable[[Any], None] | None = getattr(_events, "_set_event_loop_policy", None)


def get_policy() -> Any:
    """Return the installed event-loop policy without a DeprecationWarning, or None.

    Checked: 3.10-3.13 public ``events.get_event_loop_policy``; 3.14 private
    ``events._get_event_loop_policy`` (source).
    """
    if _private_get_policy is not None:
        return _private_get_policy()
    getter = vars(_events).get("get_event_loop_policy")
    if getter is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return getter()


def set_policy(policy: Any) -> None:
    """Install ``policy`` (or the default for None) without a DeprecationWarning."""
    if _private_set_policy is not None:
        _private_set_policy(policy)
        return
    setter = vars(_events).get("set_event_loop_policy")
    if setter is None:  # pragma: no cover - 3.16+
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        setter(policy)


def abstract_policy_class() -> type[Any] | None:
    """Return the abstract policy base class a custom policy must subclass, or None.

    Checked: 3.10-3.13 ``events.AbstractEventLoopPolicy``; 3.14 ``events._AbstractEventLoopPolicy``
    (the public name is only reachable through the warning ``asyncio.__getattr__``).
    """
    cls = vars(_events).get("_AbstractEventLoopPolicy")
    if cls is None:
        cls = vars(_events).get("AbstractEventLoopPolicy")
    return cls


# --- the thread's current loop ------------------------------------------------------------------


# NamedTuple rather than a frozen dataclass: a dataclass costs ~0.5 ms of import time each.
class CurrentLoopState(NamedTuple):
    """What ``set_event_loop`` controls for this thread, captured without side effects.

    Attributes:
        policy: The installed policy object (None when this Python has no policies).
        loop: The thread's current loop, or None.
        set_called: The ≤3.13 ``_set_called`` latch (``MISSING`` on 3.14+ or when unreadable).
        exact: Whether ``loop``/``set_called`` were read from the policy's storage directly and
            can be written back exactly.
    """

    policy: Any
    loop: asyncio.AbstractEventLoop | None
    set_called: Any
    exact: bool


def _policy_local(policy: Any) -> Any:
    """Return the default policy's thread-local storage, or None for a foreign policy.

    Checked: ``BaseDefaultEventLoopPolicy._local`` (a ``threading.local`` with ``_loop`` and,
    on 3.10-3.13, ``_set_called``) on 3.10-3.13; ``_BaseDefaultEventLoopPolicy._local`` with
    only ``_loop`` on 3.14 (source). uvloop's policy subclasses the default one. Our own
    forbidding policy forwards attribute access to the policy it wraps.
    """
    local = getattr(policy, "_local", None)
    if local is None or not hasattr(local, "_loop"):
        return None
    return local


def capture_current_loop() -> CurrentLoopState:
    """Read the thread's current loop without creating one and without warnings."""
    policy = get_policy()
    if policy is None:  # 3.16+: no policy, ask get_event_loop quietly (if it still exists)
        loop = None
        getter = getattr(asyncio, "get_event_loop", None)
        if getter is not None and has_current_loop() and _events._get_running_loop() is None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    loop = getter()
            except RuntimeError:
                loop = None
        return CurrentLoopState(None, loop, MISSING, exact=False)
    local = _policy_local(policy)
    if local is not None:
        return CurrentLoopState(
            policy, local._loop, getattr(local, "_set_called", MISSING), exact=True
        )
    # A foreign policy: its get_event_loop() may follow its own rules (even create a loop).
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            loop = policy.get_event_loop()
    except (RuntimeError, AssertionError):
        loop = None
    return CurrentLoopState(policy, loop, MISSING, exact=False)


def restore_current_loop(state: CurrentLoopState) -> None:
    """Put back the policy and the thread's current loop exactly as ``state`` recorded them."""
    if state.policy is not None and get_policy() is not state.policy:
        set_policy(state.policy)
    if state.policy is None:  # 3.16+
        set_current_loop(state.loop)
        return
    local = _policy_local(state.policy)
    if state.exact and local is not None:
        local._loop = state.loop
        if state.set_called is not MISSING:
            local._set_called = state.set_called
        return
    state.policy.set_event_loop(state.loop)


def has_current_loop() -> bool:
    """Whether this Python still has a per-thread "current loop" (``asyncio.set_event_loop``).

    3.10-3.15 have it. Whether 3.16, which removes the policy system, keeps it was not
    verifiable (gh-127949 / gh-130322 discussed both), so it is feature-detected.
    """
    return callable(getattr(asyncio, "set_event_loop", None))


def set_current_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    """Make ``loop`` the thread's current loop (public ``asyncio.set_event_loop``, never warns).

    A no-op on a Python without ``set_event_loop``.
    """
    setter = getattr(asyncio, "set_event_loop", None)
    if callable(setter):
        setter(loop)


def running_loop() -> asyncio.AbstractEventLoop | None:
    """Return the loop running in this thread, or None (``events._get_running_loop``, 3.10-3.14)."""
    return _events._get_running_loop()


# --- unittest -----------------------------------------------------------------------------------

#: The hooks through which ``unittest.TestCase.run()`` calls setUp, the test method, tearDown
#: and each cleanup; ``IsolatedAsyncioTestCase`` overrides all four to run coroutines on its
#: loop. Checked: ``unittest/case.py`` and ``unittest/async_case.py`` of 3.10.13, 3.11.7,
#: 3.12.1 and 3.13.0 (run), and CPython main's ``async_case.py`` (read; same four hooks).
#: `forbid_get_event_loop` wraps them on plain TestCase classes; a class lacking them is
#: refused rather than silently left unforbidden.
TESTCASE_HOOKS = ("_callSetUp", "_callTestMethod", "_callTearDown", "_callCleanup")


# --- task names under a task factory ---------------------------------------------------------

_misnames: bool | None = None


class _NameProbe:
    """Stands in for a task in `create_task_misnames_unnamed_tasks` (records ``set_name``)."""

    def __init__(self) -> None:
        self.names: list[object] = []

    def set_name(self, name: object) -> None:
        self.names.append(name)


def create_task_misnames_unnamed_tasks() -> bool:
    """Whether ``BaseEventLoop.create_task`` names unnamed tasks ``'None'`` under a factory.

    CPython 3.13.0-3.13.2 (gh-130033): with a task factory set, ``create_task(coro)`` calls
    ``task.set_name(None)`` on the factory's task, renaming ``Task-7`` to ``'None'``. 3.10-3.12
    only rename when a name is given, 3.13.3+ and 3.14 (source) pass the name to the factory.
    Feature-detected once, not version-compared: a bare ``asyncio.BaseEventLoop`` (no
    selector, no file descriptors) gets a factory returning a probe object, and the probe
    records whether ``set_name(None)`` was called. Checked: 3.10.13, 3.11.7, 3.12.1 (False),
    3.13.0 (True) run here. Only public names are used.
    """
    global _misnames
    if _misnames is None:
        probe = _NameProbe()
        misnames = False
        try:
            loop = asyncio.BaseEventLoop()
            try:
                factory: Any = lambda loop, coro, **kwargs: probe  # noqa: E731
                loop.set_task_factory(factory)
                loop.create_task(None)  # type: ignore[arg-type]
                misnames = None in probe.names
            finally:
                loop.close()
        except Exception:  # pragma: no cover - an asyncio this probe does not fit: no fix
            misnames = False
        _misnames = misnames
    return _misnames


# --- loop internals for the checks --------------------------------------------------------------


def scheduled_timers(loop: asyncio.AbstractEventLoop) -> list[asyncio.TimerHandle] | None:
    """Return the loop's timer heap, or None when the loop does not expose one (uvloop).

    Checked: ``BaseEventLoop._scheduled`` (a heap list of TimerHandle) 3.10-3.13, 3.14 source.
    """
    scheduled = getattr(loop, "_scheduled", None)
    if not isinstance(scheduled, list):
        return None
    return list(scheduled)


def loop_selector(loop: asyncio.AbstractEventLoop) -> selectors.BaseSelector | None:
    """Return a selector loop's selector, or None (uvloop, Proactor).

    Checked: ``BaseSelectorEventLoop._selector`` 3.10-3.13, 3.14 source.
    """
    selector = getattr(loop, "_selector", None)
    if isinstance(selector, selectors.BaseSelector):
        return selector
    return None


def iter_selectors(selector: selectors.BaseSelector) -> Iterator[selectors.BaseSelector]:
    """Yield ``selector`` then every selector it wraps (the CONTRACT's ``.wrapped`` chain)."""
    seen: set[int] = set()
    current: object = selector
    while isinstance(current, selectors.BaseSelector) and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "wrapped", None)


def self_pipe_fds(loop: asyncio.AbstractEventLoop) -> set[int]:
    """Return the fds of the loop's own self-pipe (always registered, never a leak).

    Checked: ``BaseSelectorEventLoop._ssock`` 3.10-3.13, 3.14 source.
    """
    fds: set[int] = set()
    sock = getattr(loop, "_ssock", None)
    if sock is not None:
        try:
            fileno = sock.fileno()
        except (OSError, ValueError):  # pragma: no cover - closed self-pipe
            return fds
        if fileno >= 0:
            fds.add(fileno)
    return fds


#: ``sys._getframe(depth)``: the cheap way to the frame that created a task (no stack summary,
#: no frame kept). Present on CPython 3.10-3.13 (run) and 3.14 (source) and on PyPy; None
#: elsewhere, which turns task creation-site tracking off.
getframe: Callable[[int], FrameType] | None = getattr(sys, "_getframe", None)


def callback_runner_code_ids() -> frozenset[int]:
    """Return the ids of the code objects through which a Python loop runs each callback.

    Checked: ``events.Handle._run`` (inherited by ``TimerHandle``, and by ``_ThreadSafeHandle``
    where it exists) on 3.10-3.13, 3.14 source; every ``Handle`` subclass of
    ``asyncio.events`` that defines its own ``_run`` is included. A walk up the stack from a
    task factory that reaches one of them has left the code that created the task: the loop
    itself ran the callback (``run_coroutine_threadsafe``, a server's connection handler...).
    Code objects of module-level functions live as long as the process, so ids are stable.
    """
    ids: set[int] = set()
    for obj in list(vars(_events).values()):
        if isinstance(obj, type) and issubclass(obj, _events.Handle):
            code = getattr(vars(obj).get("_run"), "__code__", None)
            if code is not None:
                ids.add(id(code))
    return frozenset(ids)


def creation_traceback(obj: object) -> traceback.StackSummary | None:
    """Return where a Task/Future/Handle was created (debug mode only), or None.

    Checked: ``Future._source_traceback`` / ``Handle._source_traceback`` 3.10-3.13, 3.14
    source; set only when the loop is in debug mode.
    """
    tb = getattr(obj, "_source_traceback", None)
    if isinstance(tb, traceback.StackSummary) and tb:
        return tb
    return None


def format_call_graph(task: asyncio.Task[Any]) -> str | None:
    """Return ``asyncio.format_call_graph(task)`` where it exists (3.14+), else None."""
    formatter = getattr(asyncio, "format_call_graph", None)
    if formatter is None:
        return None
    try:
        text = formatter(task)
    except Exception:  # pragma: no cover - a diagnostic must never break the check
        return None
    return str(text) if text else None


# ``futures._set_result_unless_cancelled``: the callback of the timer ``asyncio.sleep(delay)``
# schedules to wake its future. Checked 3.10-3.13 (run); the 3.14 source was not read (the
# stored CPython copy predates it). If a later Python renames any of these names, the helpers
# below return None and such timers are simply reported again, as before.
_wake_future: Any = getattr(asyncio.futures, "_set_result_unless_cancelled", None)


def future_woken_by(handle: asyncio.TimerHandle) -> asyncio.Future[Any] | None:
    """Return the future a timer exists only to wake (``asyncio.sleep``'s timer), or None.

    Checked: ``Handle._callback`` / ``Handle._args`` 3.10-3.13 (run); the timer of
    ``asyncio.sleep(delay)`` calls ``_set_result_unless_cancelled(future, result)``.
    """
    if _wake_future is None or getattr(handle, "_callback", None) is not _wake_future:
        return None
    args = getattr(handle, "_args", None)
    if isinstance(args, tuple) and args and isinstance(args[0], asyncio.Future):
        return args[0]
    return None


def awaited_future(task: asyncio.Task[Any]) -> asyncio.Future[Any] | None:
    """Return the future a suspended task is waiting on, or None.

    Checked: ``Task._fut_waiter`` of the C task 3.10-3.13 (run); the Python task has it too.
    """
    waiter = getattr(task, "_fut_waiter", None)
    return waiter if isinstance(waiter, asyncio.Future) else None
