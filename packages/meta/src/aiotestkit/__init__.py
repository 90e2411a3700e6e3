"""aiotestkit: the full asynctest-equivalent API in one import, and the asynctest migration path."""

from __future__ import annotations

__all__ = ()
