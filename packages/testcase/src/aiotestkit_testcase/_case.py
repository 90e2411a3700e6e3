"""TestCase and FunctionTestCase: unittest test cases whose phases may be coroutines."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import math
import numbers
import unittest
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from aiotestkit_fakeio import new_fakeio_loop
from aiotestkit_loopguard import LoopGuard, resolve_checks

from . import _compat
from ._assertions import AsyncAssertionsMixin
from ._hypothesis import coroutine_inner_test, example_runner
from ._phases import PhaseRunner

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager
    from unittest.result import TestResult

__unittest = True

_T = TypeVar("_T")
_F = TypeVar("_F", bound=Callable[..., Any])

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def _class_attribute(case: unittest.TestCase, name: str) -> Any:
    """Read a class attribute without binding it: `loop_factory = my_function` stays a function."""
    if name in vars(case):
        return vars(case)[name]
    for klass in type(case).__mro__:
        if name in vars(klass):
            value = vars(klass)[name]
            return value.__func__ if isinstance(value, staticmethod) else value
    return None  # pragma: no cover - TestCase defines every attribute read this way


def flag_value(value: object, where: str, *, optional: bool = False) -> bool | None:
    """Return *value*, which must be a bool (or None if *optional*).

    Args:
        value: the setting's value.
        where: how the user wrote the setting, for the message.
        optional: whether None is allowed.

    Raises:
        TypeError: naming the setting and its value.
    """
    if isinstance(value, bool) or (optional and value is None):
        return value
    expected = "True, False or None" if optional else "True or False"
    msg = f"{where} must be {expected}, got {value!r}"
    raise TypeError(msg)


def seconds_value(
    value: object, where: str, *, zero: bool, meaning: str, int_or_float: bool = False
) -> float | None:
    """Return *value*: None or a finite number of real seconds, as a float.

    Args:
        value: the setting's value.
        where: how the user wrote the setting, for the messages.
        zero: whether 0 is allowed.
        meaning: what None means, for the messages.
        int_or_float: accept only an int or a float (what the clock's settings accept), not
            any `numbers.Real` (a Fraction, a Decimal...).

    Raises:
        TypeError: if the value is neither None nor a real number (naming it).
        ValueError: if it is negative (or 0 when not allowed), NaN or infinite.
    """
    if value is None:
        return None
    kinds = (int, float) if int_or_float else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kinds):
        number = "an int or float number" if int_or_float else "a number"
        msg = f"{where} must be {number} of seconds or None ({meaning}), got {value!r}"
        raise TypeError(msg)
    seconds = float(value)
    if not (math.isfinite(seconds) and (seconds >= 0 if zero else seconds > 0)):
        bound = ">= 0" if zero else "> 0"
        msg = (
            f"{where} must be a finite number of seconds {bound} or None ({meaning}), got {value!r}"
        )
        raise ValueError(msg)
    return seconds


def check_flag(case: unittest.TestCase, name: str, *, optional: bool = False) -> bool | None:
    """Return the class attribute *name* of *case*, which must be a bool (or None if optional).

    Raises:
        TypeError: naming the attribute and its value.
    """
    where = f"{type(case).__qualname__}.{name}"
    return flag_value(getattr(case, name), where, optional=optional)


def check_seconds(
    case: unittest.TestCase, name: str, *, zero: bool, meaning: str, int_or_float: bool = False
) -> float | None:
    """Return the class attribute *name* of *case*: None or a finite number of real seconds.

    Args:
        case: the test.
        name: the attribute.
        zero: whether 0 is allowed.
        meaning: what None means, for the messages.
        int_or_float: accept only an int or a float (see `seconds_value`).

    Raises:
        TypeError: if the value is neither None nor a real number (naming it).
        ValueError: if it is negative (or 0 when not allowed), NaN or infinite.
    """
    where = f"{type(case).__qualname__}.{name}"
    return seconds_value(
        getattr(case, name), where, zero=zero, meaning=meaning, int_or_float=int_or_float
    )


class TestCase(AsyncAssertionsMixin, unittest.TestCase):
    """A `unittest.TestCase` whose test methods, setUp, tearDown and cleanups may be coroutines.

    Every test gets a fresh event loop, `self.loop`, created just before `setUp` and closed after
    the last cleanup. The loop is built by `loop_factory` (default: a selector loop with
    aiotestkit-fakeio's test selector, so socket and file mocks work in every test) and is the
    current loop of the thread while the test runs, unless `forbid_get_event_loop` is set.

    Both conventions are supported and may be mixed in one class:

    - asynctest style: `async def setUp()`, `async def tearDown()`, `addCleanup(coroutine_fn)`;
    - stdlib style: `asyncSetUp()`, `asyncTearDown()`, `addAsyncCleanup()`,
      `enterAsyncContext()`.

    A test runs in this order (the order of `unittest.IsolatedAsyncioTestCase`):

    1. the loop is created;
    2. `setUp` (sync or async), then `asyncSetUp`;
    3. the test method (sync or async);
    4. `asyncTearDown`, then `tearDown` (sync or async);
    5. the `fail_on` checks enabled for the test (only if the test itself passed);
    6. the cleanups, last added first (sync or async);
    7. the loop is closed like `asyncio.Runner.close()`: leftover tasks are cancelled (an
       exception one of them raises meanwhile goes to the loop's exception handler, which logs
       it, as with the Runner), async generators and the default executor are shut down, and
       the previous current loop is restored.

    All these phases share one `contextvars.Context`: a variable set in `setUp` is seen by the
    test, `tearDown` and the cleanups (see the package README for 3.10).

    Class attributes:
        loop_factory: a zero-argument callable returning the test's new loop, or None for the
            default. Use `asyncio.SelectorEventLoop`, `uvloop.new_event_loop`, ... to test on
            another loop (fakeio's mocks need a loop built on its `TestSelector`).
        use_default_loop: passed to `aiotestkit_loopguard.LoopGuard`.
        forbid_get_event_loop: make `asyncio.get_event_loop()` outside the loop fail the test.
        loop_debug: asyncio debug mode for the loop; None (default) follows the environment
            (`PYTHONASYNCIODEBUG`, `-X dev`) instead of forcing it on as the stdlib does.
        watchdog: real seconds after which a phase running on the loop (the test, setUp, a
            cleanup, ...) is cancelled and the test fails with a listing of the pending tasks
            (a synchronous phase running the loop itself gets the loop stopped); None
            (default) waits forever.
    """

    loop_factory: ClassVar[LoopFactory | None] = None
    use_default_loop: ClassVar[bool] = False
    forbid_get_event_loop: ClassVar[bool] = False
    loop_debug: ClassVar[bool | None] = None
    watchdog: ClassVar[float | None] = None

    loop: asyncio.AbstractEventLoop
    """The test's event loop, from the start of setUp to the end of the cleanups."""

    # Per-test state. Class-level defaults rather than an __init__ keep the constructor
    # cooperative (FunctionTestCase's differs) and cost nothing per test.
    _aiotestkit_guard: LoopGuard | None = None
    _aiotestkit_runner: PhaseRunner | None = None
    _aiotestkit_in_test: bool = False
    _aiotestkit_passed: bool = False
    _aiotestkit_pytest_pdb: bool = False
    """Set by the pytest plugin under `pytest --pdb`: see `_callTearDown`."""

    # -- the stdlib-style asynchronous hooks ----------------------------------------------------
    async def asyncSetUp(self) -> None:
        """Prepare the test on its loop; runs after `setUp`."""

    async def asyncTearDown(self) -> None:
        """Tear the test down on its loop; runs before `tearDown`."""

    def addAsyncCleanup(self, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Add a cleanup that is awaited on the test's loop (same as `addCleanup`)."""
        self.addCleanup(func, *args, **kwargs)

    async def enterAsyncContext(self, cm: AbstractAsyncContextManager[_T]) -> _T:
        """Enter the asynchronous context manager *cm*; exit it as a cleanup.

        Returns:
            The result of `cm.__aenter__()`.

        Raises:
            TypeError: if *cm* is not an asynchronous context manager.
        """
        cls = type(cm)
        try:
            enter = cls.__aenter__
            exit_ = cls.__aexit__
        except AttributeError:
            msg = (
                f"{cls.__module__}.{cls.__qualname__!r} object does not support the asynchronous "
                "context manager protocol"
            )
            if hasattr(cls, "__enter__"):
                msg += "; use enterContext() for a synchronous context manager"
            raise TypeError(msg) from None
        result: _T = await enter(cm)
        self.addAsyncCleanup(exit_, cm, None, None, None)
        return result

    # -- the loop -------------------------------------------------------------------------------

    def _aiotestkit_default_loop_factory(self) -> LoopFactory:
        """Return the factory used when `loop_factory` is None."""
        return new_fakeio_loop

    def _aiotestkit_test_function(self) -> Any:
        """Return the function whose `fail_on` decorations apply to this test."""
        return getattr(type(self), self._testMethodName, None)

    def _aiotestkit_check_settings(self) -> None:
        """Validate the class attributes configuring the test (a hook for subclasses).

        They are read when each test starts, so a wrong value is an error of the test.

        Raises:
            TypeError, ValueError: naming the attribute and its value.
        """
        check_flag(self, "use_default_loop")
        check_flag(self, "forbid_get_event_loop")
        check_flag(self, "loop_debug", optional=True)
        check_seconds(self, "watchdog", zero=False, meaning="no watchdog")

    def _aiotestkit_start(self) -> PhaseRunner:
        if self._aiotestkit_guard is not None:
            # Left open by a failing debug() whose caller never called doCleanups().
            self._aiotestkit_close_quietly()
        self._aiotestkit_check_settings()
        configured: object = _class_attribute(self, "loop_factory")
        factory: LoopFactory | None
        if configured is None:
            # use_default_loop adopts the thread's current loop: no factory is involved.
            factory = None if self.use_default_loop else self._aiotestkit_default_loop_factory()
        elif callable(configured):
            factory = cast("LoopFactory", configured)
        else:
            msg = f"loop_factory must be a callable returning a new event loop, got {configured!r}"
            raise TypeError(msg)
        guard = LoopGuard(
            factory,
            use_default_loop=self.use_default_loop,
            debug=self.loop_debug,
            forbid_get_event_loop=self.forbid_get_event_loop,
        )
        self._aiotestkit_guard = guard
        loop = guard.start()
        self._aiotestkit_check_loop(loop)
        self.loop = loop
        runner = PhaseRunner(loop, contextvars.copy_context(), self.watchdog, self.failureException)
        self._aiotestkit_runner = runner
        return runner

    def _aiotestkit_check_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Refuse a loop this test case cannot work with (a hook for subclasses)."""

    def _aiotestkit_close(self) -> None:
        guard = self._aiotestkit_guard
        if guard is None:
            return
        runner = self._aiotestkit_runner
        self._aiotestkit_guard = None
        self._aiotestkit_runner = None
        self.__dict__.pop("loop", None)
        if runner is None:
            guard.close()
        else:
            runner.teardown(guard.close)

    def _aiotestkit_close_quietly(self) -> None:
        # Used when an exception (KeyboardInterrupt, an error in debug()) already propagates:
        # restore the world without hiding that exception.
        with contextlib.suppress(Exception):
            self._aiotestkit_close()

    def _aiotestkit_call(self, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        runner = self._aiotestkit_runner
        if runner is not None:
            return runner.call(func, *args, **kwargs)
        # The loop could not be created, or is closed already: there is nothing to run on.
        result = func(*args, **kwargs)
        if inspect.isawaitable(result):
            # Never dropped silently (a lone "never awaited" warning): an error of the test.
            close = getattr(result, "close", None)
            if close is not None:
                close()
            msg = (
                f"{func!r} returned an awaitable, but the test's loop is closed (or could not "
                "be created): it was not run"
            )
            raise RuntimeError(msg)
        return result

    # -- unittest's hooks -----------------------------------------------------------------------
    # unittest.TestCase.run() calls these; they are identical on 3.10-3.14. run() itself is
    # never copied (it changed in 3.11 and 3.12).

    def _callSetUp(self) -> None:
        self._aiotestkit_passed = False
        runner = self._aiotestkit_start()
        cls = type(self)
        self._aiotestkit_in_test = True
        try:
            if cls.setUp is not unittest.TestCase.setUp:
                runner.call(self.setUp)
            if cls.asyncSetUp is not TestCase.asyncSetUp:
                runner.call(self.asyncSetUp)
        finally:
            self._aiotestkit_in_test = False
        guard = self._aiotestkit_guard
        if guard is not None:
            guard.begin_test()  # running the loop in setUp does not count for `unused_loop`

    def _callTestMethod(self, method: Callable[[], Any]) -> None:
        self._aiotestkit_in_test = True
        hypothesis = None
        runner = self._aiotestkit_runner
        if runner is not None and not hasattr(self, "execute_example"):
            # A Hypothesis @given coroutine test: each example runs on the loop. A class with
            # its own `execute_example` hook (the old asynctest recipe) runs them itself.
            hypothesis = coroutine_inner_test(self._aiotestkit_test_function())
        try:
            if hypothesis is None or runner is None:
                result = self._aiotestkit_call(method)
            else:
                handle, inner = hypothesis
                handle.inner_test = example_runner(inner, runner)
                try:
                    result = self._aiotestkit_call(method)
                finally:
                    handle.inner_test = inner
        finally:
            self._aiotestkit_in_test = False
        # Still successful: a failed subTest() is recorded without propagating out of the
        # method, and such a test is not also blamed for what it left behind.
        self._aiotestkit_passed = _compat.outcome_of(self).success
        if result is not None:
            warnings.warn(
                "It is deprecated to return a value that is not None from a test case "
                f"({method!r} returned {type(result).__name__})",
                DeprecationWarning,
                stacklevel=3,
            )

    def _callTearDown(self) -> None:
        cls = type(self)
        self._aiotestkit_in_test = True
        try:
            if cls.asyncTearDown is not TestCase.asyncTearDown:
                self._aiotestkit_call(self.asyncTearDown)
            if cls.tearDown is not unittest.TestCase.tearDown:
                tear_down: Callable[[], Any] = self.tearDown
                if self._aiotestkit_pytest_pdb and "tearDown" in vars(self):
                    # `pytest --pdb` put a no-op `tearDown` on this instance (for a synchronous
                    # test method) and calls the real one itself after the debugger: after the
                    # checks, the cleanups and the loop's closing, and without awaiting a
                    # coroutine. Run the real one here, on the loop, in its usual place; the
                    # plugin then drops pytest's postponed call.
                    tear_down = functools.partial(cls.tearDown, self)
                self._aiotestkit_call(tear_down)
        finally:
            self._aiotestkit_in_test = False
        guard = self._aiotestkit_guard
        if self._aiotestkit_passed and guard is not None:
            # After tearDown, before the cleanups (asynctest's order): a test that passed but
            # left work behind fails here. A failed test is not also blamed for its leftovers.
            # A forbidden get_event_loop() call the code swallowed fails the test only when the
            # `forbidden_get_event_loop` check is on (@strict, @fail_on): off by default, so an
            # asynctest test asserting the error with assertRaises keeps passing.
            checks = resolve_checks(type(self), self._aiotestkit_test_function())
            if any(checks.values()):
                guard.assert_clean(checks)

    def _callCleanup(self, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        if function == self._aiotestkit_close:
            # Closing runs the leftover tasks until they are cancelled; on 3.11+ they run in the
            # shared context, which a task cannot enter while a synchronous call holds it.
            function(*args, **kwargs)
            return
        self._aiotestkit_call(function, *args, **kwargs)

    def doCleanups(self) -> Any:
        """Run the cleanups, last added first; coroutine functions are awaited on the loop.

        A test may call it itself: from synchronous code (a sync test, `setUp`) it runs the
        cleanups at once; from a coroutine running on the test's loop it returns a coroutine,
        to be awaited (`await self.doCleanups()`, as in asynctest). Either way, a failing
        cleanup is reported as an error of the test and the other cleanups still run, as in
        unittest, and the result is True if none failed.

        When unittest calls it after `tearDown`, closing the test's loop comes last, as one
        more cleanup: tasks still pending are cancelled then, and if the closing itself fails
        (or the watchdog cuts it short) the test fails like with a failing cleanup.
        """
        guard = self._aiotestkit_guard
        runner = self._aiotestkit_runner
        if runner is not None and runner.loop.is_running():
            return self._aiotestkit_cleanups_on_loop()
        success: Any = super().doCleanups()  # typeshed says None; unittest returns a bool
        if self._aiotestkit_in_test or guard is None:
            return success  # called by the test itself: the loop stays open
        self.addCleanup(self._aiotestkit_close)
        return bool(super().doCleanups()) and success

    async def _aiotestkit_cleanups_on_loop(self) -> bool:
        # The same as unittest's doCleanups(), but in the calling task: the loop is running.
        outcome = _compat.outcome_of(self)
        while (cleanup := _compat.pop_cleanup(self)) is not None:
            function, args, kwargs = cleanup
            with outcome.testPartExecutor(self):
                result = function(*args, **kwargs)
                if inspect.isawaitable(result):
                    await result
        return outcome.success

    def run(self, result: TestResult | None = None) -> TestResult | None:
        """Run the test like `unittest.TestCase.run`, on a fresh event loop."""
        try:
            return super().run(result)
        finally:
            # Normally closed by doCleanups(); still open if an exception that unittest does not
            # catch (KeyboardInterrupt) escaped from a phase.
            if self._aiotestkit_guard is not None:
                self._aiotestkit_close_quietly()

    def debug(self) -> None:
        """Run the test without a result, letting exceptions propagate (unittest semantics).

        If the test passes, its cleanups run and the loop is closed. If it fails, unittest
        leaves the cleanups to the caller, who calls `doCleanups()`: the loop then stays open
        (and current) until `doCleanups()` has run them on it and closes it, as with
        `IsolatedAsyncioTestCase`. Without cleanups left, the loop is closed at once.
        """
        try:
            super().debug()
        except BaseException:
            if self._aiotestkit_runner is None or not _compat.has_cleanups(self):
                self._aiotestkit_close_quietly()
            raise
        self._aiotestkit_close()


class _InstanceOnly:
    """A method that exists on instances only: reading it from the class raises AttributeError.

    unittest's loader builds `cls("runTest")` from any TestCase class that has no `test*`
    methods but `hasattr(cls, "runTest")`, and pytest does the same. It skips the stdlib's own
    `FunctionTestCase` by identity, not a subclass such as ours: imported into a test module
    (`from aiotestkit import *`), it would be built with the *string* "runTest" as its test
    function and crash the run. Hidden on the class, `runTest` is still found on an instance,
    where `unittest.TestCase.__init__` and `run()` look it up.
    """

    __slots__ = ("__wrapped__",)

    def __init__(self, function: Callable[..., Any]) -> None:
        self.__wrapped__ = function

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        if instance is None:
            name = getattr(owner, "__qualname__", "FunctionTestCase")
            msg = (
                f"{name}.runTest exists only on instances: a FunctionTestCase is built from a "
                "test function, never collected from a test module"
            )
            raise AttributeError(msg)
        return self.__wrapped__.__get__(instance, owner)


def _instance_only(function: _F) -> _F:
    return cast("_F", _InstanceOnly(function))


class FunctionTestCase(TestCase, unittest.FunctionTestCase):
    """A test case wrapping a test function; coroutine functions are awaited on the test's loop.

    Args:
        testFunc: the test, a plain or `async def` function without arguments.
        setUp: an optional plain or `async def` function run before it.
        tearDown: an optional plain or `async def` function run after it.
        description: the test's description (default: the function's docstring).

    `fail_on`/`strict`/`lenient` decorations of *testFunc* apply.

    Neither unittest's loader nor pytest collects this class or its subclasses from a test
    module that imports them: a FunctionTestCase is built by hand from a function (for a
    `load_tests` function or a suite), never from a method name.
    """

    __test__ = False  # pytest: not a test class (inherited: a subclass is built the same way)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A subclass's own runTest stays invisible to the loaders too.
        own = vars(cls).get("runTest")
        if own is not None and not isinstance(own, _InstanceOnly):
            cls.runTest = _instance_only(own)  # type: ignore[method-assign]

    def __init__(
        self,
        testFunc: Callable[[], object],
        setUp: Callable[[], object] | None = None,
        tearDown: Callable[[], object] | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(testFunc, setUp, tearDown, description)
        self._aiotestkit_func = testFunc
        self._aiotestkit_set_up = setUp
        self._aiotestkit_tear_down = tearDown

    def _aiotestkit_test_function(self) -> Any:
        return self._aiotestkit_func

    def setUp(self) -> Any:
        """Call the setUp function; its awaitable, if any, is awaited."""
        if self._aiotestkit_set_up is not None:
            return self._aiotestkit_set_up()
        return None

    def tearDown(self) -> Any:
        """Call the tearDown function; its awaitable, if any, is awaited."""
        if self._aiotestkit_tear_down is not None:
            return self._aiotestkit_tear_down()
        return None

    @_instance_only
    def runTest(self) -> Any:
        """Call the test function; its awaitable, if any, is awaited."""
        result = self._aiotestkit_func()
        # Only an awaitable is handed back: like unittest's, other return values are ignored.
        return result if hasattr(result, "__await__") else None
