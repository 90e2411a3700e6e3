"""Every ``python`` example of packages/fakeio/README.md runs as written.

Each block runs in a fresh namespace, as the body of an ``async def`` (top-level ``await``) on a
loop from ``new_fakeio_loop()``, with the certificates directory as the working directory and a
small ``myapp`` package standing for the reader's application.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from aiotestkit_fakeio import new_fakeio_loop

README = Path(__file__).resolve().parents[2] / "packages" / "fakeio" / "README.md"
CERTS = Path(__file__).parent / "certs"


def examples() -> list[Any]:
    text = README.read_text(encoding="utf-8")
    blocks = []
    for match in re.finditer(r"^```python\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE):
        line = text.count("\n", 0, match.start()) + 2
        blocks.append(pytest.param(match.group(1), line, id=f"README.md:{line}"))
    return blocks


def myapp_modules() -> dict[str, types.ModuleType]:
    """The application the examples patch: ``myapp.db.query`` and ``myapp.settings.FLAGS``."""
    package = types.ModuleType("myapp")
    package.__path__ = []
    db = types.ModuleType("myapp.db")

    async def query(sql: str) -> list[str]:
        await asyncio.sleep(0)
        return ["real rows"]

    db.query = query  # type: ignore[attr-defined]
    settings = types.ModuleType("myapp.settings")
    settings.FLAGS = {"beta": False}  # type: ignore[attr-defined]
    package.db = db  # type: ignore[attr-defined]
    package.settings = settings  # type: ignore[attr-defined]
    return {"myapp": package, "myapp.db": db, "myapp.settings": settings}


def test_the_readme_has_examples() -> None:
    assert len(examples()) >= 7


@pytest.mark.parametrize(("source", "line"), examples())
def test_readme_example_runs(
    source: str, line: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(CERTS)
    for name, module in myapp_modules().items():
        monkeypatch.setitem(sys.modules, name, module)
    code = compile(
        "\n" * (line - 1) + source,
        str(README),
        "exec",
        flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
    )
    namespace: dict[str, Any] = {"__name__": f"readme_example_{line}"}
    if not code.co_flags & inspect.CO_COROUTINE:
        exec(code, namespace)  # no await: plain code, run outside any loop
        return
    loop = new_fakeio_loop()
    try:
        loop.run_until_complete(asyncio.wait_for(eval(code, namespace), 5))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
