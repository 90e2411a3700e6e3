"""Hypothesis `@given` on coroutine tests: each example runs on the test's loop.

Hypothesis calls a `@given` test once per example from synchronous code and expects it to
return None; an `async def` test would only give it a coroutine (Hypothesis refuses those
unless told how to run them). Hypothesis documents the way to plug in: the decorated function
has a `hypothesis` attribute whose `inner_test` is the user's function, looked up each time the
test runs, and a plugin may replace it, e.g. with a synchronous function running the coroutine.

For the duration of one test, `examples_on_loop()` replaces `inner_test` by a function that
runs each example's coroutine to completion as one task of the test's loop (in the test's
context, under its watchdog) and puts the original back afterwards. Hypothesis is never
imported: the attribute is only looked for on the test function.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from ._phases import PhaseRunner

__unittest = True


def coroutine_inner_test(test_function: object) -> tuple[Any, Callable[..., Any]] | None:
    """Return Hypothesis' handle of *test_function* and its coroutine test, or None.

    None unless *test_function* is decorated with Hypothesis' `@given` around an `async def`
    function.
    """
    handle = getattr(test_function, "hypothesis", None)
    inner = getattr(handle, "inner_test", None)
    if inner is None or not inspect.iscoroutinefunction(inner):
        return None
    return handle, inner


def example_runner(inner: Callable[..., Any], runner: PhaseRunner) -> Callable[..., Any]:
    """Wrap the coroutine function *inner*: each call runs its coroutine on *runner*'s loop."""

    @functools.wraps(inner)
    def run_example(*args: Any, **kwargs: Any) -> Any:
        return runner.run(inner(*args, **kwargs))

    return run_example
