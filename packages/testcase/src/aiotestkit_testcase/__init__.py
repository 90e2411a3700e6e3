"""aiotestkit: TestCase, FunctionTestCase, ClockedTestCase and the pytest plugin."""

from __future__ import annotations

__all__ = ()
