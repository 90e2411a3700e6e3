"""Helpers for coroutine tests: the ``asynctest.helpers`` module."""

from __future__ import annotations

from aiotestkit._helpers import exhaust_callbacks

__all__ = ("exhaust_callbacks",)
