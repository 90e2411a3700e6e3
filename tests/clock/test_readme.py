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


def test_the_readme_has_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the examples use asyncio.Runner")
@pytest.mark.parametrize("source", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(source: str, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(source, str(README), "exec"), {"__name__": "readme_example"})
    capsys.readouterr()


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
