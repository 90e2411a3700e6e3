"""The clock README's Python examples run as shown."""

from __future__ import annotations

import asyncio
import math
import re
import sys
from pathlib import Path

import pytest

from aiotestkit_clock import ClockedEventLoop

README = Path(__file__).resolve().parents[2] / "packages" / "clock" / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


# APIs an example may use only if it is skipped before 3.11.
NEEDS_3_11 = ("asyncio.Runner", "asyncio.timeout", "asyncio.TaskGroup")
# `print(...)  # expected output` lines: the test checks the comment against the output.
PRINT_EXPECTED = re.compile(r"^\s*print\(.*\)\s+#\s*(.+?)\s*$", re.MULTILINE)


def _needs_3_11(source: str) -> bool:
    return any(name in source for name in NEEDS_3_11)


def test_the_readme_has_examples() -> None:
    assert len(BLOCKS) >= 2


def test_an_example_runs_on_every_python() -> None:
    # The "On 3.10, or without a runner" example must not use 3.11+ APIs (it once used
    # asyncio.timeout and a loop without autojump, and failed on every Python).
    portable = [source for source in BLOCKS if not _needs_3_11(source)]
    assert any("run_until_complete(main())" in source for source in portable)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            source,
            id=f"block{i}",
            marks=pytest.mark.skipif(
                _needs_3_11(source) and sys.version_info < (3, 11),
                reason="the example uses a 3.11+ asyncio API",
            ),
        )
        for i, source in enumerate(BLOCKS)
    ],
)
def test_readme_example_runs(source: str, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(source, str(README), "exec"), {"__name__": "readme_example"})
    printed = capsys.readouterr().out.splitlines()
    assert printed == PRINT_EXPECTED.findall(source)


def test_the_readme_quotes_the_advance_errors_exactly() -> None:
    text = " ".join(README.read_text(encoding="utf-8").split())
    quoted = {
        "ValueError": "seconds must be a finite number >= 0, got nan",
        "TypeError": "seconds must be an int or float, got '5' (str)",
    }
    for kind, message in quoted.items():
        assert f"`{kind}: {message}`" in text

    async def main() -> None:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, ClockedEventLoop)
        for bad, kind in ((math.nan, ValueError), ("5", TypeError)):
            with pytest.raises(kind) as caught:
                await loop.advance(bad)  # type: ignore[arg-type]
            assert str(caught.value) == quoted[kind.__name__]

    loop = ClockedEventLoop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
