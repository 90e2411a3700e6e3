"""The aiotestkit demo (placeholder until the clock lands)."""

from __future__ import annotations

print("aiotestkit demo: nothing to show yet")
