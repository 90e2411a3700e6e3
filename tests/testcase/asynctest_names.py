"""The asynctest names the seed's examples use, from aiotestkit (so they run verbatim)."""

from aiotestkit_loopguard import fail_on
from aiotestkit_testcase import ClockedTestCase

__all__ = ("ClockedTestCase", "fail_on")
