"""TestCase under `pytest --pdb`: pytest postpones unittest's tearDown; aiotestkit's still runs
on the test's loop, in its usual place.

pytest (`_pytest/unittest.py`) replaces `tearDown` on the instance of a unittest test with a
synchronous test method when `--pdb` is given, and calls the original itself after the
debugger: an `async def tearDown` would then only be called, never awaited, after the loop is
closed and the leak checks and cleanups have run.
"""

from __future__ import annotations

import pytest

FAST = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider", "-p", "no:randomly")

# A debugger that never prompts: it records that the post-mortem was entered.
FAKE_PDB = """
import pdb


class FakePdb(pdb.Pdb):
    def interaction(self, frame, traceback):
        from test_cases import LOG

        LOG.append("pdb")
"""

CASES = """
import asyncio

import aiotestkit_testcase as atk
from aiotestkit_loopguard import fail_on

LOG = []
KEEP = []


class TestAsyncMethod(atk.TestCase):  # pytest postpones nothing for a coroutine test method
    async def test_async(self):
        LOG.append("async test")

    async def tearDown(self):
        await asyncio.sleep(0)
        LOG.append("its tearDown")


class TestAsyncTearDown(atk.TestCase):
    def test_sync(self):
        LOG.append("test")
        self.addCleanup(LOG.append, "cleanup")

    async def tearDown(self):
        await asyncio.sleep(0)
        LOG.append("tearDown on the loop" if asyncio.get_running_loop() is self.loop else "?")


class TestTearDownStopsWhatTheTestStarted(atk.TestCase):
    @fail_on(leftover_tasks=True)
    def test_starts_a_task(self):
        self.task = self.loop.create_task(asyncio.Event().wait())
        KEEP.append(self.task)

    async def tearDown(self):
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        LOG.append("task stopped")


class TestSyncTearDownUsesTheLoop(atk.ClockedTestCase):
    def test_sync(self):
        self.fired = []
        self.loop.call_later(5, self.fired.append, True)

    def tearDown(self):
        self.advance(5)
        LOG.append(f"sync tearDown fired={self.fired}")


class TestFailing(atk.TestCase):
    def test_fails(self):
        LOG.append("failing test")
        raise AssertionError("boom")

    async def tearDown(self):
        await asyncio.sleep(0)
        LOG.append("tearDown of the failing test")


class TestSetUpFails(atk.TestCase):
    async def setUp(self):
        raise RuntimeError("setUp failed")

    def test_never_runs(self):
        LOG.append("never")

    async def tearDown(self):
        LOG.append("tearDown after a failed setUp")


def test_zz_log():
    assert LOG == [
        "async test",
        "its tearDown",
        "test",
        "tearDown on the loop",
        "cleanup",
        "task stopped",
        "sync tearDown fired=[True]",
        "failing test",
        "tearDown of the failing test",
        "pdb",
        "pdb",  # setUp failed: no tearDown, as in unittest
    ], LOG
"""


def test_async_teardown_is_awaited_on_the_loop_under_pdb(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(fake_pdb=FAKE_PDB, test_cases=CASES)
    pytester.syspathinsert()
    result = pytester.runpytest_inprocess(*FAST, "--pdb", "--pdbcls=fake_pdb:FakePdb", "-v")
    result.assert_outcomes(passed=5, failed=2)
    result.stdout.fnmatch_lines(["*test_zz_log PASSED*"])
    assert "never awaited" not in result.stdout.str()
