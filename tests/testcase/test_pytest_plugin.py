"""The pytest plugin, run in-process with pytester (few runs, each covering many cases)."""

from __future__ import annotations

import pytest

INI = """
[pytest]
asyncio_default_fixture_loop_scope = function
{extra}
"""

STANDALONE = """
import asyncio
import time

import pytest
from aiotestkit_fakeio import SocketMock, set_read_ready

# Leaked tasks are kept referenced: a task waiting on an Event is a cycle gc may collect.
KEEP = []


@pytest.mark.aiotestkit
async def test_fakeio_loop_by_default():
    sock = SocketMock()
    ready = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(sock, ready.set)
    set_read_ready(sock, loop)
    await asyncio.wait_for(ready.wait(), 1)
    loop.remove_reader(sock)


@pytest.mark.aiotestkit(clock=True)
async def test_virtual_clock(advance):
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(asyncio.sleep(10, "woke"))
    await advance(10)
    assert loop.time() == 10
    assert await task == "woke"


@pytest.mark.aiotestkit(clock=True, autojump=True)
async def test_autojump():
    start = time.monotonic()
    await asyncio.sleep(3600)
    assert asyncio.get_running_loop().time() == 3600
    assert time.monotonic() - start < 1


def test_sync_advance(clocked_loop, advance):
    fired = []
    clocked_loop.call_later(5, fired.append, True)
    advance(5)
    assert fired == [True]
    assert asyncio.get_event_loop() is clocked_loop


def test_fakeio_loop_fixture(fakeio_loop):
    assert fakeio_loop.run_until_complete(asyncio.sleep(0, "ran")) == "ran"


@pytest.mark.aiotestkit
@pytest.mark.aiotestkit_fail_on(leftover_tasks=True)
async def test_leaks_a_task():
    KEEP.append(asyncio.ensure_future(asyncio.Event().wait()))


@pytest.mark.aiotestkit_strict
def test_leaks_a_timer(clocked_loop):
    clocked_loop.call_later(5, print)


@pytest.mark.aiotestkit_fail_on(leftover_tasks=True)
@pytest.mark.aiotestkit
async def test_failing_test_is_not_also_blamed_for_leaks():
    KEEP.append(asyncio.ensure_future(asyncio.Event().wait()))
    assert False, "the real problem"


@pytest.mark.forbid_get_event_loop
def test_forbidden():
    with pytest.raises(RuntimeError):
        asyncio.get_event_loop()


@pytest.mark.aiotestkit(watchdog=0.05)
async def test_hangs():
    await asyncio.Event().wait()


def test_advance_refuses_a_loop_without_clock(advance):
    async def inner():
        with pytest.raises(TypeError, match="needs a virtual-time loop"):
            advance(1)

    asyncio.run(inner())
"""

EXPECTED = {"passed": 8, "failed": 3, "errors": 1}  # a fixture's check fails its teardown


@pytest.mark.parametrize("asyncio_plugin", ["-p no:asyncio", "strict"])
def test_markers_and_fixtures(pytester: pytest.Pytester, asyncio_plugin: str) -> None:
    pytester.makeini(INI.format(extra=""))
    pytester.makepyfile(STANDALONE)
    args = ["-p", "no:randomly"] + (["-p", "no:asyncio"] if asyncio_plugin != "strict" else [])
    result = pytester.runpytest_inprocess(*args)
    result.assert_outcomes(**EXPECTED)
    result.stdout.fnmatch_lines_random(
        [
            "FAILED *::test_leaks_a_task*",
            "*leftover_tasks: task still running*",
            "ERROR *::test_leaks_a_timer*",
            "*active_handles: pending timer*",
            "FAILED *::test_failing_test_is_not_also_blamed_for_leaks*",
            "FAILED *::test_hangs*",
            "*watchdog of 0.05 s*",
        ]
    )
    assert result.stdout.str().count("leftover_tasks:") == 1


def test_the_marker_refuses_a_test_pytest_asyncio_runs(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(extra="asyncio_mode = auto"))
    pytester.makepyfile(
        """
        import asyncio
        import pytest

        @pytest.mark.aiotestkit
        async def test_claimed():
            pass

        async def test_untouched():
            # The plugin is inert for tests that do not use it: pytest-asyncio's usual loop.
            loop = asyncio.get_running_loop()
            assert type(loop).__module__.startswith("asyncio"), loop
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines_random(["*::test_untouched PASSED*"])
    result.stdout.fnmatch_lines(["*another plugin (pytest-asyncio in auto mode?) runs it*"])


def test_pytest_asyncio_loop_factories(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(extra="aiotestkit_asyncio_loop_factories = true"))
    pytester.makepyfile(
        """
        import asyncio

        import pytest
        from aiotestkit_clock import ClockedEventLoop
        from aiotestkit_fakeio import SocketMock, set_read_ready

        @pytest.mark.asyncio
        async def test_virtual_time(advance):
            loop = asyncio.get_running_loop()
            assert isinstance(loop, ClockedEventLoop)
            await advance(60)
            assert loop.time() == 60

        @pytest.mark.asyncio
        async def test_fake_io():
            loop = asyncio.get_running_loop()
            sock = SocketMock()
            ready = asyncio.Event()
            loop.add_reader(sock, ready.set)
            set_read_ready(sock, loop)
            await asyncio.wait_for(ready.wait(), 1)
            loop.remove_reader(sock)
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-v")
    result.assert_outcomes(passed=2)


TESTCASE_FILE = """
import asyncio
import unittest

import aiotestkit_testcase as atk


class Cases(atk.TestCase):
    async def asyncSetUp(self):
        self.value = await asyncio.sleep(0, 42)

    async def test_pass(self):
        self.assertEqual(self.value, 42)

    async def test_fail(self):
        self.assertEqual(self.value, 0)

    @unittest.skip("skipped")
    async def test_skip(self):
        pass

    @unittest.expectedFailure
    async def test_xfail(self):
        self.fail("expected")

    async def test_subtests(self):
        for i in range(2):
            with self.subTest(i=i):
                self.assertEqual(i, 0)


class Clocked(atk.ClockedTestCase):
    async def test_advance(self):
        await self.advance(5)
        self.assertEqual(self.loop.time(), 5)
"""


def test_testcase_subclasses_under_pytest_match_unittest(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(extra=""))
    pytester.makepyfile(test_cases=TESTCASE_FILE)
    result = pytester.runpytest_inprocess("-p", "randomly", "-p", "no:cacheprovider")
    assert_like_unittest(result)
    unittest_run = pytester.run(pytester._getpytestargs()[0], "-m", "unittest", "-q", "test_cases")
    unittest_run.stderr.fnmatch_lines(["FAILED (failures=2, skipped=1, expected failures=1)"])


def test_testcase_subclasses_under_xdist(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makeini(INI.format(extra=""))
    pytester.makepyfile(test_cases=TESTCASE_FILE)
    result = pytester.runpytest_inprocess("-n", "2", "-p", "no:randomly")
    assert_like_unittest(result)


def assert_like_unittest(result: pytest.RunResult) -> None:
    outcomes = result.parseoutcomes()
    # pytest >= 9 reports each failing subTest on its own (and the test itself as passed).
    assert outcomes.pop("passed") in (2, 3)
    assert outcomes == {"failed": 2, "skipped": 1, "xfailed": 1}, outcomes
    result.stdout.fnmatch_lines_random(["*test_fail*42 != 0*", "*test_subtests*1 != 0*"])
