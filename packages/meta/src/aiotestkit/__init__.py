"""aiotestkit: everything ``asynctest`` gave, in one import, for Python 3.10-3.14.

``import aiotestkit`` exposes what ``import asynctest`` exposed -- unittest's names (with
``TestCase`` and ``FunctionTestCase`` replaced by coroutine-aware ones), the case classes,
``fail_on`` and friends, the mock and patch family, the selector and file-mock family and
``exhaust_callbacks`` -- plus what asynctest never had: the virtual-time loop, loop guards,
leak checks and fake network peers. Every object is the component package's own, so
``aiotestkit.CoroutineMock is aiotestkit_fakeio.CoroutineMock``.

Submodules mirror asynctest's: :mod:`aiotestkit.case`, :mod:`aiotestkit.mock`,
:mod:`aiotestkit.selector` and :mod:`aiotestkit.helpers`. For suites written against
asynctest, ``import aiotestkit as asynctest`` works, and one line
(``import aiotestkit.asynctest_alias``) makes ``import asynctest`` itself resolve here.
"""

from __future__ import annotations

import sys

# unittest's names, as asynctest passed them through (TestCase/FunctionTestCase are ours).
from unittest import (
    IsolatedAsyncioTestCase,
    SkipTest,
    TestLoader,
    TestResult,
    TestSuite,
    TextTestResult,
    TextTestRunner,
    addModuleCleanup,
    defaultTestLoader,
    expectedFailure,
    installHandler,
    main,
    registerResult,
    removeHandler,
    removeResult,
    skip,
    skipIf,
    skipUnless,
)

# The submodules are attributes (`aiotestkit.mock.patch`), not star-exported: `from aiotestkit
# import *` must not rebind a test module's own `mock` (`from unittest import mock`).
from aiotestkit import case, helpers, mock, selector  # noqa: F401
from aiotestkit._alias import install_asynctest_alias, uninstall_asynctest_alias
from aiotestkit._helpers import exhaust_callbacks
from aiotestkit_clock import ClockedEventLoop, DeadlockError, advance
from aiotestkit_fakeio import (
    ANY,
    DEFAULT,
    GLOBAL,
    LIMITED,
    CoroutineMock,
    FakePeer,
    FileDescriptor,
    FileMock,
    MagicMock,
    Mock,
    NonCallableMagicMock,
    NonCallableMock,
    PatchScope,
    PropertyMock,
    SocketMock,
    SSLSocketMock,
    TestSelector,
    call,
    create_autospec,
    fd,
    isfilemock,
    mock_open,
    new_fakeio_loop,
    patch,
    return_once,
    sentinel,
    set_read_ready,
    set_write_ready,
)
from aiotestkit_loopguard import (
    Finding,
    GetEventLoopForbiddenError,
    LeakError,
    LoopGuard,
    check_loop,
    fail_on,
    forbid_get_event_loop,
    ignore_loop,
    known_checks,
    lenient,
    register_check,
    strict,
    unregister_check,
)
from aiotestkit_testcase import ClockedTestCase, FunctionTestCase, TestCase

if sys.version_info >= (3, 11):
    from unittest import doModuleCleanups, enterModuleContext
if sys.version_info < (3, 13):
    # Deprecated by unittest in 3.11 (calling them warns) and removed in 3.13; asynctest passed
    # them through, so old `load_tests` functions keep working where unittest still has them.
    from unittest import findTestCases, getTestCaseNames, makeSuite

__version__ = "0.1.0"

__all__: tuple[str, ...] = (
    # unittest passthrough
    "IsolatedAsyncioTestCase",
    "SkipTest",
    "TestLoader",
    "TestResult",
    "TestSuite",
    "TextTestResult",
    "TextTestRunner",
    "addModuleCleanup",
    "defaultTestLoader",
    "expectedFailure",
    "installHandler",
    "main",
    "registerResult",
    "removeHandler",
    "removeResult",
    "skip",
    "skipIf",
    "skipUnless",
    # asynctest.case
    "TestCase",
    "FunctionTestCase",
    "ClockedTestCase",
    # asynctest._fail_on
    "fail_on",
    "strict",
    "lenient",
    "ignore_loop",
    # asynctest.mock
    "Mock",
    "MagicMock",
    "NonCallableMock",
    "NonCallableMagicMock",
    "CoroutineMock",
    "create_autospec",
    "mock_open",
    "return_once",
    "patch",
    "PatchScope",
    "GLOBAL",
    "LIMITED",
    "ANY",
    "DEFAULT",
    "call",
    "sentinel",
    "PropertyMock",
    # asynctest.selector
    "FileDescriptor",
    "fd",
    "isfilemock",
    "FileMock",
    "SocketMock",
    "SSLSocketMock",
    "TestSelector",
    "set_read_ready",
    "set_write_ready",
    # asynctest.helpers
    "exhaust_callbacks",
    # beyond asynctest
    "ClockedEventLoop",
    "advance",
    "DeadlockError",
    "LoopGuard",
    "check_loop",
    "known_checks",
    "register_check",
    "unregister_check",
    "Finding",
    "LeakError",
    "forbid_get_event_loop",
    "GetEventLoopForbiddenError",
    "new_fakeio_loop",
    "FakePeer",
    # migration
    "install_asynctest_alias",
    "uninstall_asynctest_alias",
)

if sys.version_info >= (3, 11):
    __all__ += ("doModuleCleanups", "enterModuleContext")
if sys.version_info < (3, 13):
    __all__ += ("findTestCases", "getTestCaseNames", "makeSuite")
