"""The pytest plugin of aiotestkit (entry point `pytest11`): fixtures and markers.

Nothing changes for a suite that uses none of it: the plugin only registers its markers,
fixtures and an ini option. What it offers:

- `@pytest.mark.aiotestkit(clock=False, autojump=False, watchdog=None)`: run an `async def`
  test on a fresh aiotestkit loop (fakeio's selector; with `clock=True` a virtual-time
  `ClockedEventLoop`). Works without pytest-asyncio; in pytest-asyncio's strict mode (its
  default) the two never claim the same test.
- fixtures `fakeio_loop` and `clocked_loop` (a fresh loop, current for the test, closed like
  `asyncio.Runner.close()` afterwards) and `advance` (`await advance(5)` inside the test's
  running virtual-time loop; `advance(5)` in a synchronous test drives `clocked_loop`).
- `@pytest.mark.aiotestkit_fail_on(**checks)` and `@pytest.mark.aiotestkit_strict`: leak checks
  (aiotestkit-loopguard's) on the loops above, after the test and before the loop is closed.
- `@pytest.mark.forbid_get_event_loop`: `asyncio.get_event_loop()` outside a running loop fails.
- ini option `aiotestkit_asyncio_loop_factories = true`: pytest-asyncio (1.4+) runs its tests
  on aiotestkit loops through its `pytest_asyncio_loop_factories` hook: a virtual-time loop for
  tests that use `advance` or `@pytest.mark.aiotestkit(clock=True)`, a fakeio loop otherwise.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

import pytest

from aiotestkit_clock import ClockedEventLoop
from aiotestkit_fakeio import TestSelector, new_fakeio_loop
from aiotestkit_loopguard import LoopGuard, fail_on, forbid_get_event_loop, known_checks

from ._phases import DONE, PhaseRunner

_PASSED = pytest.StashKey[bool]()
_GUARDS = pytest.StashKey[list[LoopGuard]]()

_MARKERS = (
    "aiotestkit(clock=False, autojump=False, watchdog=None): run this async def test on a "
    "fresh aiotestkit loop (fake I/O selector; clock=True: virtual time, autojump=True: the "
    "clock jumps whenever the loop is idle; watchdog: real seconds before a hanging test fails)",
    "aiotestkit_fail_on(**checks): fail the test if the aiotestkit-loopguard checks named "
    "(e.g. leftover_tasks=True) find leaks on the aiotestkit loop",
    "aiotestkit_strict: enable every aiotestkit-loopguard check on the aiotestkit loop",
    "forbid_get_event_loop: make asyncio.get_event_loop() outside a running loop fail the test",
)

_CLAIMED_TWICE = (
    "this test is marked @pytest.mark.aiotestkit but another plugin (pytest-asyncio in auto "
    "mode?) runs it. Remove the marker and set `aiotestkit_asyncio_loop_factories = true` in "
    "the pytest configuration to run pytest-asyncio's tests on aiotestkit loops, or use "
    "pytest-asyncio's strict mode"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the `aiotestkit_asyncio_loop_factories` ini option."""
    parser.addini(
        "aiotestkit_asyncio_loop_factories",
        "run pytest-asyncio (>= 1.4) tests on aiotestkit loops: virtual time for tests using "
        "the advance fixture or @pytest.mark.aiotestkit(clock=True), fake I/O otherwise",
        type="bool",
        default=False,
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers, and the pytest-asyncio loop factories when asked to."""
    for marker in _MARKERS:
        config.addinivalue_line("markers", marker)
    if config.getini("aiotestkit_asyncio_loop_factories"):
        if not config.pluginmanager.hasplugin("asyncio"):
            msg = "aiotestkit_asyncio_loop_factories = true needs pytest-asyncio >= 1.4"
            raise pytest.UsageError(msg)
        config.pluginmanager.register(_AsyncioLoopFactories(), "aiotestkit-asyncio-factories")


# -- options read from markers -----------------------------------------------------------------


def _loop_options(item: pytest.Item) -> dict[str, Any]:
    marker = item.get_closest_marker("aiotestkit")
    options = dict(marker.kwargs) if marker is not None else {}
    unknown = set(options) - {"clock", "autojump", "watchdog"}
    if marker is not None and (unknown or marker.args):
        msg = (
            f"{item.nodeid}: @pytest.mark.aiotestkit takes only the keyword arguments clock, "
            f"autojump and watchdog, got {marker.args!r} {sorted(unknown)!r}"
        )
        raise pytest.UsageError(msg)
    return options


def _checks(item: pytest.Item) -> dict[str, bool]:
    checks = known_checks()
    if item.get_closest_marker("aiotestkit_strict") is not None:
        checks = dict.fromkeys(checks, True)
    # Closest marker last so that it wins (a test's marker over its class's or module's).
    for marker in reversed(list(item.iter_markers("aiotestkit_fail_on"))):
        try:
            fail_on(**marker.kwargs)  # validates the names and values
        except TypeError as exc:
            raise pytest.UsageError(f"{item.nodeid}: {exc}") from None
        checks.update(marker.kwargs)
    return checks


def _clocked_factory(autojump: bool) -> Callable[[], ClockedEventLoop]:
    def clocked_loop() -> ClockedEventLoop:
        return ClockedEventLoop(selector=TestSelector(), autojump=autojump)

    return clocked_loop


def _new_guard(item: pytest.Item, factory: Callable[[], asyncio.AbstractEventLoop]) -> LoopGuard:
    guard = LoopGuard(
        factory, forbid_get_event_loop=item.get_closest_marker("forbid_get_event_loop") is not None
    )
    guard.start()
    item.stash.setdefault(_GUARDS, []).append(guard)
    return guard


def _finish(item: pytest.Item, guard: LoopGuard) -> None:
    """Check (if the test passed) and close *guard*; the checks' failure fails the test."""
    try:
        if item.stash.get(_PASSED, False):
            checks = _checks(item)
            if any(checks.values()):
                guard.assert_clean(checks)
    finally:
        guard.close()
        guards = item.stash.get(_GUARDS, [])
        if guard in guards:
            guards.remove(guard)


# -- running @pytest.mark.aiotestkit tests -----------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run an `async def` test marked `aiotestkit` on a fresh aiotestkit loop."""
    if pyfuncitem.get_closest_marker("aiotestkit") is None:
        return None
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        # pytest-asyncio replaces the test by a synchronous wrapper (functools.wraps) that runs
        # it on its own loop: two plugins would then want to run the same test.
        if inspect.iscoroutinefunction(inspect.unwrap(pyfuncitem.obj)):
            pytest.fail(_CLAIMED_TWICE, pytrace=False)
        return None  # a synchronous test: the marker only configures the loop fixtures
    options = _loop_options(pyfuncitem)
    if options.get("clock"):
        factory: Callable[[], asyncio.AbstractEventLoop] = _clocked_factory(
            bool(options.get("autojump"))
        )
    else:
        factory = new_fakeio_loop
    # A loop fixture the test also requested (clocked_loop, via `advance`) is the test's loop.
    loop = pyfuncitem.funcargs.get("clocked_loop") or pyfuncitem.funcargs.get("fakeio_loop")
    guard = None if isinstance(loop, asyncio.AbstractEventLoop) else _new_guard(pyfuncitem, factory)
    if guard is not None:
        loop = guard.loop
    assert isinstance(loop, asyncio.AbstractEventLoop)
    runner = PhaseRunner(
        loop, contextvars.copy_context(), options.get("watchdog"), pytest.fail.Exception
    )
    parameters = inspect.signature(pyfuncitem.obj).parameters
    kwargs = {name: pyfuncitem.funcargs[name] for name in parameters if name in pyfuncitem.funcargs}
    try:
        runner.call(pyfuncitem.obj, **kwargs)
        pyfuncitem.stash[_PASSED] = True
    finally:
        if guard is not None:
            _finish(pyfuncitem, guard)
    return True


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Apply `forbid_get_event_loop` and note whether the test itself passed."""
    item.stash[_PASSED] = False
    if item.get_closest_marker("forbid_get_event_loop") is None or item.stash.get(_GUARDS, None):
        yield  # a guard already forbids (or nothing to do)
    else:
        with forbid_get_event_loop():
            yield
    item.stash[_PASSED] = True


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def fakeio_loop(request: pytest.FixtureRequest) -> Iterator[asyncio.AbstractEventLoop]:
    """A fresh loop on fakeio's `TestSelector`, current during the test, closed afterwards.

    Checks from `aiotestkit_fail_on` / `aiotestkit_strict` markers run on it after the test.
    """
    guard = _new_guard(request.node, new_fakeio_loop)
    yield guard.loop
    _finish(request.node, guard)


@pytest.fixture
def clocked_loop(request: pytest.FixtureRequest) -> Iterator[ClockedEventLoop]:
    """A fresh virtual-time `ClockedEventLoop`, current during the test, closed afterwards.

    `@pytest.mark.aiotestkit(autojump=True)` makes its clock jump whenever the loop is idle.
    Checks from `aiotestkit_fail_on` / `aiotestkit_strict` markers run on it after the test.
    """
    options = _loop_options(request.node)
    guard = _new_guard(request.node, _clocked_factory(bool(options.get("autojump"))))
    loop = guard.loop
    assert isinstance(loop, ClockedEventLoop)
    yield loop
    _finish(request.node, guard)


@pytest.fixture
def advance(request: pytest.FixtureRequest) -> Callable[[float], Awaitable[None]]:
    """Move a virtual clock forward, running every callback due on the way.

    Inside a coroutine, `await advance(5)` advances the running loop, which must be a
    `ClockedEventLoop` (`@pytest.mark.aiotestkit(clock=True)`, or pytest-asyncio with
    `aiotestkit_asyncio_loop_factories = true`). In a synchronous test, `advance(5)` runs the
    `clocked_loop` fixture's loop until its clock has moved.
    """

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
            return running.advance(seconds)
        loop: ClockedEventLoop = request.getfixturevalue("clocked_loop")
        loop.run_until_complete(loop.advance(seconds))
        return DONE

    return advance


# -- pytest-asyncio integration (opt-in) -------------------------------------------------------


class _AsyncioLoopFactories:
    """pytest-asyncio's `pytest_asyncio_loop_factories` hook, registered only on request."""

    @staticmethod
    def pytest_asyncio_loop_factories(
        config: pytest.Config, item: pytest.Item
    ) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
        options = _loop_options(item)
        wants_clock = options.get("clock") or "advance" in getattr(item, "fixturenames", ())
        if wants_clock:
            return {"aiotestkit_clocked": _clocked_factory(bool(options.get("autojump")))}
        return {"aiotestkit_fakeio": new_fakeio_loop}
