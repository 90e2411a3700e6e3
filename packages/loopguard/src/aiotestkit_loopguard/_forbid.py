"""``forbid_get_event_loop``: make ``asyncio.get_event_loop()`` outside a running loop fail."""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import sys
import threading
import traceback
from collections.abc import Callable, Coroutine
from types import ModuleType, TracebackType
from typing import Any, TypeVar, overload

from . import _compat

__all__ = ("ForbidGetEventLoop", "GetEventLoopForbiddenError", "forbid_get_event_loop")

F = TypeVar("F")

_HINT = (
    "asyncio.get_event_loop() was called with no running event loop while "
    "forbid_get_event_loop is active. Pass the loop explicitly, call "
    "asyncio.get_running_loop() from inside a coroutine or callback, or create a loop with "
    "asyncio.new_event_loop() / asyncio.Runner()"
)


class GetEventLoopForbiddenError(AssertionError, RuntimeError):
    """``asyncio.get_event_loop()`` was called outside a running loop while forbidden.

    It is an AssertionError (what asynctest raised, and what its users' tests expect) and a
    RuntimeError (what asyncio raises when there is no current loop, and what code such as
    pytest-asyncio catches to fall back).
    """


# Every active recorder (a list) gets a description of each violation. LoopGuard registers one
# for its whole lifetime so a swallowed error still fails the test (check
# ``forbidden_get_event_loop``).
_recorders: list[list[str]] = []
_lock = threading.RLock()
_PACKAGE_DIR = os.path.dirname(__file__)
_ASYNCIO_DIR = os.path.dirname(asyncio.__file__)


def add_recorder(sink: list[str]) -> None:
    """Start copying violation descriptions into ``sink``."""
    with _lock:
        _recorders.append(sink)


def remove_recorder(sink: list[str]) -> None:
    """Stop copying violations into ``sink`` (no error if it was not registered)."""
    with _lock:
        for index, registered in enumerate(_recorders):
            if registered is sink:
                del _recorders[index]
                break


def _caller() -> str:
    """Describe the first frame outside asyncio and this package."""
    for frame in reversed(traceback.extract_stack()):
        filename = frame.filename
        if filename.startswith(_PACKAGE_DIR) or filename.startswith(_ASYNCIO_DIR):
            continue
        return f"{filename}:{frame.lineno} in {frame.name}"
    return "<unknown>"  # pragma: no cover


def _violation() -> GetEventLoopForbiddenError:
    where = _caller()
    description = f"asyncio.get_event_loop() called with no running loop at {where}"
    with _lock:
        sinks = list(_recorders)
    for sink in sinks:
        sink.append(description)
    return GetEventLoopForbiddenError(f"{_HINT} (called at {where}).")


_policy_class: type[Any] | None = None


def _forbidding_policy_class() -> type[Any] | None:
    """Build (once) a policy class delegating to the wrapped policy except get_event_loop."""
    global _policy_class
    if _policy_class is not None:
        return _policy_class
    base = _compat.abstract_policy_class()
    if base is None:  # 3.16+: no policy system
        return None

    class _ForbiddingPolicy(base):  # type: ignore[misc, valid-type]
        """Raises on ``get_event_loop()`` and forwards everything else."""

        def __init__(self, wrapped: Any) -> None:
            self._aiotestkit_wrapped = wrapped

        def get_event_loop(self) -> asyncio.AbstractEventLoop:
            running = _compat.running_loop()
            if running is not None:  # the C fast path never asks us; Python callers might
                return running
            raise _violation()

        def set_event_loop(self, loop: asyncio.AbstractEventLoop | None) -> None:
            self._aiotestkit_wrapped.set_event_loop(loop)

        def new_event_loop(self) -> asyncio.AbstractEventLoop:
            loop: asyncio.AbstractEventLoop = self._aiotestkit_wrapped.new_event_loop()
            return loop

        # 3.10-3.13 declare these on the abstract class, so __getattr__ would not see them.
        def get_child_watcher(self) -> Any:
            return self._aiotestkit_wrapped.get_child_watcher()

        def set_child_watcher(self, watcher: Any) -> Any:
            return self._aiotestkit_wrapped.set_child_watcher(watcher)

        def __getattr__(self, name: str) -> Any:
            # Reached only for names the class lacks, e.g. the default policy's `_local`.
            return getattr(self._aiotestkit_wrapped, name)

    _policy_class = _ForbiddingPolicy
    return _policy_class


_GET_EVENT_LOOP = "get_event_loop"


def _forbidden_get_event_loop() -> asyncio.AbstractEventLoop:
    running = _compat.running_loop()
    if running is not None:
        return running
    raise _violation()


# Forbidding is process-wide and reference counted: the first active forbid installs it, the
# last one to end restores what was there before. Overlapping forbids (e.g. two decorated
# coroutines interleaving on one loop) may therefore end in any order.
_active = 0
_saved: tuple[str, Any] | None = None


def _acquire() -> None:
    global _active, _saved
    with _lock:
        if _active == 0:
            policy_class = _forbidding_policy_class()
            if policy_class is not None:
                previous = _compat.get_policy()
                _compat.set_policy(policy_class(previous))
                _saved = ("policy", previous)
            else:
                # No policy system (3.16+): replace the module functions that still exist and
                # unset the thread's current loop (if that concept still exists) meanwhile.
                state = _compat.capture_current_loop()
                originals: dict[ModuleType, Any] = {}
                for module in (asyncio, asyncio.events):
                    if _GET_EVENT_LOOP in vars(module):
                        originals[module] = vars(module)[_GET_EVENT_LOOP]
                        setattr(module, _GET_EVENT_LOOP, _forbidden_get_event_loop)
                _compat.set_current_loop(None)
                _saved = ("patch", (originals, state))
        _active += 1


def _release() -> None:
    global _active, _saved
    with _lock:
        _active -= 1
        if _active > 0 or _saved is None:
            return
        (kind, saved), _saved = _saved, None
        if kind == "policy":
            # The previous policy, even if the body installed another one meanwhile.
            _compat.set_policy(saved)
        else:
            originals, state = saved
            for module, original in originals.items():
                setattr(module, _GET_EVENT_LOOP, original)
            _compat.restore_current_loop(state)


class ForbidGetEventLoop:
    """Context manager and decorator behind `forbid_get_event_loop`.

    While active, ``asyncio.get_event_loop()`` (and what routes through it outside a loop:
    ``asyncio.Future()``, ``ensure_future(coro)``, ``gather(coro)``...) raises
    `GetEventLoopForbiddenError` when no loop is running in the calling thread. Inside a
    coroutine or callback it keeps returning the running loop: asyncio answers that from the
    running loop without asking anybody, so it cannot (and need not) be forbidden.

    Each violation is appended to `violations`, also when the caller swallowed the error.

    How: on Pythons with event-loop policies (≤3.15), a policy that forwards everything to
    the installed one except ``get_event_loop()`` is installed (through the private,
    warning-free setter on 3.14/3.15). It is process-wide (other threads are forbidden too while
    it is active) and reference counted: when the last active forbid ends, in whatever order
    overlapping ones end, the previous policy is restored, also when the body raised.
    """

    def __init__(self) -> None:
        self.violations: list[str] = []
        self._depth = 0

    def __enter__(self) -> ForbidGetEventLoop:
        _acquire()
        if self._depth == 0:
            add_recorder(self.violations)
        self._depth += 1
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._depth == 0:
            return
        self._depth -= 1
        if self._depth == 0:
            remove_recorder(self.violations)
        _release()

    def __call__(self, func: F) -> F:
        """Decorate a function, coroutine function or test class (see `forbid_get_event_loop`)."""
        return _decorate(func)


#: Marks the TestCase hooks `forbid_get_event_loop` installed (so they are never stacked).
_HOOK_MARK = "_aiotestkit_forbids"


def _forbidding_hook(cls: type[Any], name: str) -> Callable[..., Any]:
    """Return a ``cls.<name>`` that runs the inherited hook with get_event_loop forbidden."""

    def hook(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        # super(cls, self) rather than the hook found now: the MRO of a subclass decides.
        inherited = getattr(super(cls, self), name)
        with ForbidGetEventLoop():
            return inherited(*args, **kwargs)

    hook.__name__ = name
    hook.__qualname__ = f"{cls.__qualname__}.{name}"
    hook.__module__ = cls.__module__
    setattr(hook, _HOOK_MARK, True)
    return hook


def _decorate_class(target: type[Any]) -> None:
    """Make a test class forbid ``get_event_loop`` during each of its tests.

    A class with a ``forbid_get_event_loop`` attribute (aiotestkit's TestCase declares it, and
    passes it to `LoopGuard`) gets that attribute set to True. A ``unittest.TestCase`` without
    it (``TestCase``, ``IsolatedAsyncioTestCase``...) gets the hooks through which
    ``TestCase.run()`` calls setUp, the test, tearDown and each cleanup wrapped in a forbid:
    test methods stay untouched (discovery, names, other decorators), and subclasses inherit
    the forbid.

    Raises:
        TypeError: The class is neither of these (e.g. a plain pytest test class).
    """
    if hasattr(target, "forbid_get_event_loop"):
        setattr(target, "forbid_get_event_loop", True)  # noqa: B010 - a class of unknown type
        return
    unittest = sys.modules.get("unittest")  # not imported here: a TestCase means it was
    hooks = [name for name in _compat.TESTCASE_HOOKS if callable(getattr(target, name, None))]
    if unittest is None or not issubclass(target, unittest.TestCase) or not hooks:
        raise TypeError(
            "@forbid_get_event_loop on a class needs a unittest.TestCase subclass (plain or "
            "IsolatedAsyncioTestCase) or a class whose runner reads a 'forbid_get_event_loop' "
            f"attribute (aiotestkit's TestCase); {target.__qualname__} is neither. Decorate its "
            "test methods instead, or mark them with @pytest.mark.forbid_get_event_loop "
            "(aiotestkit's pytest plugin)"
        )
    for name in hooks:
        if getattr(getattr(target, name), _HOOK_MARK, False):
            continue  # already forbidding (a decorated base class, or decorated twice)
        setattr(target, name, _forbidding_hook(target, name))


def _decorate(target: F) -> F:
    if inspect.isclass(target):
        _decorate_class(target)
        return target
    if not callable(target):
        raise TypeError(
            "forbid_get_event_loop decorates functions, coroutine functions and test "
            f"classes, got {target!r}"
        )
    func: Callable[..., Any] = target
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            with ForbidGetEventLoop():
                coro: Coroutine[Any, Any, Any] = func(*args, **kwargs)
                return await coro

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with ForbidGetEventLoop():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@overload
def forbid_get_event_loop() -> ForbidGetEventLoop: ...
@overload
def forbid_get_event_loop(target: F) -> F: ...
def forbid_get_event_loop(target: Any = None) -> Any:
    """Forbid ``asyncio.get_event_loop()`` outside a running loop.

    Usable as ``with forbid_get_event_loop():`` (the value bound by ``as`` has a
    ``violations`` list), as ``@forbid_get_event_loop`` / ``@forbid_get_event_loop()`` on a
    function (forbidden for each call) or a coroutine function (forbidden from the first step
    of the coroutine to its end, including while it is suspended), and on a test class:

    - aiotestkit's TestCase (any class with a ``forbid_get_event_loop`` attribute): sets that
      attribute to True; the TestCase passes it to `LoopGuard`.
    - any other ``unittest.TestCase``, ``IsolatedAsyncioTestCase`` included: forbidden during
      setUp, the test, tearDown and each cleanup of every test of the class and of its
      subclasses (the hooks ``TestCase.run()`` calls them through are wrapped; the test
      methods themselves are left as they are). Inside a coroutine of an
      ``IsolatedAsyncioTestCase``, ``get_event_loop()`` still returns the running loop.

    Args:
        target: The function or class to decorate; omit it for a context manager.

    Raises:
        TypeError: ``target`` is neither a callable nor a class, or is a class that is neither
            a ``unittest.TestCase`` nor has a ``forbid_get_event_loop`` attribute.
    """
    if target is None:
        return ForbidGetEventLoop()
    return _decorate(target)
