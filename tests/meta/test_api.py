"""`import aiotestkit` is asynctest's surface, made of the component packages' own objects."""

from __future__ import annotations

import unittest
import unittest.mock

import pytest

import aiotestkit
import aiotestkit.case
import aiotestkit.helpers
import aiotestkit.mock
import aiotestkit.selector
import aiotestkit_clock
import aiotestkit_fakeio
import aiotestkit_loopguard
import aiotestkit_testcase

# asynctest 0.13's documented names per module (asynctest-reference.md, section 2).
ASYNCTEST_SURFACE = {
    "case": ("TestCase", "FunctionTestCase", "ClockedTestCase", "ignore_loop"),
    "mock": (
        "Mock", "MagicMock", "NonCallableMock", "NonCallableMagicMock", "CoroutineMock",
        "create_autospec", "mock_open", "return_once", "patch", "PatchScope", "GLOBAL",
        "LIMITED", "ANY", "DEFAULT", "call", "sentinel", "PropertyMock",
    ),
    "selector": (
        "FileDescriptor", "fd", "isfilemock", "FileMock", "SocketMock", "SSLSocketMock",
        "TestSelector", "set_read_ready", "set_write_ready",
    ),
    "helpers": ("exhaust_callbacks",),
    "_fail_on": ("fail_on", "strict", "lenient"),
}  # fmt: skip
COMPONENTS = (aiotestkit_clock, aiotestkit_fakeio, aiotestkit_loopguard, aiotestkit_testcase)


@pytest.mark.parametrize("module_name", list(ASYNCTEST_SURFACE))
def test_submodules_mirror_asynctest(module_name: str) -> None:
    module = getattr(aiotestkit, module_name, None) or __import__(
        f"aiotestkit.{module_name}", fromlist=["_"]
    )
    for name in ASYNCTEST_SURFACE[module_name]:
        assert getattr(module, name) is getattr(aiotestkit, name), name


def test_unittest_passthrough() -> None:
    # Every name of unittest's, also the deprecated makeSuite & co. where unittest still has them.
    for name in unittest.__all__:
        assert hasattr(aiotestkit, name), name
        assert name in aiotestkit.__all__, name
        if name not in {"TestCase", "FunctionTestCase"}:
            assert getattr(aiotestkit, name) is getattr(unittest, name), name
    assert issubclass(aiotestkit.TestCase, unittest.TestCase)
    assert issubclass(aiotestkit.FunctionTestCase, unittest.FunctionTestCase)


def test_one_implementation() -> None:
    for name in aiotestkit.__all__:
        value = getattr(aiotestkit, name)
        owners = [c for c in COMPONENTS if getattr(c, name, None) is value]
        defined_in = getattr(value, "__module__", "") or ""
        if defined_in.startswith("aiotestkit_"):
            assert owners, f"aiotestkit.{name} is not the component's own object"


def test_version_matches_distribution() -> None:
    from importlib.metadata import version

    assert aiotestkit.__version__ == version("aiotestkit")


def test_star_import_does_not_bind_submodules() -> None:
    namespace: dict[str, object] = {}
    exec("from unittest import mock\nfrom aiotestkit import *", namespace)
    assert namespace["mock"] is unittest.mock
    assert namespace["CoroutineMock"] is aiotestkit.CoroutineMock
    for name in ("case", "selector", "helpers"):
        assert name not in namespace
    assert aiotestkit.mock.patch is aiotestkit.patch  # still reachable as attributes
