"""Hypothesis `@given` on coroutine tests: every example runs on the test's loop."""

from __future__ import annotations

import asyncio
import contextvars
import itertools
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from hypothesis import Phase, example, given, settings
from hypothesis import strategies as st

import aiotestkit_testcase as atk

from .util import messages, run, run_class, summary

# Few examples, no example database written to the working directory, no real-time deadline
# (the cores are shared): these tests check the plumbing, not Hypothesis.
FEW = settings(max_examples=5, database=None, deadline=None, derandomize=True)

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


def test_each_example_is_awaited_on_the_tests_loop() -> None:
    seen: list[tuple[int, bool]] = []

    class Case(atk.TestCase):
        @FEW
        @given(st.integers(0, 10))
        @example(42)
        async def test_it(self, value: int) -> None:
            await asyncio.sleep(0)
            seen.append((value, asyncio.get_running_loop() is self.loop))

    assert summary(run_class(Case)) == {"run": 1}
    assert (42, True) in seen
    assert len(seen) >= 2
    assert all(on_loop for _, on_loop in seen)


def test_a_failing_example_is_shrunk_and_reported() -> None:
    class Case(atk.TestCase):
        @settings(max_examples=20, database=None, deadline=None, derandomize=True)
        @given(st.integers(0, 1000))
        async def test_small(self, value: int) -> None:
            await asyncio.sleep(0)
            assert value < 10, "too big"

    result = run_class(Case)
    assert summary(result) == {"run": 1, "failures": 1}
    assert "too big" in messages(result)
    assert "value=10" in messages(result)  # Hypothesis' smallest falsifying example


def test_examples_share_the_tests_context_and_lifecycle() -> None:
    log: list[str] = []

    class Case(atk.TestCase):
        async def asyncSetUp(self) -> None:
            VAR.set("from setUp")
            log.append("setUp")

        @FEW
        @given(st.booleans())
        async def test_it(self, value: bool) -> None:
            log.append(f"example sees {VAR.get()}")
            VAR.set("from an example")

        async def asyncTearDown(self) -> None:
            log.append(f"tearDown sees {VAR.get()}")

    assert summary(run_class(Case)) == {"run": 1}
    # setUp and tearDown run once per test, not per example (as for any unittest @given test).
    assert log[0] == "setUp"
    assert log[1] == "example sees from setUp"
    assert set(log[2:-1]) == {"example sees from an example"}
    assert log[-1] == "tearDown sees from an example"


def test_virtual_time_keeps_moving_forward_across_examples() -> None:
    windows: list[tuple[float, float]] = []

    class Case(atk.ClockedTestCase):
        @FEW
        @given(st.floats(0, 60))
        async def test_it(self, seconds: float) -> None:
            start = self.loop.time()
            task = asyncio.ensure_future(asyncio.sleep(seconds))
            await self.advance(seconds)
            assert task.done()
            assert self.loop.time() == start + seconds
            windows.append((start, self.loop.time()))

    assert summary(run_class(Case)) == {"run": 1}
    assert windows[0][0] == 0
    # Each example starts where the previous one left the clock: time never goes back.
    for (_, end), (start, _) in itertools.pairwise(windows):
        assert start == end


def test_autojump_examples() -> None:
    slept: list[float] = []

    class Case(atk.ClockedTestCase):
        autojump = True

        @FEW
        @given(st.integers(1, 3600))
        async def test_it(self, seconds: int) -> None:
            start = self.loop.time()
            await asyncio.sleep(seconds)
            slept.append(self.loop.time() - start)

    assert summary(run_class(Case)) == {"run": 1}
    assert slept
    assert all(duration >= 1 for duration in slept)


def test_the_watchdog_watches_each_example() -> None:
    class Case(atk.TestCase):
        watchdog = 0.05

        @settings(database=None, deadline=None, phases=[Phase.explicit])
        @given(st.booleans())
        @example(False)
        @example(True)
        async def test_it(self, hang: bool) -> None:
            if hang:
                await asyncio.Event().wait()

    result = run_class(Case)
    assert summary(result) == {"run": 1, "failures": 1}
    assert "watchdog of 0.05 s" in messages(result)
    assert "hang=True" in messages(result)


def test_function_test_case_with_given() -> None:
    values: list[int] = []

    @FEW
    @given(st.integers())
    async def check(value: int) -> None:
        await asyncio.sleep(0)
        values.append(value)

    assert summary(run(atk.FunctionTestCase(check))) == {"run": 1}
    assert values


def test_the_inner_test_is_restored_and_sync_given_tests_are_untouched() -> None:
    calls: list[int] = []

    class Case(atk.TestCase):
        @FEW
        @given(st.integers())
        async def test_async(self, value: int) -> None:
            calls.append(value)

        @FEW
        @given(st.integers())
        def test_sync(self, value: int) -> None:
            assert not self.loop.is_running()

    original = Case.test_async.hypothesis.inner_test  # type: ignore[attr-defined]
    assert summary(run_class(Case)) == {"run": 2}
    assert calls
    assert Case.test_async.hypothesis.inner_test is original  # type: ignore[attr-defined]


def test_a_class_with_its_own_execute_example_hook_keeps_it() -> None:
    executed: list[str] = []

    class Case(atk.TestCase):
        def execute_example(self, function: Callable[[], Any]) -> Any:
            # The recipe asynctest users wrote for Hypothesis.
            executed.append("hook")
            return self.loop.run_until_complete(function())

        @FEW
        @given(st.integers())
        async def test_it(self, value: int) -> None:
            await asyncio.sleep(0)

    assert summary(run_class(Case)) == {"run": 1}
    assert executed


def test_the_package_does_not_import_hypothesis() -> None:
    code = "import sys, aiotestkit_testcase; sys.exit('hypothesis' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_the_watchdog_does_not_add_up_the_examples() -> None:
    # The @given wrapper is a synchronous test method: the watchdog of a synchronous phase
    # must not count the examples, which run under their own, one at a time.
    class Case(atk.TestCase):
        watchdog = 0.1

        @settings(max_examples=40, database=None, deadline=None, derandomize=True)
        @given(st.integers())
        async def test_it(self, value: int) -> None:
            await asyncio.sleep(0.005)

    result = run_class(Case)
    assert summary(result) == {"run": 1}, messages(result)
