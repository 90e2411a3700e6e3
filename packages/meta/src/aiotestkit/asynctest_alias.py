"""Importing this module makes ``import asynctest`` resolve to aiotestkit (the one-line opt-in).

Use exactly one of these, before anything imports asynctest:

- ``import aiotestkit.asynctest_alias`` as the first line of the root ``conftest.py`` or of
  the test package's ``__init__.py``;
- ``pytest -p aiotestkit.asynctest_alias`` (or ``addopts = ["-p", "aiotestkit.asynctest_alias"]``).

See :func:`aiotestkit.install_asynctest_alias` for what it does and when it refuses.
"""

from __future__ import annotations

from aiotestkit._alias import install_asynctest_alias

__all__ = ()

install_asynctest_alias()
