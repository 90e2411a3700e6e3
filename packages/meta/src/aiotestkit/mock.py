"""Mocks that understand coroutines, and scoped patches: the ``asynctest.mock`` module.

Every object is aiotestkit-fakeio's own (or the stdlib's, for ``ANY``, ``DEFAULT``, ``call``,
``sentinel`` and ``PropertyMock``), re-exported here under asynctest's module name.
"""

from __future__ import annotations

from aiotestkit_fakeio import (
    ANY,
    DEFAULT,
    GLOBAL,
    LIMITED,
    CoroutineMock,
    MagicMock,
    Mock,
    NonCallableMagicMock,
    NonCallableMock,
    PatchScope,
    PropertyMock,
    call,
    create_autospec,
    mock_open,
    patch,
    return_once,
    sentinel,
)

__all__ = (
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
)
