"""The five distributions build, install alone into fresh environments, and type-check outside.

This is the slowest test of the suite (a few seconds): it builds every wheel and sdist with
hatchling and creates throw-away virtual environments with uv, offline, from those wheels only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DISTS = {
    "clock": ("aiotestkit_clock", "aiotestkit-clock"),
    "fakeio": ("aiotestkit_fakeio", "aiotestkit-fakeio"),
    "loopguard": ("aiotestkit_loopguard", "aiotestkit-loopguard"),
    "testcase": ("aiotestkit_testcase", "aiotestkit-testcase"),
    "meta": ("aiotestkit", "aiotestkit"),
}
# One use of each package's API, run inside an environment that has only that package.
SMOKE = {
    "clock": """
        import asyncio
        from aiotestkit_clock import ClockedEventLoop
        loop = ClockedEventLoop()
        loop.run_until_complete(loop.advance(3600))
        assert loop.time() == 3600.0, loop.time()
        loop.close()
    """,
    "fakeio": """
        import asyncio
        from aiotestkit_fakeio import CoroutineMock, SocketMock, new_fakeio_loop
        mock = CoroutineMock(return_value=7)
        loop = new_fakeio_loop()
        assert loop.run_until_complete(mock()) == 7
        mock.assert_awaited_once()
        loop.add_reader(SocketMock(), print)
        loop.close()
    """,
    "loopguard": """
        import asyncio
        from aiotestkit_loopguard import LoopGuard
        guard = LoopGuard()
        with guard as loop:
            loop.run_until_complete(asyncio.sleep(0))
            assert guard.check({"active_handles": True}) == []
    """,
    "testcase": """
        import unittest
        from aiotestkit_testcase import ClockedTestCase
        class T(ClockedTestCase):
            async def test_hour(self):
                await self.advance(3600)
                self.assertEqual(self.loop.time(), 3600)
        result = unittest.TestResult()
        unittest.defaultTestLoader.loadTestsFromTestCase(T).run(result)
        assert result.wasSuccessful() and result.testsRun == 1, result
    """,
    "meta": """
        import importlib.metadata
        import aiotestkit
        for dist in ("aiotestkit-clock", "aiotestkit-fakeio", "aiotestkit-loopguard",
                     "aiotestkit-testcase", "aiotestkit"):
            assert importlib.metadata.version(dist) == aiotestkit.__version__, dist
        assert aiotestkit.CoroutineMock.__module__.startswith("aiotestkit_fakeio")
    """,
}
OUTSIDE_PROJECT = """
    from __future__ import annotations

    import asyncio

    import aiotestkit
    from aiotestkit_clock import ClockedEventLoop, advance
    from aiotestkit_fakeio import CoroutineMock, patch
    from aiotestkit_loopguard import LoopGuard, fail_on
    from aiotestkit_testcase import ClockedTestCase


    async def fetch() -> int:
        return 1


    class Test(ClockedTestCase):
        @fail_on(active_handles=True)
        async def test_it(self) -> None:
            mock: CoroutineMock = CoroutineMock(return_value=3)
            with patch(f"{__name__}.fetch", new=mock):
                self.assertEqual(await fetch(), 3)
            await advance(1.0)
            await self.advance(2.0)


    def make_loop() -> asyncio.AbstractEventLoop:
        loop: ClockedEventLoop = ClockedEventLoop(autojump=True)
        return loop


    guard: LoopGuard = LoopGuard(loop_factory=make_loop)
    mock_class: type[aiotestkit.CoroutineMock] = aiotestkit.mock.CoroutineMock
"""


def _uv() -> str:
    from uv import find_uv_bin

    return os.fsdecode(find_uv_bin())


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [os.fspath(a) for a in args], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{' '.join(map(str, args))}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def dist_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    for folder in DISTS:
        _run(sys.executable, "-m", "hatchling", "build", "-d", out, cwd=ROOT / "packages" / folder)
    return out


def _venv(tmp: Path, name: str) -> Path:
    venv = tmp / name
    _run(_uv(), "venv", "--quiet", "--python", sys.executable, venv)
    return venv / ("Scripts" if os.name == "nt" else "bin") / "python"


def _install(python: Path, dist_dir: Path, *requirements: str) -> None:
    _run(
        _uv(), "pip", "install", "--quiet", "--offline", "--no-index",
        "--find-links", dist_dir, "--python", python, *requirements,
    )  # fmt: skip


def _installed(python: Path) -> set[str]:
    listed = _run(
        python, "-c", "import importlib.metadata as m; print(*(d.name for d in m.distributions()))"
    )
    return {name for name in listed.split() if name.startswith("aiotestkit")}


def test_each_build_has_a_wheel_and_an_sdist(dist_dir: Path) -> None:
    names = sorted(p.name for p in dist_dir.iterdir())
    for _, dist in DISTS.values():
        stem = dist.replace("-", "_")
        assert f"{stem}-0.1.0-py3-none-any.whl" in names, names
        assert f"{stem}-0.1.0.tar.gz" in names, names


@pytest.mark.parametrize("folder", list(DISTS))
def test_wheel_ships_its_package_typed(dist_dir: Path, folder: str) -> None:
    import_name, dist = DISTS[folder]
    wheel = dist_dir / f"{dist.replace('-', '_')}-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        files = set(archive.namelist())
    assert f"{import_name}/py.typed" in files
    assert f"{import_name}/__init__.py" in files
    assert not any(name.startswith(("tests/", "asynctest")) for name in files), files


@pytest.mark.parametrize("folder", list(DISTS))
def test_wheel_and_sdist_ship_the_licence(dist_dir: Path, folder: str) -> None:
    _, dist = DISTS[folder]
    stem = dist.replace("-", "_")
    licence = (ROOT / "LICENSE").read_text()
    # Each package folder holds a copy, since a distribution can only ship files from its folder.
    assert (ROOT / "packages" / folder / "LICENSE").read_text() == licence
    with zipfile.ZipFile(dist_dir / f"{stem}-0.1.0-py3-none-any.whl") as archive:
        shipped = archive.read(f"{stem}-0.1.0.dist-info/licenses/LICENSE").decode()
        metadata = archive.read(f"{stem}-0.1.0.dist-info/METADATA").decode()
    assert shipped == licence
    assert "License-File: LICENSE" in metadata
    with tarfile.open(dist_dir / f"{stem}-0.1.0.tar.gz") as sdist:
        assert f"{stem}-0.1.0/LICENSE" in sdist.getnames()


def _component_cases() -> Iterator[str]:
    yield from DISTS


@pytest.mark.parametrize("folder", list(_component_cases()))
def test_installs_alone_and_works(dist_dir: Path, tmp_path: Path, folder: str) -> None:
    _, dist = DISTS[folder]
    python = _venv(tmp_path, folder)
    _install(python, dist_dir, dist)
    expected = {
        "testcase": {"aiotestkit-clock", "aiotestkit-fakeio", "aiotestkit-loopguard"},
        "meta": {d for _, d in DISTS.values()},
    }.get(folder, set()) | {dist}
    assert _installed(python) == expected
    _run(python, "-c", textwrap.dedent(SMOKE[folder]))


def test_outside_project_type_checks_against_the_wheels(dist_dir: Path, tmp_path: Path) -> None:
    python = _venv(tmp_path, "outside")
    _install(python, dist_dir, "aiotestkit")
    project = tmp_path / "project"
    project.mkdir()
    (project / "uses_aiotestkit.py").write_text(textwrap.dedent(OUTSIDE_PROJECT))
    # mypy runs from the test environment but resolves imports in the fresh venv only.
    _run(
        sys.executable, "-m", "mypy", "--strict", "--no-incremental",
        "--python-executable", python, "--config-file", os.devnull, "uses_aiotestkit.py",
        cwd=project,
    )  # fmt: skip
