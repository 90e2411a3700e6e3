"""The post-test checks: registry, ``fail_on`` decorators, precedence and the built-in checks."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple, NoReturn, TypeVar, overload

from . import _compat
from ._tasks import TaskSite, TaskSites, is_internal

__all__ = (
    "CheckContext",
    "Finding",
    "LeakError",
    "Records",
    "check_loop",
    "fail_on",
    "ignore_loop",
    "known_checks",
    "lenient",
    "register_check",
    "resolve_checks",
    "strict",
    "unregister_check",
)

T = TypeVar("T")

#: Attribute holding a test method's or class's own fail_on layers (never inherited values).
_ATTR = "_aiotestkit_fail_on"


# NamedTuples and a plain class rather than dataclasses: each dataclass costs ~0.5 ms of import
# time, and `import aiotestkit` must stay within 1.2x of `import asyncio, unittest.mock`.
class Finding(NamedTuple):
    """One leaked item reported by a check.

    Attributes:
        name: The check that found it (a name from ``known_checks()``).
        message: What leaked and, when known, where it was created.
    """

    name: str
    message: str

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"


#: Built-in checks whose findings are mistakes of the test, not things it left behind.
_NOT_LEAKS = frozenset(
    {"unused_loop", "loop_exceptions", "unawaited_coroutines", "forbidden_get_event_loop"}
)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


class LeakError(AssertionError):
    """A test left something behind or failed a check; ``findings`` lists every finding.

    The message starts with "the test leaked N items:" when every finding is something the
    test left behind (a task, a timer, a reader, a resource; any custom check's finding), and
    with "the test failed N checks:" when some are not (``unused_loop``, ``loop_exceptions``,
    ``unawaited_coroutines``, ``forbidden_get_event_loop``); one line per finding follows.
    """

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.findings: tuple[Finding, ...] = tuple(findings)
        if any(finding.name in _NOT_LEAKS for finding in self.findings):
            failed = len({finding.name for finding in self.findings})
            header = f"the test failed {_plural(failed, 'check')}:"
        else:
            header = f"the test leaked {_plural(len(self.findings), 'item')}:"
        lines = [header, *(f" - {finding}" for finding in self.findings)]
        super().__init__("\n".join(lines))

    def __reduce__(self) -> tuple[type[LeakError], tuple[tuple[Finding, ...]]]:
        # Rebuilt from the findings, not from the message (pickle, copy, multiprocessing).
        return (type(self), (self.findings,))


class Records:
    """What a `LoopGuard` observed while the test ran (read by the built-in checks).

    Attributes:
        loop_ran: Whether the loop ran an iteration since the test started (None: unknown).
        exceptions: Contexts the loop's exception handler received.
        unawaited: Messages of "coroutine ... was never awaited" RuntimeWarnings.
        resources: Messages of ResourceWarnings (unclosed transports, sockets, files...).
        violations: Descriptions of forbidden ``asyncio.get_event_loop()`` calls.
        task_sites: Where each task created on the guarded loop was created, as
            ``(filename, lineno, function)`` (the first frame outside asyncio and aiotestkit):
            a read-only mapping weakly keyed by task. Empty with ``track_tasks=False``.
        exception_sites: Where the task or future of a context in ``exceptions`` was created,
            keyed by ``id()`` of the context (looked up when the handler received it, since a
            task finalized by the garbage collector is no longer in ``task_sites``).
    """

    __slots__ = (
        "exception_sites",
        "exceptions",
        "loop_ran",
        "resources",
        "task_sites",
        "unawaited",
        "violations",
    )

    def __init__(self) -> None:
        self.loop_ran: bool | None = None
        self.exceptions: list[dict[str, Any]] = []
        self.unawaited: list[str] = []
        self.resources: list[str] = []
        self.violations: list[str] = []
        self.task_sites: TaskSites = TaskSites()
        self.exception_sites: dict[int, TaskSite] = {}

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in sorted(self.__slots__))
        return f"Records({fields})"


class CheckContext(NamedTuple):
    """What a check function receives.

    Attributes:
        loop: The loop to inspect.
        baseline: What the check's ``before`` hook returned when the guard started, or None
            (no hook, or the loop is not managed by a `LoopGuard`).
        records: The guard's observations, or None when the loop is not managed by a guard.
    """

    loop: asyncio.AbstractEventLoop
    baseline: Any = None
    records: Records | None = None


CheckFunc = Callable[[CheckContext], Iterable[str]]
BeforeFunc = Callable[[asyncio.AbstractEventLoop], Any]


class _Check(NamedTuple):
    func: CheckFunc
    before: BeforeFunc | None
    default: bool
    strict: bool


_REGISTRY: dict[str, _Check] = {}


def register_check(
    name: str,
    func: CheckFunc,
    *,
    default: bool = False,
    strict: bool = True,
    before: BeforeFunc | None = None,
) -> None:
    """Add a check of one's own, usable with `fail_on` and run by `LoopGuard`.

    Args:
        name: A Python identifier, the keyword used in ``fail_on(name=True)``.
        func: Called after the test with a `CheckContext`; returns one string per leaked item
            (an empty iterable when everything is clean).
        default: Whether the check runs when no decorator mentions it.
        strict: Whether ``@strict`` turns it on.
        before: Optional hook called with the loop when a guard starts; its result is passed
            to ``func`` as ``context.baseline`` (e.g. to ignore what existed before the test).

    Raises:
        ValueError: ``name`` is not an identifier or is already registered.
        TypeError: ``name`` is not a string, ``func`` or ``before`` is not callable, or
            ``default`` or ``strict`` is not a bool.
    """
    if not isinstance(name, str):
        raise TypeError(
            f"check name must be a string (a Python identifier), got {name!r} "
            f"of type {type(name).__name__}"
        )
    for flag, value in (("default", default), ("strict", strict)):
        if not isinstance(value, bool):
            raise TypeError(
                f"register_check({name!r}): {flag} must be True or False, got {value!r}"
            )
    if not name.isidentifier():
        raise ValueError(f"check name must be a Python identifier, got {name!r}")
    if name in _REGISTRY:
        raise ValueError(f"a check named {name!r} is already registered; pick another name")
    if not callable(func):
        raise TypeError(f"check function must be callable, got {func!r}")
    if before is not None and not callable(before):
        raise TypeError(f"before hook must be callable or None, got {before!r}")
    _REGISTRY[name] = _Check(func, before, default, strict)


def unregister_check(name: str) -> None:
    """Remove a check added with `register_check` (built-in checks cannot be removed).

    Raises:
        TypeError: ``name`` is not a string.
        ValueError: ``name`` is not a registered custom check.
    """
    if not isinstance(name, str):
        raise TypeError(f"check name must be a string, got {name!r} of type {type(name).__name__}")
    if name in _BUILTIN:
        raise ValueError(f"{name!r} is a built-in check and cannot be unregistered")
    if name not in _REGISTRY:
        raise ValueError(f"no check named {name!r} is registered; known: {', '.join(_REGISTRY)}")
    del _REGISTRY[name]


def known_checks() -> dict[str, bool]:
    """Return every registered check name mapped to its default."""
    return {name: check.default for name, check in _REGISTRY.items()}


def _validate(checks: Mapping[str, Any], what: str) -> dict[str, bool]:
    unknown = [name for name in checks if name not in _REGISTRY]
    if unknown:
        raise TypeError(
            f"{what} got unknown check name(s) {', '.join(map(repr, unknown))}; "
            f"known checks: {', '.join(_REGISTRY)}"
        )
    for name, value in checks.items():
        if not isinstance(value, bool):
            raise TypeError(f"{what}: check {name!r} must be True or False, got {value!r}")
    return dict(checks)


def combine_checks(checks: object, named: Mapping[str, Any], what: str) -> dict[str, bool]:
    """Merge a positional mapping of checks and keyword checks (keywords win), then validate.

    Args:
        checks: A mapping of check names to booleans, or None.
        named: The keyword arguments.
        what: The callable's name, for error messages.

    Raises:
        TypeError: ``checks`` is not a mapping, or a name or value is invalid.
    """
    if checks is not None and not isinstance(checks, Mapping):
        raise TypeError(
            f"{what} takes a mapping of check names to booleans, e.g. "
            f"{{'leftover_tasks': True}}, or keyword arguments, e.g. leftover_tasks=True; "
            f"got {checks!r}"
        )
    if "checks" in named and "checks" not in _REGISTRY and isinstance(named["checks"], Mapping):
        raise TypeError(
            f"{what} takes its mapping of checks as the positional argument: "
            f"pass it without 'checks=', got checks={named['checks']!r}"
        )
    merged: dict[str, Any] = dict(checks) if checks is not None else {}
    merged.update(named)
    return _validate(merged, what)


# A layer is one decorator application: ("set", {name: bool}) or ("all", bool) for strict and
# lenient. "all" layers are expanded when checks are resolved, so a check registered later is
# still covered, and nothing is computed (or cached) at decoration time.
_Layer = tuple[str, Any]


def _apply_layer(target: T, layer: _Layer) -> T:
    if inspect.isclass(target):
        own = vars(target).get(_ATTR, ())
        setattr(target, _ATTR, (*own, layer))  # on the subclass only: bases stay untouched
        return target
    func = getattr(target, "__func__", target)  # staticmethod/classmethod objects
    if not callable(func):
        raise TypeError(
            f"fail_on decorators apply to test methods and test classes, got {target!r}"
        )
    namespace = getattr(func, "__dict__", None)
    if not isinstance(namespace, dict):
        raise TypeError(f"cannot attach fail_on checks to {target!r}: it has no __dict__")
    namespace[_ATTR] = (*namespace.get(_ATTR, ()), layer)
    return target


class fail_on:
    """Decorator enabling or disabling post-test checks for a test method or class.

    ``@fail_on(active_handles=True)``. Precedence: defaults, then class decorators along the
    MRO (a subclass wins over its bases, which are never modified), then the method's own
    decorators (which win). Stacked decorators merge; the outermost wins on a conflict.

    Args:
        **checks: Check names (see `known_checks`) mapped to True or False.

    Raises:
        TypeError: Unknown check name or non-boolean value (raised at decoration time).
    """

    def __init__(self, *targets: NoReturn, **checks: bool) -> None:
        if targets:  # `@fail_on` without parentheses, or a positional argument
            raise TypeError(
                "fail_on takes check names as keyword arguments, e.g. "
                "@fail_on(active_handles=True); use @strict or @lenient for every check, "
                f"got the positional argument(s) {', '.join(map(repr, targets))}"
            )
        self.checks = _validate(checks, "fail_on()")

    def __call__(self, target: T) -> T:
        return _apply_layer(target, ("set", dict(self.checks)))

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={value!r}" for name, value in self.checks.items())
        return f"fail_on({args})"


def _all_decorator(value: bool) -> Callable[[T], T]:
    def decorate(target: T) -> T:
        return _apply_layer(target, ("all", value))

    return decorate


@overload
def strict(target: None = None) -> Callable[[T], T]: ...
@overload
def strict(target: T) -> T: ...
def strict(target: Any = None) -> Any:
    """Turn on every check registered with ``strict=True`` (all built-in ones).

    Usable as ``@strict`` or ``@strict()`` on test methods and classes.
    """
    decorate: Callable[[Any], Any] = _all_decorator(True)
    return decorate if target is None else decorate(target)


@overload
def lenient(target: None = None) -> Callable[[T], T]: ...
@overload
def lenient(target: T) -> T: ...
def lenient(target: Any = None) -> Any:
    """Turn every check off. Usable as ``@lenient`` or ``@lenient()``."""
    decorate: Callable[[Any], Any] = _all_decorator(False)
    return decorate if target is None else decorate(target)


@overload
def ignore_loop(target: None = None) -> Callable[[T], T]: ...
@overload
def ignore_loop(target: T) -> T: ...
def ignore_loop(target: Any = None) -> Any:
    """Same as ``fail_on(unused_loop=False)``; usable with or without parentheses.

    Not deprecated and never warns (asynctest warned at decoration time, which ``-W error``
    turns into an import error of the test module).
    """
    decorate = fail_on(unused_loop=False)
    return decorate if target is None else decorate(target)


def _layers_of(obj: Any) -> tuple[_Layer, ...]:
    """Return the fail_on layers attached to one function (following ``__wrapped__``)."""
    chain: list[tuple[_Layer, ...]] = []
    seen: set[int] = set()
    current = getattr(obj, "__func__", obj)
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        own = getattr(current, "__dict__", {}).get(_ATTR)
        if own:
            chain.append(own)
        current = getattr(current, "__wrapped__", None)
    # The innermost function's decorators were applied first.
    layers: tuple[_Layer, ...] = ()
    for own in reversed(chain):
        layers += own
    return layers


def _merge(result: dict[str, bool], layers: Iterable[_Layer]) -> None:
    for kind, value in layers:
        if kind == "all":
            for name, check in _REGISTRY.items():
                if value is False or check.strict:
                    result[name] = value
        else:
            result.update(value)


def resolve_checks(test_class: type[Any], method: Any = None) -> dict[str, bool]:
    """Return the checks in force for ``method`` of ``test_class`` (computed afresh each call).

    Args:
        test_class: The test class (its MRO is searched, most basic class first).
        method: The test method: a function, a bound method, a method name, or None for the
            class-level checks only.

    Raises:
        TypeError: ``test_class`` is not a class.
    """
    if not inspect.isclass(test_class):
        raise TypeError(f"resolve_checks() needs a test class, got {test_class!r}")
    result = known_checks()
    for klass in reversed(test_class.__mro__):
        _merge(result, vars(klass).get(_ATTR, ()))
    if isinstance(method, str):
        method = getattr(test_class, method, None)
    if method is not None:
        _merge(result, _layers_of(method))
    return result


def run_before_hooks(loop: asyncio.AbstractEventLoop) -> dict[str, Any]:
    """Call every registered ``before`` hook (done by `LoopGuard.start`)."""
    return {name: check.before(loop) for name, check in _REGISTRY.items() if check.before}


def run_checks(
    loop: asyncio.AbstractEventLoop,
    checks: Mapping[str, bool],
    *,
    baselines: Mapping[str, Any] | None = None,
    records: Records | None = None,
) -> list[Finding]:
    """Run the enabled checks on ``loop`` and return their findings in registration order."""
    enabled = _validate(checks, "checks")
    baselines = baselines or {}
    findings: list[Finding] = []
    for name, check in list(_REGISTRY.items()):
        if not enabled.get(name, check.default):
            continue
        context = CheckContext(loop, baselines.get(name), records)
        if check.func is _check_active_handles and enabled.get(
            "leftover_tasks", _REGISTRY["leftover_tasks"].default
        ):
            # A timer that only wakes a reported leftover task is that task's leak, reported
            # once, by leftover_tasks (which names the task, its site and what it awaits).
            tasks_context = CheckContext(loop, baselines.get("leftover_tasks"), records)
            skipped = _wakers_of(loop, _leftover_tasks(tasks_context))
            messages = _pending_timers(context, skipped)
        else:
            messages = check.func(context)
        findings.extend(Finding(name, str(message)) for message in messages)
    return findings


def check_loop(loop: asyncio.AbstractEventLoop, **checks: bool) -> list[Finding]:
    """Run checks on any loop and return the findings (for pytest and plain code).

    On a loop managed by a started `LoopGuard` this is ``guard.check(...)``. On any other loop
    only what is observable on the loop itself is checked: pending timers, selector
    registrations (except the loop's self-pipe) and unfinished tasks; the checks that need a
    guard's recording (loop exceptions, warnings, forbidden calls, unused loop) find nothing.

    Args:
        loop: The loop to inspect (call this while the loop is not running, or from a task:
            the calling task is never reported).
        **checks: Checks to run; the others do not. With none given, the checks ``@strict``
            turns on: every built-in check and every custom check registered with
            ``strict=True``, plus custom checks on by default (``default=True``).

    Raises:
        TypeError: Unknown check name or non-boolean value.
    """
    if checks:
        selected = {name: False for name in _REGISTRY} | _validate(checks, "check_loop()")
    else:
        selected = known_checks()
        _merge(selected, [("all", True)])  # exactly what @strict resolves to
    from ._guard import guard_of  # a cycle: the guard imports the registry

    guard = guard_of(loop)
    if guard is not None:
        return guard.check(selected)
    return run_checks(loop, selected)


# --- built-in checks ----------------------------------------------------------------------------


def _debug_site(obj: object) -> TaskSite | None:
    """Return where ``obj`` was created (debug mode only), skipping asyncio's own frames.

    ``loop.add_reader()`` or ``asyncio.sleep()`` create their handles inside asyncio (and a
    guarded loop's tasks inside its task factory); the frame that matters is the last one of
    the code that called into asyncio.
    """
    tb = _compat.creation_traceback(obj)
    if tb is None:
        return None
    frame = tb[-1]
    for candidate in reversed(tb):
        if not is_internal(candidate.filename):
            frame = candidate
            break
    return (frame.filename, frame.lineno or 0, frame.name)


def _format_site(site: TaskSite) -> str:
    filename, lineno, function = site
    return f"created at {filename}:{lineno} in {function}"


def _where(obj: object) -> str:
    """Say where ``obj`` was created (debug mode only) as `` (created at ...)``, or ""."""
    site = _debug_site(obj)
    return f" ({_format_site(site)})" if site is not None else ""


def _check_unused_loop(context: CheckContext) -> Iterable[str]:
    records = context.records
    if records is not None and records.loop_ran is False:
        yield "the loop did not run during the test"


def _before_active_handles(loop: asyncio.AbstractEventLoop) -> list[asyncio.TimerHandle]:
    # The handles themselves, not their ids: a timer that existed before the test may run (or
    # be cancelled and dropped) and be freed during it, and a new timer may then get its id.
    # Held here, a baseline handle's id cannot be reused while the baseline exists.
    return list(_compat.scheduled_timers(loop) or ())


def _check_active_handles(context: CheckContext) -> Iterable[str]:
    return _pending_timers(context, frozenset())


def _pending_timers(context: CheckContext, skipped: frozenset[int]) -> Iterable[str]:
    """Describe each pending timer, except those whose id is in ``skipped``."""
    timers = _compat.scheduled_timers(context.loop)
    if timers is None:  # uvloop and other loops without a visible timer heap
        return
    before = {id(handle) for handle in context.baseline or ()}
    now = context.loop.time()
    for handle in sorted(timers, key=lambda h: h.when()):
        if handle.cancelled() or id(handle) in before or id(handle) in skipped:
            continue
        yield (f"pending timer {handle!r}, due in {handle.when() - now:.3g}s{_where(handle)}")


def _wakers_of(
    loop: asyncio.AbstractEventLoop, tasks: Iterable[asyncio.Task[Any]]
) -> frozenset[int]:
    """Return the ids of timers that only wake a future one of ``tasks`` is awaiting.

    ``asyncio.sleep(3600)`` in a leftover task leaves a timer behind whose only job is to wake
    that task: reporting it next to the task would report the same leak twice.
    """
    awaited = {id(fut) for fut in map(_compat.awaited_future, tasks) if fut is not None}
    if not awaited:
        return frozenset()
    skipped = set()
    for handle in _compat.scheduled_timers(loop) or ():
        woken = _compat.future_woken_by(handle)
        if woken is not None and id(woken) in awaited:
            skipped.add(id(handle))
    return frozenset(skipped)


def _selector_registrations(loop: asyncio.AbstractEventLoop) -> dict[Any, Any]:
    """Map each registered file object to its ``(reader handle, writer handle)`` pair."""
    selector = _compat.loop_selector(loop)
    if selector is None:
        return {}
    ignored = _compat.self_pipe_fds(loop)
    found: dict[Any, Any] = {}
    for level in _compat.iter_selectors(selector):
        try:
            keys = list(level.get_map().values())
        except (RuntimeError, ValueError):  # a closed selector has no map
            continue
        for key in keys:
            if key.fd in ignored and type(key.fd) is int:
                continue
            found.setdefault(key.fd, key)
    return found


def _before_selector(loop: asyncio.AbstractEventLoop) -> dict[Any, tuple[Any, Any]]:
    # The reader and writer handles themselves (compared by identity), not their ids, which
    # a new handle could reuse once a pre-existing one is removed and freed during the test.
    return {fd: _handles_of(key) for fd, key in _selector_registrations(loop).items()}


def _handles_of(key: Any) -> tuple[Any, Any]:
    data = key.data
    if isinstance(data, tuple) and len(data) == 2:
        return data[0], data[1]
    return None, None


def _describe_callback(handle: Any) -> str:
    if handle is None:
        return "?"
    text = repr(handle)
    return text + _where(handle)


def _check_selector(context: CheckContext) -> Iterable[str]:
    before: dict[Any, tuple[Any, Any]] = context.baseline or {}
    for fd, key in _selector_registrations(context.loop).items():
        reader, writer = _handles_of(key)
        old_reader, old_writer = before.get(fd, (None, None))
        fileobj = key.fileobj
        for kind, handle, old in (("reader", reader, old_reader), ("writer", writer, old_writer)):
            if handle is None or handle.cancelled() or handle is old:
                continue
            yield f"add_{kind}({fileobj!r}, ...) never removed: {_describe_callback(handle)}"
        if reader is None and writer is None and fd not in before:
            yield f"{fileobj!r} registered with the selector and never unregistered"


def _before_tasks(loop: asyncio.AbstractEventLoop) -> set[asyncio.Task[Any]]:
    return set(asyncio.all_tasks(loop))


def _awaiting(task: asyncio.Task[Any]) -> str:
    """Describe the await chain of a suspended task: each coroutine and the line it waits on.

    The chain follows ``cr_await`` / ``gi_yieldfrom`` (public attributes of coroutine and
    generator objects) down to the innermost awaitable. A bare future iterator (what a
    coroutine awaiting a Future holds) is left out: it names nothing, and the line of the
    coroutine awaiting it already says which future that is.
    """
    steps: list[str] = []
    current: Any = task.get_coro()
    seen: set[int] = set()
    while current is not None and id(current) not in seen and len(steps) < 50:
        seen.add(id(current))
        if inspect.iscoroutine(current) or inspect.isgenerator(current):
            frame = getattr(current, "cr_frame", None) or getattr(current, "gi_frame", None)
            name = getattr(current, "__qualname__", type(current).__name__)
            if frame is not None:
                steps.append(f"{name}() at {frame.f_code.co_filename}:{frame.f_lineno}")
            else:
                steps.append(f"{name}()")
            current = getattr(current, "cr_await", None) or getattr(current, "gi_yieldfrom", None)
            continue
        if isinstance(current, asyncio.Future) or "FutureIter" not in type(current).__name__:
            steps.append(repr(current))
        break
    return " -> ".join(steps)


def _task_origin(task: asyncio.Task[Any], records: Records | None) -> str:
    """Say where ``task`` was created, else where its coroutine is defined.

    The guard's task factory knows the creation site of every task created on its loop; debug
    mode knows it for any task; a task of an unguarded loop outside debug mode is named by the
    definition of its coroutine.
    """
    site = records.task_sites.get(task) if records is not None else None
    if site is None:
        site = _debug_site(task)
    if site is not None:
        return " " + _format_site(site)
    code = getattr(task.get_coro(), "cr_code", None)
    if code is None:
        return ""
    return f" (coroutine defined at {code.co_filename}:{code.co_firstlineno})"


def _describe_task(task: asyncio.Task[Any], records: Records | None) -> str:
    """``task still running: 'name' created at f.py:12 in test_x, awaiting: ... -> ...``."""
    text = f"task still running: {task.get_name()!r}{_task_origin(task, records)}"
    graph = _compat.format_call_graph(task)
    if graph is not None:  # 3.14+: the call graph, which also shows who awaits the task
        return f"{text}\n{graph}"
    chain = _awaiting(task)
    return f"{text}, awaiting: {chain}" if chain else text


def _leftover_tasks(context: CheckContext) -> list[asyncio.Task[Any]]:
    """Return the tasks ``leftover_tasks`` reports: unfinished, new, not the calling task."""
    before: set[asyncio.Task[Any]] = context.baseline or set()
    current = None
    if _compat.running_loop() is context.loop:
        current = asyncio.current_task(context.loop)
    return [
        task
        for task in asyncio.all_tasks(context.loop)
        if task is not current and task not in before and not task.done()
    ]


def _check_tasks(context: CheckContext) -> Iterable[str]:
    for task in _leftover_tasks(context):
        yield _describe_task(task, context.records)


def _describe_exception_context(ctx: Mapping[str, Any], site: TaskSite | None = None) -> str:
    parts = [str(ctx.get("message") or "unhandled exception")]
    exc = ctx.get("exception")
    if exc is not None:
        parts.append(f"{type(exc).__name__}: {exc}")
    for key in ("task", "future", "handle"):
        obj = ctx.get(key)
        if obj is not None:
            if site is None and key != "handle":
                site = _debug_site(obj)
            where = f" {_format_site(site)}" if site is not None else ""
            parts.append(f"in {obj!r}{where}")
            break
    return "; ".join(parts)


def _check_loop_exceptions(context: CheckContext) -> Iterable[str]:
    records = context.records
    if records is not None:
        for ctx in records.exceptions:
            site = records.exception_sites.get(id(ctx))
            yield "loop exception handler got: " + _describe_exception_context(ctx, site)


def _check_unawaited(context: CheckContext) -> Iterable[str]:
    if context.records is not None:
        yield from context.records.unawaited


def _check_resources(context: CheckContext) -> Iterable[str]:
    if context.records is not None:
        yield from context.records.resources


def _check_forbidden(context: CheckContext) -> Iterable[str]:
    if context.records is not None:
        yield from context.records.violations


register_check("unused_loop", _check_unused_loop)
register_check("active_handles", _check_active_handles, before=_before_active_handles)
register_check("active_selector_callbacks", _check_selector, before=_before_selector)
register_check("leftover_tasks", _check_tasks, before=_before_tasks)
register_check("loop_exceptions", _check_loop_exceptions)
register_check("unawaited_coroutines", _check_unawaited)
register_check("unclosed_resources", _check_resources)
register_check("forbidden_get_event_loop", _check_forbidden)

_BUILTIN = frozenset(_REGISTRY)

#: The checks whose findings come from garbage collection (run ``gc.collect()`` first).
GC_CHECKS = frozenset({"loop_exceptions", "unawaited_coroutines", "unclosed_resources"})
