"""aiotestkit: coroutine mocks, scoped patches, and fake files and sockets for the event loop."""

from __future__ import annotations

from unittest.mock import ANY, DEFAULT, PropertyMock, call, sentinel

from ._mock import (
    CoroutineMock,
    MagicMock,
    Mock,
    NonCallableMagicMock,
    NonCallableMock,
    create_autospec,
    mock_open,
    return_once,
)
from ._patch import GLOBAL, LIMITED, PatchScope, patch
from ._peer import FakePeer
from ._selector import (
    FileDescriptor,
    FileMock,
    SocketMock,
    SSLSocketMock,
    TestSelector,
    fd,
    isfilemock,
    new_fakeio_loop,
    set_read_ready,
    set_write_ready,
)

__all__ = (
    # mocks
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
    # fake I/O
    "FileDescriptor",
    "fd",
    "isfilemock",
    "FileMock",
    "SocketMock",
    "SSLSocketMock",
    "TestSelector",
    "set_read_ready",
    "set_write_ready",
    "new_fakeio_loop",
    "FakePeer",
)
