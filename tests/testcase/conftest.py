"""Fixtures shared by the testcase tests."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator

import pytest

from .util import current_loop

pytest_plugins = ["pytester"]

PATCHED_TARGET = "original"
"""A module attribute isolation tests patch; it must be restored after every test."""


def _policy() -> object:
    getter = getattr(asyncio.events, "_get_event_loop_policy", None)  # 3.14 deprecates the public
    if getter is None:
        return asyncio.get_event_loop_policy()
    return getter()


@pytest.fixture
def world() -> Iterator[asyncio.AbstractEventLoop]:
    """A known current loop; after the test, assert the world looks exactly as before."""
    sentinel = asyncio.new_event_loop()
    asyncio.set_event_loop(sentinel)
    policy = _policy()
    filters = list(warnings.filters)
    try:
        yield sentinel
        assert current_loop() is sentinel
        assert _policy() is policy
        assert warnings.filters == filters
        assert PATCHED_TARGET == "original"
    finally:
        asyncio.set_event_loop(None)
        sentinel.close()
