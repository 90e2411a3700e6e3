"""The clock demo runs and shows an hour of timers in milliseconds."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from . import demo_clock

DEMO = Path(demo_clock.__file__)


def test_demo_output(capsys: pytest.CaptureFixture[str]) -> None:
    demo_clock.main()
    out = capsys.readouterr().out
    assert "[54:57.000] attempt 19: got '42 widgets'" in out
    assert out.count("heartbeat") == 6
    assert "[15:00.000] after advance(1): token cached = False" in out
    match = re.search(r"-> 3600 virtual seconds took ([\d.]+) ms of real time", out)
    assert match is not None
    assert float(match.group(1)) < 1000


def test_demo_runs_as_a_script() -> None:
    result = subprocess.run(
        [sys.executable, str(DEMO)], capture_output=True, text=True, check=True, timeout=60
    )
    assert "-> 15 virtual minutes took" in result.stdout
