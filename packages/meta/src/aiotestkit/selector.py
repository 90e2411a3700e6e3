"""Fake file descriptors and the test selector: the ``asynctest.selector`` module.

Every object is aiotestkit-fakeio's own, re-exported under asynctest's module name.
"""

from __future__ import annotations

from aiotestkit_fakeio import (
    FileDescriptor,
    FileMock,
    SocketMock,
    SSLSocketMock,
    TestSelector,
    fd,
    isfilemock,
    set_read_ready,
    set_write_ready,
)

__all__ = (
    "FileDescriptor",
    "fd",
    "isfilemock",
    "FileMock",
    "SocketMock",
    "SSLSocketMock",
    "TestSelector",
    "set_read_ready",
    "set_write_ready",
)
