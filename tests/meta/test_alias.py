"""The one-line asynctest migration: `asynctest` resolves to aiotestkit, and only on request."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import aiotestkit
import aiotestkit.mock
from aiotestkit import install_asynctest_alias, uninstall_asynctest_alias

# An old asynctest suite, unchanged: every import style asynctest users wrote.
OLD_SUITE = """
import asyncio

import asynctest
import asynctest.mock as amock
from asynctest import CoroutineMock
from asynctest.mock import patch


async def fetch():
    return "real"


class TestOld(asynctest.TestCase):
    async def setUp(self):
        self.value = await asyncio.sleep(0, result=1)

    async def test_coroutine_mock(self):
        mock = CoroutineMock(return_value=5)
        self.assertEqual(await mock(), 5)
        mock.assert_awaited_once()
        self.assertIs(amock.CoroutineMock, CoroutineMock)

    @patch(__name__ + ".fetch")
    async def test_patch(self, fetch_mock):
        fetch_mock.return_value = "mocked"
        self.assertEqual(await fetch(), "mocked")

    @asynctest.fail_on(active_handles=True)
    def test_sync_with_loop(self):
        self.assertEqual(self.value, 1)
        self.loop.run_until_complete(asyncio.sleep(0))


class TestClocked(asynctest.ClockedTestCase):
    async def test_advance(self):
        await self.advance(10)
        self.assertEqual(self.loop.time(), 10)
"""


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_alias_resolves_every_import_style() -> None:
    try:
        install_asynctest_alias()
        import asynctest  # type: ignore[import-not-found]
        import asynctest.mock as amock  # type: ignore[import-not-found]
        from asynctest.mock import patch

        assert asynctest is aiotestkit
        assert amock is aiotestkit.mock
        assert patch is aiotestkit.patch
        install_asynctest_alias()  # twice is harmless
    finally:
        uninstall_asynctest_alias()
    assert "asynctest" not in sys.modules
    assert "asynctest.mock" not in sys.modules


def test_refuses_when_another_asynctest_is_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    impostor = type(sys)("asynctest")
    impostor.__file__ = "/site-packages/asynctest/__init__.py"
    monkeypatch.setitem(sys.modules, "asynctest", impostor)
    with pytest.raises(RuntimeError, match=r"already imported \(from /site-packages/asynctest"):
        install_asynctest_alias()
    assert sys.modules["asynctest"] is impostor
    assert "asynctest.mock" not in sys.modules


def test_nothing_is_aliased_without_opt_in(tmp_path: Path) -> None:
    done = _run(
        tmp_path,
        "-c",
        "import aiotestkit, importlib.util, sys; "
        "assert 'asynctest' not in sys.modules; "
        "print(importlib.util.find_spec('asynctest'))",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"  # and no file named asynctest was installed


@pytest.mark.parametrize("style", ["conftest", "init", "plugin", "runner"])
def test_old_suite_runs_after_one_line(tmp_path: Path, style: str) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "test_old.py").write_text(OLD_SUITE)
    # -p no:asyncio: pytest-asyncio (installed here) warns about its unset config under -W error.
    args = [
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:asyncio",
        "-W",
        "error",
        "suite",
    ]
    if style == "conftest":
        (tmp_path / "conftest.py").write_text("import aiotestkit.asynctest_alias\n")
    elif style == "init":
        (suite / "__init__.py").write_text("import aiotestkit.asynctest_alias\n")
        args = ["-m", "unittest", "-v", "suite.test_old"]
    elif style == "plugin":
        args[2:2] = ["-p", "aiotestkit.asynctest_alias"]
    else:
        # `discover -s` imports the test modules top-level: a package __init__.py never runs.
        args = ["-W", "error", "-m", "aiotestkit.asynctest_alias", "discover", "-v", "-s", "suite"]
    done = _run(tmp_path, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout or "Ran 4 tests" in done.stderr, done.stdout + done.stderr


def test_import_aiotestkit_as_asynctest(tmp_path: Path) -> None:
    (tmp_path / "test_as.py").write_text(
        OLD_SUITE.replace("import asynctest\n", "import aiotestkit as asynctest\n", 1)
        .replace("import asynctest.mock as amock", "import aiotestkit.mock as amock")
        .replace("from asynctest import", "from aiotestkit import")
        .replace("from asynctest.mock import", "from aiotestkit.mock import")
    )
    done = _run(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_as.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout, done.stdout


def test_alias_module_is_documented_one_liner() -> None:
    text = textwrap.dedent(aiotestkit.install_asynctest_alias.__doc__ or "")
    assert "sys.modules" in text
