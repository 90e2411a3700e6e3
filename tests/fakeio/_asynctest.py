"""Stands for the ``asynctest`` module in the seed's example: aiotestkit's equivalents."""

from __future__ import annotations

from aiotestkit_fakeio import SocketMock, set_read_ready

from ._support import FakeIOTestCase

TestCase = FakeIOTestCase

__all__ = ("SocketMock", "TestCase", "set_read_ready")
