"""Importing this module makes ``import asynctest`` resolve to aiotestkit (the one-line opt-in).

Use exactly one of these, before anything imports asynctest:

- ``import aiotestkit.asynctest_alias`` as the first line of the root ``conftest.py`` or of
  the test package's ``__init__.py``;
- ``pytest -p aiotestkit.asynctest_alias`` (or ``addopts = ["-p", "aiotestkit.asynctest_alias"]``);
- ``python -m aiotestkit.asynctest_alias [unittest arguments]`` in place of
  ``python -m unittest [unittest arguments]``: it installs the alias, then runs unittest's own
  command line. This works whatever unittest imports first, also for
  ``discover -s tests``, which imports test modules without their package's ``__init__.py``.

See :func:`aiotestkit.install_asynctest_alias` for what it does and when it refuses.
"""

from __future__ import annotations

from aiotestkit._alias import install_asynctest_alias

__all__ = ()

install_asynctest_alias()

if __name__ == "__main__":
    import sys
    import unittest

    # What `python -m unittest` does (Lib/unittest/__main__.py), with our name in its usage text.
    sys.argv[0] = "python -m aiotestkit.asynctest_alias"
    unittest.main(module=None)
