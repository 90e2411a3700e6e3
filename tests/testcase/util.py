"""Helpers for the testcase tests: run unittest cases programmatically and read the outcome."""

from __future__ import annotations

import asyncio
import unittest
import warnings


def run(*cases: unittest.TestCase) -> unittest.TestResult:
    """Run *cases* in one suite, as `python -m unittest` would, and return the result."""
    result = unittest.TestResult()
    unittest.TestSuite(cases).run(result)
    return result


def run_class(cls: type[unittest.TestCase], *names: str) -> unittest.TestResult:
    """Run the tests *names* of *cls* (default: all of them)."""
    if not names:
        return run(*unittest.defaultTestLoader.loadTestsFromTestCase(cls))
    return run(*(cls(name) for name in names))


def summary(result: unittest.TestResult) -> dict[str, int]:
    """Count each kind of outcome, leaving out the kinds that did not happen."""
    counts = {
        "run": result.testsRun,
        "errors": len(result.errors),
        "failures": len(result.failures),
        "skipped": len(result.skipped),
        "expected_failures": len(result.expectedFailures),
        "unexpected_successes": len(result.unexpectedSuccesses),
    }
    return {key: value for key, value in counts.items() if value}


def messages(result: unittest.TestResult) -> str:
    """All the tracebacks of errors and failures, joined."""
    return "\n".join(text for _, text in result.errors + result.failures)


def current_loop() -> asyncio.AbstractEventLoop | None:
    """The thread's current loop as `asyncio.set_event_loop()` left it, or None.

    Reads it without side effects: `get_event_loop()` may create a loop or warn.
    """
    with warnings.catch_warnings():
        # 3.12/3.13 warn before creating a loop implicitly: make that an error instead.
        warnings.simplefilter("error", DeprecationWarning)
        try:
            return asyncio.get_event_loop()
        except (RuntimeError, DeprecationWarning):
            return None
