"""Every private name of the standard library this package uses, in one place.

Checked on CPython 3.10, 3.11, 3.12 and 3.13 (run here) and 3.14 (Lib/unittest/case.py read):
`TestCase._cleanups` (a list of `(function, args, kwargs)`, popped from the end),
`TestCase._outcome` (the running `_Outcome`, None outside `run()`) and
`unittest.case._Outcome(result=None)` with `testPartExecutor(test_case)`, a context manager that
records an exception as an error of the test and swallows it. `TestCase.doCleanups()` itself is
written with exactly these names on all those versions.

From pytest (9.0, 9.1 and 9.2 read; 9.0 made subtests built in):
`_pytest.subtests.failed_subtests_key`, the config stash entry counting each test's failed
subtests. Its key is the item's `nodeid` string on 9.0 and 9.1, and on 9.2 the item's `id`
(a structured `NodeId`, a property documented as private, which 9.0 and 9.1 do not have). An
older pytest without it, or the separate pytest-subtests plugin, reports no failed subtest.
Also `TestCaseFunction._explicit_tearDown` (read in pytest 9.2's `_pytest/unittest.py`; the
same name since pytest 5): the tearDown that `pytest --pdb` postpones until after the debugger.
A pytest that renamed it would call tearDown a second time after the debugger
(tests/testcase/test_pytest_pdb.py catches that).

(The `_callSetUp`/`_callTestMethod`/`_callTearDown`/`_callCleanup` hooks that `TestCase`
overrides are the documented way of extending unittest's `run()`, as
`IsolatedAsyncioTestCase` does, and are not listed here.)
"""

from __future__ import annotations

import unittest
import unittest.case
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol


class Outcome(Protocol):
    """What `unittest.case._Outcome` offers that is used here."""

    success: bool

    def testPartExecutor(self, test_case: unittest.TestCase) -> AbstractContextManager[None]:
        """Run a part of the test, recording its exception on the test."""


def outcome_of(case: unittest.TestCase) -> Outcome:
    """The outcome of the running test, or a fresh one (as `TestCase.doCleanups()` does)."""
    outcome: Outcome | None = getattr(case, "_outcome", None)
    if outcome is None:
        outcome = unittest.case._Outcome()  # type: ignore[attr-defined]
    return outcome


def has_cleanups(case: unittest.TestCase) -> bool:
    """Tell whether *case* has cleanups left to run."""
    return bool(case._cleanups)  # type: ignore[attr-defined]


def pop_cleanup(
    case: unittest.TestCase,
) -> tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]] | None:
    """Remove and return the last cleanup added to *case*, or None if there is none left."""
    cleanups: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = case._cleanups  # type: ignore[attr-defined]
    return cleanups.pop() if cleanups else None


def failed_subtests(item: Any) -> int:
    """How many subtests of the pytest *item* failed so far (pytest >= 9's `subtests`), or 0."""
    try:
        from _pytest.subtests import failed_subtests_key  # pytest is optional here
    except ImportError:  # pragma: no cover - pytest < 9
        return 0
    counts: Any = item.config.stash.get(failed_subtests_key, None)
    if counts is None:  # pragma: no cover - pytest changed
        return 0
    # 9.2+: keyed by the structured `item.id`; 9.0 and 9.1: by the `item.nodeid` string.
    node_id: Any = getattr(item, "id", None) or item.nodeid
    return int(counts.get(node_id, 0))


def drop_postponed_teardown(item: Any, case: unittest.TestCase) -> None:
    """Drop the tearDown of *case* that `pytest --pdb` postponed on the pytest *item*, if any."""
    postponed = getattr(item, "_explicit_tearDown", None)
    if postponed is not None and getattr(postponed, "__self__", None) is case:
        item._explicit_tearDown = None
