"""The pytest plugin, run in-process with pytester (few runs, each covering many cases)."""

from __future__ import annotations

import pytest

INI = """
[pytest]
asyncio_default_fixture_loop_scope = function
{extra}
"""

# Every in-process run re-imports what it imports (pytester restores sys.modules afterwards):
# hypothesis' plugin alone would cost a second per run and is irrelevant here.
FAST = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")

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


@pytest.mark.aiotestkit(clock=True)
async def test_advance_without_await(advance):
    advance(5)


def test_advance_refuses_a_loop_without_clock(advance):
    async def inner():
        with pytest.raises(TypeError, match="needs a virtual-time loop"):
            advance(1)

    asyncio.run(inner())
"""

EXPECTED = {"passed": 8, "failed": 4, "errors": 1}  # a fixture's check fails its teardown


@pytest.mark.parametrize("asyncio_plugin", ["-p no:asyncio", "strict"])
def test_markers_and_fixtures(pytester: pytest.Pytester, asyncio_plugin: str) -> None:
    pytester.makeini(INI.format(extra=""))
    pytester.makepyfile(STANDALONE)
    args = ["-p", "no:randomly"] + (["-p", "no:asyncio"] if asyncio_plugin != "strict" else [])
    result = pytester.runpytest_inprocess(*FAST, *args)
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
            "FAILED *::test_advance_without_await*",
            "*advance(5) at *test_markers_and_fixtures.py:*: write `await advance(5)`",
        ]
    )
    # The test that failed on its own is not blamed for its leaked task too. (pytest's summary
    # repeats whole messages when the CI variable is set, so count findings, not lines.)
    lines = result.stdout.lines
    findings = [line for line in lines if "leftover_tasks: task still running" in line]
    assert findings
    assert not [line for line in findings if "in test_failing_test_is_not_also_blamed" in line]


def test_pytest_asyncio_loop_factories(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(extra="aiotestkit_asyncio_loop_factories = true"))
    pytester.makepyfile(
        """
        import asyncio

        import pytest
        from aiotestkit_clock import ClockedEventLoop
        from aiotestkit_fakeio import SocketMock, set_read_ready

        KEEP = []

        @pytest.mark.asyncio
        async def test_virtual_time(advance):
            loop = asyncio.get_running_loop()
            assert isinstance(loop, ClockedEventLoop)
            await advance(60)
            assert loop.time() == 60

        @pytest.mark.asyncio
        @pytest.mark.aiotestkit(clock=True, autojump=True)
        async def test_marker_chooses_the_loop():
            await asyncio.sleep(3600)
            assert asyncio.get_running_loop().time() == 3600

        @pytest.mark.asyncio
        @pytest.mark.forbid_get_event_loop
        async def test_fake_io():
            loop = asyncio.get_event_loop()  # the running loop: allowed
            sock = SocketMock()
            ready = asyncio.Event()
            loop.add_reader(sock, ready.set)
            set_read_ready(sock, loop)
            await asyncio.wait_for(ready.wait(), 1)
            loop.remove_reader(sock)

        @pytest.mark.asyncio
        @pytest.mark.aiotestkit_fail_on(leftover_tasks=True)
        async def test_leak_on_pytest_asyncio_loop():
            KEEP.append(asyncio.ensure_future(asyncio.Event().wait()))

        @pytest.mark.asyncio(loop_scope="module")
        @pytest.mark.aiotestkit_fail_on(leftover_tasks=True)
        async def test_shared_loop_is_not_checked():
            KEEP.append(asyncio.ensure_future(asyncio.Event().wait()))

        @pytest.mark.asyncio
        async def test_second_loop_refused(clocked_loop):
            pass

        @pytest.mark.asyncio
        @pytest.mark.aiotestkit(watchdog=1)
        async def test_watchdog_refused():
            pass

        @pytest.mark.asyncio
        async def test_advance_without_await(advance):
            advance(5)

        @pytest.mark.asyncio
        @pytest.mark.aiotestkit(autojump=True)
        async def test_autojump_implies_the_clock():
            assert isinstance(asyncio.get_running_loop(), ClockedEventLoop)
            await asyncio.sleep(3600)
            assert asyncio.get_running_loop().time() == 3600

        @pytest.mark.asyncio
        @pytest.mark.aiotestkit(clock=False)
        async def test_clock_false_wins_over_advance(advance):
            assert not isinstance(asyncio.get_running_loop(), ClockedEventLoop)
        """
    )
    result = pytester.runpytest_inprocess(*FAST, "-p", "no:randomly", "-v")
    result.assert_outcomes(passed=6, failed=3, errors=1)
    result.stdout.fnmatch_lines_random(
        [
            "*::test_leak_on_pytest_asyncio_loop FAILED*",
            "*leftover_tasks: task still running*",
            "*::test_shared_loop_is_not_checked PASSED*",
            "*clocked_loop would be a second loop*",
            "*the watchdog of @pytest.mark.aiotestkit(watchdog=...) applies only*",
            "*::test_advance_without_await FAILED*",
            "*advance(5) at *:*: write `await advance(5)`",
        ]
    )


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
    result = pytester.runpytest_inprocess(*FAST, "-p", "randomly")
    result.stdout.fnmatch_lines(["Using --randomly-seed=*"])
    assert_like_unittest(result)
    unittest_run = pytester.run(pytester._getpytestargs()[0], "-m", "unittest", "-q", "test_cases")
    unittest_run.stderr.fnmatch_lines(["FAILED (failures=2, skipped=1, expected failures=1)"])


def test_testcase_subclasses_under_xdist(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makeini(INI.format(extra=""))
    pytester.makepyfile(test_cases=TESTCASE_FILE)
    # One worker is enough to prove the outcomes survive a worker process and its reports.
    result = pytester.runpytest_inprocess(*FAST, "-n", "1", "-p", "no:randomly")
    result.stdout.fnmatch_lines(["created: 1/1 worker*"])
    assert_like_unittest(result)


def assert_like_unittest(result: pytest.RunResult) -> None:
    outcomes = result.parseoutcomes()
    # pytest >= 9 reports each failing subTest on its own (and the test itself as passed).
    assert outcomes.pop("passed") in (2, 3)
    assert outcomes == {"failed": 2, "skipped": 1, "xfailed": 1}, outcomes
    result.stdout.fnmatch_lines_random(["*test_fail*42 != 0*", "*test_subtests*1 != 0*"])


def test_auto_mode_is_untouched(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(extra="asyncio_mode = auto"))
    pytester.makepyfile(
        test_cases=TESTCASE_FILE,
        test_auto="""
        import asyncio
        import pytest

        @pytest.mark.aiotestkit
        async def test_claimed():
            pass

        async def test_untouched():
            # The plugin is inert for tests that do not use it: pytest-asyncio's usual loop.
            loop = asyncio.get_running_loop()
            assert type(loop).__module__.startswith("asyncio"), loop
        """,
    )
    result = pytester.runpytest_inprocess(*FAST, "-p", "no:randomly", "-v", "test_auto.py")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines_random(["*::test_untouched PASSED*"])
    result.stdout.fnmatch_lines(
        ["*pytest-asyncio also runs it: its `asyncio_mode = auto` claims every async def test*"]
    )
    # TestCase classes are unittest's business: auto mode does not claim their coroutines.
    assert_like_unittest(pytester.runpytest_inprocess(*FAST, "-p", "no:randomly", "test_cases.py"))


def test_both_markers_in_strict_mode_say_which(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(extra="asyncio_mode = strict"))
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.asyncio
        @pytest.mark.aiotestkit
        async def test_both():
            pass
        """
    )
    result = pytester.runpytest_inprocess(*FAST, "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*has both @pytest.mark.aiotestkit and @pytest.mark.asyncio (pytest-asyncio)*"]
    )
    assert "auto" not in result.stdout.str()


ASYNC_FIXTURES = """
import asyncio
import contextlib
import contextvars

import pytest
import pytest_asyncio

VAR = contextvars.ContextVar("VAR")
LOG = []
KEEP = []


@pytest.fixture
async def server():
    loop = asyncio.get_running_loop()
    VAR.set("from fixture")
    task = asyncio.ensure_future(asyncio.Event().wait())
    yield loop, task
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    LOG.append(asyncio.get_running_loop() is loop)


@pytest.fixture
async def value():
    await asyncio.sleep(0)
    return 42


@pytest.mark.aiotestkit
@pytest.mark.aiotestkit_fail_on(leftover_tasks=True)
async def test_fixtures_on_the_test_loop(server, value):
    loop, task = server
    assert asyncio.get_running_loop() is loop
    assert value == 42
    assert VAR.get() == "from fixture"
    assert not task.done()


def test_teardown_ran_on_the_same_loop():
    assert LOG == [True]


@pytest.mark.aiotestkit
async def test_advance_implies_clock(advance):
    task = asyncio.ensure_future(asyncio.sleep(10))
    await advance(10)
    assert task.done()


@pytest.fixture
async def ticked(advance):
    await advance(5)
    return asyncio.get_running_loop().time()


@pytest.mark.aiotestkit
async def test_async_fixture_advances(ticked, clocked_loop):
    assert ticked == 5
    assert asyncio.get_running_loop() is clocked_loop


@pytest_asyncio.fixture
async def claimed_by_pytest_asyncio():
    return asyncio.get_running_loop()


@pytest.mark.aiotestkit
async def test_pytest_asyncio_fixture_runs_on_our_loop(claimed_by_pytest_asyncio):
    assert claimed_by_pytest_asyncio is asyncio.get_running_loop()


class TestInAClass:
    @pytest.fixture
    async def method_fixture(self):
        return self

    @pytest.mark.aiotestkit
    async def test_method(self, method_fixture):
        assert method_fixture is self


@pytest.mark.aiotestkit
@pytest.mark.aiotestkit_fail_on(leftover_tasks=True)
async def test_leak_is_checked_after_the_fixtures_teardown(value):
    KEEP.append(asyncio.ensure_future(asyncio.Event().wait()))
"""


@pytest.mark.parametrize("asyncio_plugin", ["-p no:asyncio", "strict"])
def test_async_fixtures_run_on_the_test_loop(
    pytester: pytest.Pytester, asyncio_plugin: str
) -> None:
    pytester.makeini(INI.format(extra=""))
    pytester.makepyfile(ASYNC_FIXTURES)
    args = ["-p", "no:randomly"] + (["-p", "no:asyncio"] if asyncio_plugin != "strict" else [])
    result = pytester.runpytest_inprocess(*FAST, *args, "-v")
    result.assert_outcomes(passed=7, errors=1)
    result.stdout.fnmatch_lines_random(
        [
            "*::test_leak_is_checked_after_the_fixtures_teardown ERROR*",
            "*leftover_tasks: task still running*",
        ]
    )


FORBID_FIXTURES = """
import asyncio

import pytest


@pytest.fixture
def legacy_setup():
    return asyncio.get_event_loop()


@pytest.fixture
def legacy_teardown():
    yield
    asyncio.get_event_loop()


@pytest.mark.forbid_get_event_loop
def test_fixture_setup_is_covered(legacy_setup):
    pass


@pytest.mark.forbid_get_event_loop
def test_fixture_teardown_is_covered(legacy_teardown):
    pass


@pytest.mark.forbid_get_event_loop
@pytest.mark.asyncio
async def test_pytest_asyncio_test():
    assert asyncio.get_event_loop() is asyncio.get_running_loop()


def test_nothing_is_forbidden_afterwards():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        assert asyncio.get_event_loop() is loop
    finally:
        asyncio.set_event_loop(None)
        loop.close()
"""


def test_forbid_marker_covers_fixture_setup_and_teardown(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(extra=""))
    pytester.makepyfile(test_forbid=FORBID_FIXTURES)
    result = pytester.runpytest_inprocess(*FAST, "-p", "no:randomly", "-v")
    result.assert_outcomes(passed=3, errors=2)
    result.stdout.fnmatch_lines_random(
        [
            "*::test_fixture_setup_is_covered ERROR*",
            "*::test_fixture_teardown_is_covered PASSED*",
            "*::test_fixture_teardown_is_covered ERROR*",
            "*GetEventLoopForbiddenError*test_forbid.py:8*",
            "*GetEventLoopForbiddenError*test_forbid.py:14*",
        ]
    )


CHECKS_WITHOUT_LOOP = """
import asyncio

import pytest

import aiotestkit_testcase
from aiotestkit_loopguard import known_checks


def swallow():
    try:
        asyncio.get_event_loop()
    except RuntimeError:
        pass


@pytest.fixture
def swallowing():
    swallow()


@pytest.fixture
def swallowing_teardown():
    yield
    swallow()


@pytest.mark.forbid_get_event_loop
@pytest.mark.aiotestkit_strict
def test_swallowed_in_a_fixture(swallowing):
    pass


@pytest.mark.forbid_get_event_loop
@pytest.mark.aiotestkit_fail_on(forbidden_get_event_loop=True)
def test_swallowed_in_the_test():
    swallow()


@pytest.mark.forbid_get_event_loop
@pytest.mark.aiotestkit_strict
def test_swallowed_in_a_fixture_teardown(swallowing_teardown):
    pass


@pytest.mark.forbid_get_event_loop
def test_swallowed_without_the_check():
    swallow()


@pytest.mark.aiotestkit_strict
@pytest.mark.forbid_get_event_loop
def test_strict_checks_only_the_forbid_marker_without_a_loop():
    pass


@pytest.mark.aiotestkit_strict
def test_strict_without_a_loop():
    pass


@pytest.mark.aiotestkit_fail_on(**dict.fromkeys(known_checks(), False))
@pytest.mark.aiotestkit_strict
def test_strict_switched_off_by_fail_on():
    pass


@pytest.mark.aiotestkit_fail_on(leftover_tasks=True)
@pytest.mark.forbid_get_event_loop
def test_loop_check_without_a_loop():
    pass


@pytest.mark.aiotestkit_strict
def test_strict_with_a_loop_fixture(fakeio_loop):
    fakeio_loop.run_until_complete(asyncio.sleep(0))


@pytest.mark.aiotestkit_strict
class TestCases(aiotestkit_testcase.TestCase):
    def test_it(self):
        pass
"""


def test_checks_without_an_aiotestkit_loop(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(extra=""))
    pytester.makepyfile(test_checks=CHECKS_WITHOUT_LOOP)
    result = pytester.runpytest_inprocess(*FAST, "-p", "no:randomly", "-v")
    result.assert_outcomes(passed=5, failed=5, errors=1)
    no_loop = "has no aiotestkit loop to check in this test: "
    result.stdout.fnmatch_lines_random(
        [
            "*::test_swallowed_in_a_fixture FAILED*",
            "*::test_swallowed_in_the_test FAILED*",
            "*::test_swallowed_in_a_fixture_teardown ERROR*",
            "*forbidden_get_event_loop: asyncio.get_event_loop() called with no running loop at "
            "*test_checks.py:11 in swallow*",
            "*::test_strict_checks_only_the_forbid_marker_without_a_loop PASSED*",
            f"*@pytest.mark.aiotestkit_strict {no_loop}run an async test with "
            "@pytest.mark.aiotestkit, give the test a loop fixture*",
            "*::test_strict_switched_off_by_fail_on PASSED*",
            f"*@pytest.mark.aiotestkit_fail_on(leftover_tasks=True) {no_loop}*",
            "*::test_strict_with_a_loop_fixture PASSED*",
            f"*@pytest.mark.aiotestkit_strict {no_loop}an aiotestkit TestCase checks its own "
            "loop: use aiotestkit_loopguard's @fail_on / @strict decorators*",
        ]
    )


BAD_OPTIONS = """
import asyncio

import pytest
from aiotestkit_clock import ClockedEventLoop

MINE = asyncio.new_event_loop()


def test_set_a_current_loop():
    asyncio.set_event_loop(MINE)


@pytest.mark.aiotestkit(watchdog=0)
async def test_watchdog_zero():
    pass


@pytest.mark.aiotestkit(watchdog="1")
async def test_watchdog_str():
    pass


@pytest.mark.aiotestkit(watchdog=float("nan"))
async def test_watchdog_nan():
    pass


@pytest.mark.aiotestkit(clock=True, autojump="no")
async def test_autojump_str():
    pass


@pytest.mark.aiotestkit(clock=1)
def test_clock_int(clocked_loop):
    pass


@pytest.mark.aiotestkit(clock=False, autojump=True)
async def test_autojump_without_clock():
    pass


@pytest.mark.aiotestkit(autojump=True)
async def test_autojump_implies_the_clock():
    assert isinstance(asyncio.get_running_loop(), ClockedEventLoop)
    await asyncio.sleep(3600)
    assert asyncio.get_running_loop().time() == 3600


@pytest.mark.aiotestkit(clok=True)
async def test_typo():
    pass


@pytest.mark.skipif(True, reason="not here")
@pytest.mark.aiotestkit(clok=True)
async def test_skipped_typo():
    pass


BODIES = []


@pytest.mark.aiotestkit
@pytest.mark.aiotestkit_fail_on(leftover_task=True)
async def test_check_typo():
    BODIES.append("ran")


@pytest.mark.aiotestkit_fail_on(leftover_tasks="yes")
def test_check_not_a_bool(fakeio_loop):
    BODIES.append("ran")


def test_the_bodies_did_not_run():
    assert BODIES == []


def test_no_loop_left_current():
    try:
        assert asyncio.get_event_loop() is MINE
    finally:
        asyncio.set_event_loop(None)
        MINE.close()
"""


def test_bad_marker_options_fail_the_setup_once(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(extra=""))
    pytester.makepyfile(BAD_OPTIONS)
    result = pytester.runpytest_inprocess(*FAST, "-p", "no:randomly", "-p", "no:asyncio")
    result.assert_outcomes(passed=4, errors=9, skipped=1)  # skipif wins, as for pytest's markers
    result.stdout.fnmatch_lines_random(
        [
            "*test_watchdog_zero*aiotestkit(watchdog=...) must be a finite number of seconds > 0*",
            "*test_watchdog_str*aiotestkit(watchdog=...) must be a number of seconds or None*'1'",
            "*test_watchdog_nan*aiotestkit(watchdog=...) must be a finite number*nan*",
            "*test_autojump_str*aiotestkit(autojump=...) must be True or False, got 'no'",
            "*test_clock_int*aiotestkit(clock=...) must be True, False or None, got 1",
            "*test_autojump_without_clock*remove clock=False (autojump=True implies clock=True)",
            "*test_typo*takes only the keyword arguments clock, autojump, watchdog, got clok=...",
            "*test_check_typo*aiotestkit_fail_on: *unknown check name(s) 'leftover_task'*",
            "*test_check_not_a_bool*aiotestkit_fail_on: *'leftover_tasks' must be True or False*",
        ]
    )
    assert "FAILED" not in result.stdout.str()
    assert "_pytest_plugin.py" not in result.stdout.str()  # the message, not the plugin's code


def test_bad_marker_options_under_the_loop_factories(pytester: pytest.Pytester) -> None:
    # pytest-asyncio asks for the loop factories while collecting: a bad option of one test is
    # that test's setup error, not a collection error of the whole module.
    pytester.makeini(INI.format(extra="aiotestkit_asyncio_loop_factories = true"))
    pytester.makepyfile(
        """
        import pytest

        def test_unrelated():
            pass

        @pytest.mark.asyncio
        @pytest.mark.aiotestkit(clock=True, autojump="no")
        async def test_bad():
            pass

        @pytest.mark.asyncio
        async def test_fine():
            pass
        """
    )
    result = pytester.runpytest_inprocess(*FAST, "-p", "no:randomly")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*test_bad*aiotestkit(autojump=...) must be True or False*"])


@pytest.mark.skipif(not hasattr(pytest, "Subtests"), reason="subtests are built in from pytest 9")
def test_a_failed_subtest_is_not_also_blamed_for_leaks(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(extra=""))
    pytester.makepyfile(
        """
        import asyncio

        import pytest

        KEEP = []

        @pytest.mark.aiotestkit
        @pytest.mark.aiotestkit_fail_on(leftover_tasks=True)
        async def test_subtest_fails(subtests):
            KEEP.append(asyncio.ensure_future(asyncio.Event().wait()))
            with subtests.test("the real problem"):
                assert False

        @pytest.mark.aiotestkit_fail_on(leftover_tasks=True)
        def test_subtest_fails_with_a_loop_fixture(subtests, fakeio_loop):
            KEEP.append(fakeio_loop.create_task(asyncio.Event().wait()))
            with subtests.test("the real problem"):
                assert False
        """
    )
    result = pytester.runpytest_inprocess(*FAST, "-p", "no:randomly", "-p", "no:asyncio")
    assert "task still running" not in result.stdout.str()
    assert "contains 1 failed subtest" in result.stdout.str()


def test_a_rerun_starts_from_a_clean_slate(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_rerunfailures")
    pytester.makeini(INI.format(extra=""))
    pytester.makepyfile(
        """
        import asyncio
        import contextlib

        import pytest

        RUNS = []

        @pytest.mark.forbid_get_event_loop
        @pytest.mark.aiotestkit_fail_on(forbidden_get_event_loop=True)
        def test_flaky():
            RUNS.append("forbid")
            if RUNS.count("forbid") == 1:
                with contextlib.suppress(RuntimeError):
                    asyncio.get_event_loop()  # recorded: fails this run only
                assert False, "first run"

        @pytest.mark.aiotestkit_fail_on(leftover_tasks=True)
        def test_loop_only_in_the_first_run(request):
            RUNS.append("loop")
            if RUNS.count("loop") == 1:
                request.getfixturevalue("fakeio_loop")
                assert False, "first run"
        """
    )
    result = pytester.runpytest_inprocess(*FAST, "-p", "no:randomly", "--reruns", "1")
    # The second run of the first test passes (the first run's call is forgotten); the second
    # test's second run has no loop: its check is refused again instead of passing unchecked.
    assert result.parseoutcomes() == {"passed": 1, "failed": 1, "rerun": 2}
    result.stdout.fnmatch_lines(
        ["*_ test_loop_only_in_the_first_run _*", "*has no aiotestkit loop to check in this test*"]
    )
    assert "FAILED test_a_rerun_starts_from_a_clean_slate.py::test_flaky" not in result.stdout.str()
