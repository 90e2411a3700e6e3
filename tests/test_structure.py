"""Keep the monorepo honest: public exports, lockstep versions and pins."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import pkgutil
import re
from pathlib import Path
from types import ModuleType

import pytest

PACKAGES = {
    "aiotestkit-clock": "aiotestkit_clock",
    "aiotestkit-fakeio": "aiotestkit_fakeio",
    "aiotestkit-loopguard": "aiotestkit_loopguard",
    "aiotestkit-testcase": "aiotestkit_testcase",
    "aiotestkit": "aiotestkit",
}
COMPONENTS = (
    "aiotestkit-clock",
    "aiotestkit-fakeio",
    "aiotestkit-loopguard",
    "aiotestkit-testcase",
)
DEPENDS_ON = {
    "aiotestkit-clock": (),
    "aiotestkit-fakeio": (),
    "aiotestkit-loopguard": (),
    "aiotestkit-testcase": ("aiotestkit-clock", "aiotestkit-fakeio", "aiotestkit-loopguard"),
    "aiotestkit": COMPONENTS,
}


# Importing these has a documented side effect (tests/meta/test_alias.py covers them).
SIDE_EFFECT_MODULES = frozenset({"aiotestkit.asynctest_alias"})


def public_modules() -> list[ModuleType]:
    """Every importable module of the five packages whose dotted name has no private part."""
    modules = []
    for import_name in PACKAGES.values():
        package = importlib.import_module(import_name)
        modules.append(package)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{import_name}."):
            if any(part.startswith("_") for part in info.name.split(".")):
                continue
            if info.name in SIDE_EFFECT_MODULES:
                continue
            modules.append(importlib.import_module(info.name))
    return modules


@pytest.mark.parametrize("module", public_modules(), ids=lambda m: m.__name__)
def test_all_is_an_exact_tuple(module: ModuleType) -> None:
    exported = module.__all__
    assert isinstance(exported, tuple), f"{module.__name__}.__all__ must be a tuple"
    assert len(set(exported)) == len(exported), f"{module.__name__}.__all__ has duplicates"
    for name in exported:
        assert hasattr(module, name), f"{module.__name__}.__all__ names missing {name!r}"
    # Every public class or function defined in the package itself must be exported.
    root = module.__name__.split(".")[0]
    for name, value in vars(module).items():
        if name.startswith("_") or inspect.ismodule(value):
            continue
        defined_in = getattr(value, "__module__", None) or ""
        if (inspect.isclass(value) or inspect.isfunction(value)) and (
            defined_in.split(".")[0] == root
        ):
            assert name in exported, f"{module.__name__}.{name} is public but not in __all__"


def test_versions_are_lockstep() -> None:
    versions = {dist: importlib.metadata.version(dist) for dist in PACKAGES}
    assert len(set(versions.values())) == 1, versions


@pytest.mark.parametrize("dist", PACKAGES)
def test_internal_pins_are_exact(dist: str) -> None:
    version = importlib.metadata.version(dist)
    requires = importlib.metadata.requires(dist) or []
    internal = {}
    for requirement in requires:
        match = re.match(r"(aiotestkit(?:-\w+)?)\s*(.*)", requirement)
        if match:
            internal[match.group(1)] = match.group(2).split(";")[0].strip()
    assert sorted(internal) == sorted(DEPENDS_ON[dist])
    for pin in internal.values():
        assert pin == f"=={version}"


REPO_URL = "https://github.com/aiotestkit/aiotestkit/blob/main/"


@pytest.mark.parametrize("folder", ["clock", "fakeio", "loopguard", "meta", "testcase"])
def test_package_readme_links_work_on_pypi(folder: str) -> None:
    """Each package README is its PyPI page: relative links would break there."""
    root = Path(__file__).resolve().parent.parent
    text = (root / "packages" / folder / "README.md").read_text()
    targets = re.findall(r"\]\(([^)\s]+)\)", text) + re.findall(r"^\[[^\]]+\]: (\S+)$", text, re.M)
    for target in targets:
        assert target.startswith(("#", "https://")), f"relative link {target!r} in {folder}"
        if target.startswith(REPO_URL):
            path = target.removeprefix(REPO_URL).partition("#")[0]
            assert (root / path).exists(), f"{folder} README links to missing {path}"
