"""The pytest plugin of aiotestkit (entry point `pytest11`): fixtures and markers.

Nothing changes for a suite that uses none of it: the plugin only registers its markers,
fixtures and an ini option. What it offers:

- `@pytest.mark.aiotestkit(clock=False, autojump=False, watchdog=None)`: run an `async def`
  test on a fresh aiotestkit loop (fakeio's selector; with `clock=True` or `autojump=True` a
  virtual-time `ClockedEventLoop`; also when the test uses the `advance` or `clocked_loop`
  fixture, unless `clock=False`). Works without pytest-asyncio; in
  pytest-asyncio's strict mode (its default) the two never claim the same test. Its
  function-scoped `async def` fixtures run on the test's loop.
- fixtures `fakeio_loop` and `clocked_loop` (a fresh loop, current for the test, closed like
  `asyncio.Runner.close()` afterwards) and `advance` (`await advance(5)` inside the test's
  running virtual-time loop; `advance(5)` in a synchronous test drives `clocked_loop`).
- `@pytest.mark.aiotestkit_fail_on(**checks)` and `@pytest.mark.aiotestkit_strict`: leak checks
  (aiotestkit-loopguard's) on the loops above, after the test and before the loop is closed.
- `@pytest.mark.forbid_get_event_loop`: `asyncio.get_event_loop()` outside a running loop fails,
  in the test and in the setup and teardown of its fixtures.
- ini option `aiotestkit_asyncio_loop_factories = true`: pytest-asyncio (1.4+) runs its tests
  on aiotestkit loops through its `pytest_asyncio_loop_factories` hook: a virtual-time loop for
  tests marked `@pytest.mark.aiotestkit(clock=True)` or `(autojump=True)`, or using the
  `advance` fixture (unless marked `clock=False`), a fakeio loop otherwise. (The
  `clocked_loop` fixture would be a second loop there and is refused.)
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import os
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any, NamedTuple

import pytest

from aiotestkit_clock import ClockedEventLoop
from aiotestkit_fakeio import TestSelector, new_fakeio_loop
from aiotestkit_loopguard import (
    Finding,
    ForbidGetEventLoop,
    LeakError,
    LoopGuard,
    check_loop,
    fail_on,
    forbid_get_event_loop,
    known_checks,
)

from . import _compat
from ._advance import AdvanceCall, UnawaitedCalls, caller
from ._case import TestCase, flag_value, seconds_value
from ._phases import DONE, PhaseRunner

_PASSED = pytest.StashKey[bool]()
_ITEM_LOOP = pytest.StashKey["_ItemLoop"]()
"""The loop of a test aiotestkit runs itself, once something (a fixture, the test) needed it."""
_UNAWAITED = pytest.StashKey[UnawaitedCalls]()
"""The `advance()` calls the test's `advance` fixture made that are not awaited yet."""
_FORBID = pytest.StashKey[ForbidGetEventLoop]()
"""The `forbid_get_event_loop` marker's forbid, active during each phase of the test."""
_HAD_LOOP = pytest.StashKey[bool]()
"""Set once an aiotestkit loop was made for the test (its checks have something to check)."""
_PYTEST_ASYNCIO_DIR = f"{os.sep}pytest_asyncio{os.sep}"
_ASYNCIO_LOOP = pytest.StashKey[asyncio.AbstractEventLoop]()
"""The loop an aiotestkit factory made for pytest-asyncio while this test was being set up."""

_MARKERS = (
    "aiotestkit(clock=False, autojump=False, watchdog=None): run this async def test on a "
    "fresh aiotestkit loop (fake I/O selector; clock=True: virtual time, autojump=True: the "
    "clock jumps whenever the loop is idle, implies clock=True; watchdog: real seconds before "
    "a hanging test fails)",
    "aiotestkit_fail_on(**checks): fail the test if the aiotestkit-loopguard checks named "
    "(e.g. leftover_tasks=True) find leaks on the aiotestkit loop",
    "aiotestkit_strict: enable every aiotestkit-loopguard check on the aiotestkit loop",
    "forbid_get_event_loop: make asyncio.get_event_loop() outside a running loop fail the test",
)

_FACTORIES_PLUGIN = "aiotestkit-asyncio-factories"

_CLAIMED_TWICE_AUTO = (
    "this async test is marked @pytest.mark.aiotestkit, and pytest-asyncio also runs it: its "
    "`asyncio_mode = auto` claims every async def test. Either set "
    "`aiotestkit_asyncio_loop_factories = true` in the pytest configuration (pytest-asyncio then "
    "runs it on an aiotestkit loop, which @pytest.mark.aiotestkit(clock=..., autojump=...) "
    "chooses), or set `asyncio_mode = strict` (then only @pytest.mark.asyncio tests are "
    "pytest-asyncio's and this marker runs the test on its own)"
)

_CLAIMED_TWICE_MARKERS = (
    "this async test has both @pytest.mark.aiotestkit and @pytest.mark.asyncio (pytest-asyncio), "
    "and only one plugin can run it. Remove @pytest.mark.asyncio to have aiotestkit run it (with "
    "a watchdog if wanted), or set `aiotestkit_asyncio_loop_factories = true` in the pytest "
    "configuration to have pytest-asyncio run it on the aiotestkit loop the marker chooses"
)


def _claimed_twice(item: pytest.Item) -> str:
    """Explain which plugins both want to run *item*, and what to do in that case."""
    if item.get_closest_marker("asyncio") is not None and not _auto_mode(item.config):
        return _CLAIMED_TWICE_MARKERS
    return _CLAIMED_TWICE_AUTO


def _auto_mode(config: pytest.Config) -> bool:
    """Tell whether pytest-asyncio runs in auto mode (`--asyncio-mode`, else the ini option)."""
    mode: object = config.getoption("asyncio_mode", None)
    if mode is None:
        try:
            mode = config.getini("asyncio_mode")
        except ValueError:  # pytest-asyncio is not installed or disabled: no such option
            return False
    return mode == "auto"


_NO_WATCHDOG = (
    "pytest-asyncio runs this test (on an aiotestkit loop): the watchdog of "
    "@pytest.mark.aiotestkit(watchdog=...) applies only to tests aiotestkit runs itself; remove "
    "the asyncio marker (strict mode) to use it"
)

_SECOND_LOOP = (
    "{fixture} would be a second loop: pytest-asyncio runs this test on its own loop. Use "
    "asyncio.get_running_loop() in the test (with `aiotestkit_asyncio_loop_factories = true` it "
    "is an aiotestkit loop, virtual-time when the test uses `advance`), or run the test with "
    "@pytest.mark.aiotestkit instead of pytest-asyncio"
)


def _factories_registered(config: pytest.Config) -> bool:
    return config.pluginmanager.has_plugin(_FACTORIES_PLUGIN)


def _run_by_pytest_asyncio(item: pytest.Item) -> bool:
    """Tell whether pytest-asyncio (strict: marked; auto: every coroutine) runs *item*."""
    function = getattr(item, "obj", None)
    return (
        callable(function)
        and item.config.pluginmanager.has_plugin("asyncio")
        and item.get_closest_marker("asyncio") is not None
        and inspect.iscoroutinefunction(inspect.unwrap(function))
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the `aiotestkit_asyncio_loop_factories` ini option."""
    parser.addini(
        "aiotestkit_asyncio_loop_factories",
        "run pytest-asyncio (>= 1.4) tests on aiotestkit loops: virtual time for tests marked "
        "@pytest.mark.aiotestkit(clock=True) or (autojump=True) or using the advance fixture "
        "(unless clock=False), fake I/O otherwise",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers, and the pytest-asyncio loop factories when asked to."""
    for marker in _MARKERS:
        config.addinivalue_line("markers", marker)
    config.pluginmanager.register(_MarkerCheck(), "aiotestkit-marker-check")
    if config.getini("aiotestkit_asyncio_loop_factories"):
        # pytest-asyncio declares the hook (from 1.4 on) before pytest_configure runs.
        if not hasattr(config.hook, "pytest_asyncio_loop_factories"):
            msg = "aiotestkit_asyncio_loop_factories = true needs pytest-asyncio >= 1.4"
            raise pytest.UsageError(msg)
        config.pluginmanager.register(_AsyncioLoopFactories(), _FACTORIES_PLUGIN)


# -- options read from markers -----------------------------------------------------------------


class _LoopOptions(NamedTuple):
    """The options of `@pytest.mark.aiotestkit`, checked."""

    clock: bool | None
    """True or False as written, None if not given."""
    autojump: bool
    watchdog: float | None


_OPTION_NAMES = ("clock", "autojump", "watchdog")


_OPTIONS = pytest.StashKey[_LoopOptions]()


def _loop_options(item: pytest.Item) -> _LoopOptions:
    """Read and check the options of the item's closest `aiotestkit` marker, once per item.

    Several hooks need them for every test; markers do not change between runs of an item.

    Raises:
        pytest.UsageError: naming the test, the bad option and what to write instead.
    """
    __tracebackhide__ = True
    options = item.stash.get(_OPTIONS, None)
    if options is None:
        options = item.stash[_OPTIONS] = _read_loop_options(item)
    return options


def _read_loop_options(item: pytest.Item) -> _LoopOptions:
    __tracebackhide__ = True
    marker = item.get_closest_marker("aiotestkit")
    if marker is None:
        return _LoopOptions(None, False, None)
    options = dict(marker.kwargs)
    unknown = sorted(set(options) - set(_OPTION_NAMES))
    if unknown or marker.args:
        got = ", ".join([*map(repr, marker.args), *(f"{name}=..." for name in unknown)])
        msg = (
            f"{item.nodeid}: @pytest.mark.aiotestkit takes only the keyword arguments "
            f"{', '.join(_OPTION_NAMES)}, got {got}"
        )
        raise pytest.UsageError(msg)
    try:
        clock = flag_value(
            options.get("clock"), "@pytest.mark.aiotestkit(clock=...)", optional=True
        )
        autojump = flag_value(
            options.get("autojump", False), "@pytest.mark.aiotestkit(autojump=...)"
        )
        watchdog = seconds_value(
            options.get("watchdog"),
            "@pytest.mark.aiotestkit(watchdog=...)",
            zero=False,
            meaning="no watchdog",
        )
    except (TypeError, ValueError) as exc:
        raise pytest.UsageError(f"{item.nodeid}: {exc}") from None
    if autojump:
        if clock is False:
            msg = (
                f"{item.nodeid}: @pytest.mark.aiotestkit(autojump=True) jumps a virtual clock, "
                "which clock=False turns off: remove clock=False (autojump=True implies clock=True)"
            )
            raise pytest.UsageError(msg)
        clock = True  # autojump only makes sense on a virtual clock
    return _LoopOptions(clock, bool(autojump), watchdog)


def _check_markers(item: pytest.Item) -> None:
    """Check the options of the item's aiotestkit markers before anything is set up.

    Raises:
        pytest.fail.Exception: naming the test and the bad option (shown without a traceback:
            the plugin's own code is of no help to the user).
    """
    __tracebackhide__ = True
    try:
        _loop_options(item)
        if item.get_closest_marker("aiotestkit_fail_on") is not None:
            _checks(item)
    except pytest.UsageError as exc:
        raise pytest.fail.Exception(str(exc), pytrace=False) from None


def _checks(item: pytest.Item) -> dict[str, bool]:
    __tracebackhide__ = True
    checks = known_checks()
    if item.get_closest_marker("aiotestkit_strict") is not None:
        checks = dict.fromkeys(checks, True)
    # Closest marker last so that it wins (a test's marker over its class's or module's).
    for marker in reversed(list(item.iter_markers("aiotestkit_fail_on"))):
        if marker.args:
            msg = (
                f"{item.nodeid}: @pytest.mark.aiotestkit_fail_on takes only check names as "
                f"keyword arguments (e.g. leftover_tasks=True), got {marker.args!r}"
            )
            raise pytest.UsageError(msg)
        try:
            fail_on(**marker.kwargs)  # validates the names and values
        except (TypeError, ValueError) as exc:
            msg = f"{item.nodeid}: @pytest.mark.aiotestkit_fail_on: {exc}"
            raise pytest.UsageError(msg) from None
        checks.update(marker.kwargs)
    return checks


def _clocked_factory(autojump: bool) -> Callable[[], ClockedEventLoop]:
    def clocked_loop() -> ClockedEventLoop:
        return ClockedEventLoop(selector=TestSelector(), autojump=autojump)

    return clocked_loop


def _new_guard(item: pytest.Item, factory: Callable[[], asyncio.AbstractEventLoop]) -> LoopGuard:
    item.stash[_HAD_LOOP] = True
    guard = LoopGuard(
        factory, forbid_get_event_loop=item.get_closest_marker("forbid_get_event_loop") is not None
    )
    guard.start()
    return guard


def _finish(item: pytest.Item, guard: LoopGuard, runner: PhaseRunner | None = None) -> None:
    """Check (if the test passed) and close *guard*; the checks' failure fails the test.

    With the *runner* of a test that has a watchdog, the closing is watched too.
    """
    try:
        if item.stash.get(_PASSED, False):
            checks = _checks(item)
            if any(checks.values()):
                guard.assert_clean(checks)
    finally:
        if runner is None:
            guard.close()
        else:
            runner.teardown(guard.close)


# -- running @pytest.mark.aiotestkit tests -----------------------------------------------------


class _ItemLoop:
    """The loop (guard and phase runner) of a test that aiotestkit runs itself.

    Made on first need: by an `async def` fixture of the test (run on this loop), by the
    `clocked_loop` / `fakeio_loop` fixtures (which then return it), or by the test itself.
    Made while the test is set up, it is checked and closed after the fixtures' teardown (they
    may still need it); made by the test, right after the test, as before.
    """

    __slots__ = ("during_setup", "guard", "runner")

    def __init__(self, item: pytest.Item, *, during_setup: bool) -> None:
        options = _loop_options(item)  # checked before anything is installed
        factory: Callable[[], asyncio.AbstractEventLoop] = new_fakeio_loop
        if _wants_clock(item, options):
            factory = _clocked_factory(options.autojump)
        self.guard = _new_guard(item, factory)
        # Cannot fail: the watchdog was checked with the other options.
        self.runner = PhaseRunner(
            self.guard.loop, contextvars.copy_context(), options.watchdog, pytest.fail.Exception
        )
        # The runner checks the `advance` fixture's calls when each phase ends.
        self.runner.unawaited = item.stash.setdefault(_UNAWAITED, UnawaitedCalls())
        self.during_setup = during_setup

    @classmethod
    def of(cls, item: pytest.Item, *, during_setup: bool = True) -> _ItemLoop:
        """The loop of *item*, made now if it has none yet."""
        made = item.stash.get(_ITEM_LOOP, None)
        if made is None:
            made = item.stash[_ITEM_LOOP] = cls(item, during_setup=during_setup)
        return made

    def finish(self, item: pytest.Item) -> None:
        """Check (if the test passed) and close the loop."""
        del item.stash[_ITEM_LOOP]
        _finish(item, self.guard, self.runner)


def _wants_clock(item: pytest.Item, options: _LoopOptions) -> bool:
    """Virtual time: `clock=True` or `autojump=True`; without `clock=False`, `advance` too."""
    if options.clock is not None:
        return options.clock
    return not {"advance", "clocked_loop"}.isdisjoint(getattr(item, "fixturenames", ()))


def _runs_itself(item: pytest.Item) -> bool:
    """Tell whether aiotestkit runs *item*: marked `aiotestkit`, async, not pytest-asyncio's."""
    if item.get_closest_marker("aiotestkit") is None:
        return False
    if not inspect.iscoroutinefunction(getattr(item, "obj", None)):
        return False
    # pytest-asyncio makes its tests instances of its own item class (also in auto mode) and
    # documents `is_async_test(item)` to tell them; it replaces `obj` only while running them.
    is_async_test = getattr(item.config.pluginmanager.get_plugin("asyncio"), "is_async_test", None)
    return not (callable(is_async_test) and is_async_test(item))


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run an `async def` test marked `aiotestkit` on a fresh aiotestkit loop."""
    if pyfuncitem.get_closest_marker("aiotestkit") is None:
        return None
    options = _loop_options(pyfuncitem)
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        # pytest-asyncio replaces the test by a synchronous wrapper (functools.wraps) that runs
        # it on its own loop: two plugins would then want to run the same test.
        if inspect.iscoroutinefunction(inspect.unwrap(pyfuncitem.obj)):
            if not _factories_registered(pyfuncitem.config):
                pytest.fail(_claimed_twice(pyfuncitem), pytrace=False)
            if options.watchdog is not None:
                pytest.fail(_NO_WATCHDOG, pytrace=False)
            # The marker chose the loop pytest-asyncio got from our factory; it runs the test.
        return None  # a synchronous test: the marker only configures the loop fixtures
    loop = _ItemLoop.of(pyfuncitem, during_setup=False)
    parameters = inspect.signature(pyfuncitem.obj).parameters
    kwargs = {name: pyfuncitem.funcargs[name] for name in parameters if name in pyfuncitem.funcargs}
    subtests_failed = _compat.failed_subtests(pyfuncitem)
    try:
        loop.runner.call(pyfuncitem.obj, **kwargs)
        # A failed subtest is reported without propagating: the test did not pass.
        pyfuncitem.stash[_PASSED] = _compat.failed_subtests(pyfuncitem) == subtests_failed
    finally:
        if not loop.during_setup:
            loop.finish(pyfuncitem)
    return True


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: Any) -> Iterator[Any]:
    """Run the `async def` function-scoped fixtures of a test aiotestkit runs on its loop.

    The fixture's function is replaced by a synchronous one for the duration of its setup
    (pytest then calls it as it would any fixture; pytest-asyncio, which would otherwise claim
    a `@pytest_asyncio.fixture` for its own loop, sees a synchronous fixture and leaves it).
    """
    function = fixturedef.func
    if not (inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function)):
        return (yield)
    item = request.node
    if fixturedef.scope != "function" or not isinstance(item, pytest.Item):
        return (yield)
    if not _runs_itself(item):
        return (yield)
    instance = request.instance
    if instance is not None and inspect.ismethod(function):
        function = function.__func__.__get__(instance)  # a fixture method of the test's class
    original = fixturedef.func
    fixturedef.func = _on_item_loop(function, request, item)  # type: ignore[misc]
    try:
        return (yield)
    finally:
        fixturedef.func = original  # type: ignore[misc]


def _on_item_loop(
    function: Callable[..., Any], request: Any, item: pytest.Item
) -> Callable[..., Any]:
    """A synchronous fixture function running the async fixture *function* on *item*'s loop."""
    name = request.fixturename

    def run_on_item_loop(**kwargs: Any) -> Any:
        runner = _ItemLoop.of(item).runner
        if not inspect.isasyncgenfunction(function):
            return runner.call(function, **kwargs)
        generator = function(**kwargs)
        try:
            value = runner.run(_anext(generator))
        except StopAsyncIteration:
            msg = f"async generator fixture {name!r} did not yield a value"
            raise ValueError(msg) from None
        request.addfinalizer(functools.partial(_close_fixture, runner, generator, name))
        return value

    return run_on_item_loop


async def _anext(generator: AsyncGenerator[Any, None]) -> Any:
    return await generator.__anext__()


def _close_fixture(runner: PhaseRunner, generator: AsyncGenerator[Any, None], name: str) -> None:
    """Run the teardown part of an async generator fixture on the test's loop."""
    runner.run(_finish_generator(generator, name))


async def _finish_generator(generator: AsyncGenerator[Any, None], name: str) -> None:
    try:
        await generator.__anext__()
    except StopAsyncIteration:
        return
    await generator.aclose()
    msg = f"async generator fixture {name!r} yielded more than once"
    raise ValueError(msg)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    """Apply `forbid_get_event_loop`; check and close the loop of a test aiotestkit ran."""
    with _forbidding(item):
        try:
            yield
        finally:
            loop = item.stash.get(_ITEM_LOOP, None)
            if loop is not None:
                loop.finish(item)  # after the fixtures' teardown, which may need it
    if item.stash.get(_PASSED, False) and _wants_checks(item):
        _check_forbidden(item, _checks(item))  # calls made by the fixtures' teardown


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """Forget an earlier run's state; apply `forbid_get_event_loop` to the fixtures' setup."""
    _reset(item)
    with _forbidding(item):
        return (yield)


class _MarkerCheck:
    """The check of the aiotestkit markers' options, as a plain `pytest_runtest_setup` hook.

    A bad option fails the test's setup, once, before any fixture or loop is made. Not in the
    wrapper above: a plain hook runs after pytest's own `skip`/`skipif`/`xfail(run=False)`
    markers are evaluated (in their `tryfirst` hook), so a test skipped that way is skipped, as
    pytest does for its own markers' errors that it never reaches. It runs before pytest sets
    up the fixtures (a plain hook of pytest's runner, registered before any plugin).
    """

    @staticmethod
    def pytest_runtest_setup(item: pytest.Item) -> None:
        __tracebackhide__ = True
        _check_markers(item)


_PER_RUN: tuple[pytest.StashKey[Any], ...] = (
    _PASSED,
    _ITEM_LOOP,
    _UNAWAITED,
    _FORBID,
    _HAD_LOOP,
    _ASYNCIO_LOOP,
)


def _reset(item: pytest.Item) -> None:
    """Forget what an earlier run of the same item left in its stash (`pytest --reruns`)."""
    stash = item.stash
    for key in _PER_RUN:
        if key in stash:  # usually none is (the first run): no exception raised per test
            del stash[key]


def _forbidding(item: pytest.Item) -> AbstractContextManager[object]:
    """The item's `forbid_get_event_loop` for one phase (setup, call, teardown), if marked.

    One `ForbidGetEventLoop` per test, entered for each phase: its `violations` gather the
    calls of the whole test. Between the phases (pytest's reporting) nothing is forbidden.
    """
    if item.get_closest_marker("forbid_get_event_loop") is None:
        return contextlib.nullcontext()
    forbid = item.stash.get(_FORBID, None)
    if forbid is None:
        forbid = item.stash[_FORBID] = forbid_get_event_loop()
    return forbid


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Apply `forbid_get_event_loop`, note whether the test itself passed, check its loop."""
    __tracebackhide__ = True
    item.stash[_PASSED] = False
    case = _keep_teardown_under_pdb(item)
    subtests_failed = _compat.failed_subtests(item)
    try:
        with _forbidding(item):
            yield
    except AssertionError as exc:
        _check_awaited(item, exc)
        raise
    finally:
        if case is not None:
            _drop_postponed_teardown(item, case)
    _check_awaited(item)
    if _compat.failed_subtests(item) > subtests_failed:
        return  # failed through its subtests: not also blamed for what it left behind
    item.stash[_PASSED] = True
    if not _wants_checks(item):
        return  # the usual case, kept cheap
    checks = _checks(item)
    _check_forbidden(item, checks)
    loop = item.stash.get(_ASYNCIO_LOOP, None)
    if loop is not None and not loop.is_closed():
        # A loop pytest-asyncio got from our factory for this very test: check it now, while
        # pytest-asyncio has not yet cancelled what is left on it.
        findings = check_loop(loop, **checks)
        if findings:
            item.stash[_PASSED] = False
            raise LeakError(findings)
    elif not _has_aiotestkit_loop(item):
        _refuse_checks_without_loop(item)


def _wants_checks(item: pytest.Item) -> bool:
    """Tell whether *item* has an `aiotestkit_strict` or `aiotestkit_fail_on` marker."""
    return (
        item.get_closest_marker("aiotestkit_strict") is not None
        or item.get_closest_marker("aiotestkit_fail_on") is not None
    )


def _check_forbidden(item: pytest.Item, checks: Mapping[str, bool]) -> None:
    """Fail if the `forbid_get_event_loop` marker recorded calls and the check is on.

    Calls by pytest-asyncio itself (which catches the error and falls back) do not count.
    """
    forbid = item.stash.get(_FORBID, None)
    if forbid is None or not checks.get("forbidden_get_event_loop"):
        return
    findings = [
        Finding("forbidden_get_event_loop", violation)
        for violation in forbid.violations
        if _PYTEST_ASYNCIO_DIR not in violation
    ]
    if findings:
        item.stash[_PASSED] = False  # reported once: the loop's own check would repeat them
        raise LeakError(findings)


def _has_aiotestkit_loop(item: pytest.Item) -> bool:
    """Tell whether an aiotestkit loop was made for *item* (or pytest-asyncio runs it on one)."""
    return item.stash.get(_HAD_LOOP, False) or (
        _factories_registered(item.config) and _run_by_pytest_asyncio(item)
    )


def _refuse_checks_without_loop(item: pytest.Item) -> None:
    """Fail a test whose checks cannot run: it has no aiotestkit loop.

    The `forbidden_get_event_loop` check alone needs no loop under the `forbid_get_event_loop`
    marker (checked above), and with that marker `aiotestkit_strict` means that check only.
    """
    forbid_marked = item.get_closest_marker("forbid_get_event_loop") is not None
    strict = item.get_closest_marker("aiotestkit_strict") is not None
    explicit: dict[str, bool] = {}  # what the fail_on markers say, the closest winning
    for marker in reversed(list(item.iter_markers("aiotestkit_fail_on"))):
        explicit.update(marker.kwargs)
    # Decided on the merged result, so a test's own marker can switch off its module's.
    loop_checks = sorted(
        name
        for name, on in _checks(item).items()
        if on
        and not (forbid_marked and name == "forbidden_get_event_loop")
        and not (forbid_marked and strict and name not in explicit)
    )
    if not loop_checks:
        return
    what = (
        "@pytest.mark.aiotestkit_strict"
        if strict and not any(explicit.values())
        else f"@pytest.mark.aiotestkit_fail_on({', '.join(f'{n}=True' for n in loop_checks)})"
    )
    if isinstance(getattr(item, "instance", None), TestCase):
        hint = (
            "an aiotestkit TestCase checks its own loop: use aiotestkit_loopguard's @fail_on / "
            "@strict decorators on the class or method instead"
        )
    else:
        hint = (
            "run an async test with @pytest.mark.aiotestkit, give the test a loop fixture "
            "(fakeio_loop, clocked_loop), or, for a pytest-asyncio test, set "
            "`aiotestkit_asyncio_loop_factories = true`; to exempt this test from a module's or "
            "class's checks, mark it @pytest.mark.aiotestkit_fail_on(<check>=False, ...)"
        )
    pytest.fail(f"{what} has no aiotestkit loop to check in this test: {hint}", pytrace=False)


def _check_awaited(item: pytest.Item, cause: BaseException | None = None) -> None:
    """Fail *item* if its `advance` fixture made a call that was never awaited."""
    __tracebackhide__ = True
    unawaited = item.stash.get(_UNAWAITED, None)
    missed = unawaited.report() if unawaited is not None else None
    if missed is not None:
        # A failed assertion after a forgotten await (time did not move) has that cause.
        raise pytest.fail.Exception(missed, pytrace=False) from cause


def _keep_teardown_under_pdb(item: pytest.Item) -> TestCase | None:
    """Under `--pdb`, tell an aiotestkit TestCase to run its own tearDown; return the case.

    For a unittest test with a synchronous test method, `pytest --pdb` replaces `tearDown` on
    the instance by a no-op and calls the original itself after the debugger (so that the
    debugger sees the test's state). For an aiotestkit TestCase that would be too late: after
    the `fail_on` checks, the cleanups and the loop's closing, and an `async def tearDown`
    would never be awaited. The TestCase runs the real tearDown in its usual place instead.
    """
    case = getattr(item, "instance", None)
    if not isinstance(case, TestCase) or not item.config.getoption("usepdb"):
        return None
    case._aiotestkit_pytest_pdb = True
    return case


def _drop_postponed_teardown(item: pytest.Item, case: TestCase) -> None:
    """Drop the tearDown call pytest postponed for *case* (it ran already, or must not run).

    pytest keeps it in a private attribute of the item (see `_compat`). unittest runs tearDown
    only after a successful setUp, and then the TestCase has run it.
    """
    _compat.drop_postponed_teardown(item, case)


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def fakeio_loop(request: pytest.FixtureRequest) -> Iterator[asyncio.AbstractEventLoop]:
    """A fresh loop on fakeio's `TestSelector`, current during the test, closed afterwards.

    Checks from `aiotestkit_fail_on` / `aiotestkit_strict` markers run on it after the test.
    """
    if _run_by_pytest_asyncio(request.node):
        pytest.fail(_SECOND_LOOP.format(fixture="fakeio_loop"), pytrace=False)
    if _runs_itself(request.node):
        yield _ItemLoop.of(request.node).guard.loop  # the test's own loop
        return
    guard = _new_guard(request.node, new_fakeio_loop)
    yield guard.loop
    _finish(request.node, guard)


@pytest.fixture
def clocked_loop(request: pytest.FixtureRequest) -> Iterator[ClockedEventLoop]:
    """A fresh virtual-time `ClockedEventLoop`, current during the test, closed afterwards.

    `@pytest.mark.aiotestkit(autojump=True)` makes its clock jump whenever the loop is idle.
    Checks from `aiotestkit_fail_on` / `aiotestkit_strict` markers run on it after the test.
    """
    if _run_by_pytest_asyncio(request.node):
        pytest.fail(_SECOND_LOOP.format(fixture="clocked_loop"), pytrace=False)
    if _runs_itself(request.node):
        own = _ItemLoop.of(request.node).guard.loop  # the test's own loop
        if not isinstance(own, ClockedEventLoop):
            msg = "clocked_loop needs virtual time: remove clock=False from @pytest.mark.aiotestkit"
            pytest.fail(msg, pytrace=False)
        yield own
        return
    options = _loop_options(request.node)
    guard = _new_guard(request.node, _clocked_factory(options.autojump))
    loop = guard.loop
    assert isinstance(loop, ClockedEventLoop)
    yield loop
    _finish(request.node, guard)


@pytest.fixture
def advance(
    request: pytest.FixtureRequest,
) -> Iterator[Callable[[float], Awaitable[None]]]:
    """Move a virtual clock forward, running every callback due on the way.

    Inside a coroutine, `await advance(5)` advances the running loop, which must be a
    `ClockedEventLoop` (`@pytest.mark.aiotestkit(clock=True)`, or pytest-asyncio with
    `aiotestkit_asyncio_loop_factories = true`). In a synchronous test, `advance(5)` runs the
    `clocked_loop` fixture's loop until its clock has moved. A call inside a coroutine that is
    never awaited fails the test, naming the line.
    """
    unawaited: UnawaitedCalls = request.node.stash.setdefault(_UNAWAITED, UnawaitedCalls())

    def advance(seconds: float) -> Awaitable[None]:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None:
            if not isinstance(running, ClockedEventLoop):
                msg = (
                    f"advance() needs a virtual-time loop, but the test runs on {running!r}: "
                    "mark the test @pytest.mark.aiotestkit(clock=True), or with pytest-asyncio "
                    "set `aiotestkit_asyncio_loop_factories = true`"
                )
                raise TypeError(msg)
            return unawaited.add(AdvanceCall(running, seconds, "advance", caller()))
        loop: ClockedEventLoop = request.getfixturevalue("clocked_loop")
        loop.run_until_complete(loop.advance(seconds))
        return DONE

    yield advance
    missed = unawaited.report()  # a call made in a fixture's teardown
    if missed is not None:
        pytest.fail(missed, pytrace=False)


# -- pytest-asyncio integration (opt-in) -------------------------------------------------------


class _AsyncioLoopFactories:
    """pytest-asyncio's `pytest_asyncio_loop_factories` hook, registered only on request.

    The loop a factory makes while a test is being set up is remembered on that test: if
    pytest-asyncio runs the test on a loop of its own (function loop scope), the
    `aiotestkit_fail_on` / `aiotestkit_strict` checks run on it after the test.
    """

    def __init__(self) -> None:
        self._setting_up: list[pytest.Item] = []

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Iterator[None]:
        self._setting_up.append(item)
        try:
            return (yield)
        finally:
            self._setting_up.pop()

    def pytest_asyncio_loop_factories(
        self, config: pytest.Config, item: pytest.Item
    ) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
        # The same choice as for a test aiotestkit runs itself (an explicit clock wins).
        try:
            options = _loop_options(item)
        except pytest.UsageError:
            # pytest-asyncio asks while collecting the module: an error here would fail the
            # collection of every test in it. The setup-time check reports it for this test.
            return {"aiotestkit_fakeio": self._recorded(new_fakeio_loop)}
        if _wants_clock(item, options):
            return {"aiotestkit_clocked": self._recorded(_clocked_factory(options.autojump))}
        return {"aiotestkit_fakeio": self._recorded(new_fakeio_loop)}

    def _recorded(
        self, factory: Callable[[], asyncio.AbstractEventLoop]
    ) -> Callable[[], asyncio.AbstractEventLoop]:
        def create() -> asyncio.AbstractEventLoop:
            loop = factory()
            if self._setting_up and _function_loop_scope(self._setting_up[-1]):
                self._setting_up[-1].stash[_ASYNCIO_LOOP] = loop
            return loop

        create.__name__ = create.__qualname__ = getattr(factory, "__name__", "aiotestkit_loop")
        return create


def _function_loop_scope(item: pytest.Item) -> bool:
    """Tell whether pytest-asyncio gives *item* a loop of its own (loop scope "function")."""
    marker = item.get_closest_marker("asyncio")
    scope = None
    if marker is not None:
        scope = marker.kwargs.get("loop_scope") or marker.kwargs.get("scope")
    if scope is None:
        try:
            scope = item.config.getini("asyncio_default_test_loop_scope")
        except ValueError:  # pytest-asyncio < 1.1 has no such option: function scope
            scope = "function"
    return scope in (None, "function")
