"""Make ``import asynctest`` resolve to aiotestkit, on request, without touching site-packages."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

__all__ = ("ALIASED_MODULES", "install_asynctest_alias", "uninstall_asynctest_alias")

#: asynctest's importable modules and the aiotestkit modules that stand in for them.
ALIASED_MODULES: dict[str, str] = {
    "asynctest": "aiotestkit",
    "asynctest.case": "aiotestkit.case",
    "asynctest.mock": "aiotestkit.mock",
    "asynctest.selector": "aiotestkit.selector",
    "asynctest.helpers": "aiotestkit.helpers",
    "asynctest._fail_on": "aiotestkit._fail_on",
}


def _is_ours(module: ModuleType | None, target: str) -> bool:
    return module is not None and getattr(module, "__name__", None) == target


def install_asynctest_alias() -> None:
    """Make ``asynctest`` and its submodules resolve to aiotestkit in this process.

    After this call ``import asynctest``, ``import asynctest.mock as amock`` and
    ``from asynctest.mock import patch`` give aiotestkit's objects. The entries are put into
    ``sys.modules`` only: nothing named ``asynctest`` is written to disk, so an environment that
    also has the real asynctest installed keeps it for other processes. Calling it twice is
    harmless.

    Raises:
        RuntimeError: If the real asynctest (or anything else named ``asynctest``) is
            already imported; then some code holds its objects and aliasing would mix two
            libraries. Install the alias before anything imports asynctest: first line of the
            root ``conftest.py``, of the test package's ``__init__.py``,
            ``pytest -p aiotestkit.asynctest_alias`` or
            ``python -m aiotestkit.asynctest_alias`` (unittest's command line).
    """
    for alias, target in ALIASED_MODULES.items():
        present = sys.modules.get(alias)
        if present is not None and not _is_ours(present, target):
            where = getattr(present, "__file__", None) or repr(present)
            raise RuntimeError(
                f"cannot alias {alias!r} to {target!r}: a different {alias!r} is already "
                f"imported (from {where}). Install the alias before anything imports "
                "asynctest (first line of conftest.py or of the test package __init__, "
                "`pytest -p aiotestkit.asynctest_alias`, or `python -m "
                "aiotestkit.asynctest_alias` for unittest's command line), or uninstall "
                "asynctest."
            )
    for alias, target in ALIASED_MODULES.items():
        sys.modules[alias] = importlib.import_module(target)


def uninstall_asynctest_alias() -> None:
    """Undo :func:`install_asynctest_alias`: forget the ``asynctest`` aliases it put in place.

    Modules that already imported ``asynctest`` keep the aiotestkit objects they hold.
    """
    for alias, target in ALIASED_MODULES.items():
        if _is_ours(sys.modules.get(alias), target):
            del sys.modules[alias]
