"""Stand-in for ``asynctest._fail_on``, which some suites imported directly.

Its public functions are aiotestkit-loopguard's; asynctest's private check protocol
(``DEFAULTS`` and static methods on a ``_fail_on`` class) is replaced by
:func:`aiotestkit.register_check`.
"""

from __future__ import annotations

from aiotestkit_loopguard import fail_on, lenient, strict

__all__ = ("fail_on", "strict", "lenient")
