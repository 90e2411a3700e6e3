"""A test that deadlocks on a virtual-time loop fails once, and leaves a clean world behind."""

from __future__ import annotations

import asyncio
import contextvars
import unittest

from aiotestkit_clock import DeadlockError
from aiotestkit_testcase import ClockedTestCase

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


class Deadlocks(ClockedTestCase):
    __test__ = False  # run by the test below, which expects it to error
    autojump = True

    async def asyncSetUp(self) -> None:
        VAR.set("set in asyncSetUp")  # the leftover task shares the test's context

    async def test_waits_for_nothing(self) -> None:
        await asyncio.Event().wait()


def test_deadlock_is_one_error_and_teardown_cancels_the_task() -> None:
    result = unittest.TestResult()
    handler_calls: list[dict[str, object]] = []
    case = Deadlocks("test_waits_for_nothing")
    original = case._callSetUp

    def spy() -> None:
        original()
        case.loop.set_exception_handler(lambda _loop, ctx: handler_calls.append(ctx))

    case._callSetUp = spy  # type: ignore[method-assign]
    case.run(result)
    assert result.testsRun == 1
    assert len(result.errors) == 1, result.errors
    assert not result.failures
    assert "DeadlockError" in result.errors[0][1]
    assert "test_waits_for_nothing" in result.errors[0][1]
    assert handler_calls == [], handler_calls
    assert issubclass(DeadlockError, RuntimeError)
    # The next test gets a working loop of its own.
    follow = unittest.TestResult()

    class Next(ClockedTestCase):
        autojump = True

        async def test_sleeps(self) -> None:
            await asyncio.sleep(3600)

    Next("test_sleeps").run(follow)
    assert follow.wasSuccessful(), follow.errors
