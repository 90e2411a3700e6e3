"""Test case classes: the ``asynctest.case`` module.

The classes are aiotestkit-testcase's own (one implementation); ``ignore_loop`` is
aiotestkit-loopguard's.
"""

from __future__ import annotations

from aiotestkit_loopguard import ignore_loop
from aiotestkit_testcase import ClockedTestCase, FunctionTestCase, TestCase

__all__ = ("TestCase", "FunctionTestCase", "ClockedTestCase", "ignore_loop")
