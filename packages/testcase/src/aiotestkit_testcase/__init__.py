"""aiotestkit: TestCase, FunctionTestCase, ClockedTestCase and the pytest plugin."""

from __future__ import annotations

from ._case import FunctionTestCase, TestCase
from ._clocked import ClockedTestCase

__all__ = ("TestCase", "FunctionTestCase", "ClockedTestCase")
