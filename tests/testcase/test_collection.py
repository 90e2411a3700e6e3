"""The case classes imported into a test module are not collected as tests themselves."""

from __future__ import annotations

import sys
import types
import unittest
from typing import Any

import pytest

import aiotestkit_testcase as atk

from .util import run, summary

STAR_MODULE = """
import asyncio
import unittest

from aiotestkit import *
from aiotestkit_testcase import ClockedTestCase, FunctionTestCase, TestCase


class MyFunctionTestCase(FunctionTestCase):
    def runTest(self):
        return super().runTest()


class Real(TestCase):
    async def test_real(self):
        await asyncio.sleep(0)


def load_function_tests():
    async def by_hand():
        await asyncio.sleep(0)

    return unittest.TestSuite([FunctionTestCase(by_hand), MyFunctionTestCase(by_hand)])
"""


class MyFunctionTestCase(atk.FunctionTestCase):
    """A subclass with its own runTest: hidden from the loaders as well."""

    ran = 0

    def runTest(self) -> Any:
        type(self).ran += 1
        return super().runTest()


def _star_module() -> types.ModuleType:
    module = types.ModuleType("test_star")
    exec(STAR_MODULE, module.__dict__)
    return module


def _test_ids(suite: unittest.TestSuite) -> list[str]:
    ids = []
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            ids.extend(_test_ids(test))
        else:
            ids.append(test.id())
    return ids


def test_unittest_loader_skips_the_imported_classes() -> None:
    loader = unittest.TestLoader()
    module = _star_module()
    assert _test_ids(loader.loadTestsFromModule(module)) == ["test_star.Real.test_real"]
    for cls in (atk.FunctionTestCase, MyFunctionTestCase, atk.TestCase, atk.ClockedTestCase):
        assert _test_ids(loader.loadTestsFromTestCase(cls)) == []
        assert not hasattr(cls, "runTest")
    sys.modules["test_star"] = module
    try:
        assert _test_ids(loader.loadTestsFromName("test_star.FunctionTestCase")) == []
        assert _test_ids(loader.loadTestsFromName("test_star.MyFunctionTestCase")) == []
    finally:
        del sys.modules["test_star"]
    # Built by hand, they still run their functions.
    result = run(module.load_function_tests())
    assert summary(result) == {"run": 2}, result.errors


def test_subclass_runtest_works_on_instances() -> None:
    ran: list[str] = []

    async def test() -> None:
        ran.append("test")

    result = run(MyFunctionTestCase(test))
    assert summary(result) == {"run": 1}, result.errors
    assert ran == ["test"]
    assert MyFunctionTestCase.ran == 1
    with pytest.raises(AttributeError, match=r"runTest exists only on instances"):
        MyFunctionTestCase.runTest  # noqa: B018


def test_unittest_discovery(pytester: pytest.Pytester) -> None:
    # `python -m unittest test_star` goes through loadTestsFromModule, tested above.
    pytester.makepyfile(test_star=STAR_MODULE)
    result = pytester.run(sys.executable, "-m", "unittest", "discover", "-v", "-p", "test_*.py")
    assert result.ret == 0, result.stderr.str()
    result.stderr.fnmatch_lines(["test_real (test_star.Real*) ... ok", "Ran 1 test in *"])


def test_pytest_collects_only_the_real_test(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_star=STAR_MODULE)
    # unittest's own TestLoader/TestResult/TestSuite (exported by aiotestkit as by asynctest)
    # make pytest warn that it cannot collect them; that is pytest's business with unittest.
    result = pytester.runpytest_inprocess(
        "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-v",
        "-W", "ignore::pytest.PytestCollectionWarning",
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_star.py::Real::test_real PASSED*"])
    assert "runTest" not in result.stdout.str()
