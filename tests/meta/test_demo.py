"""The README's demo command runs the seed's examples and the tour, and they pass."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "packages" / "meta" / "examples"


def test_demo_runs_every_example_and_passes() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "demo.py")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    for name in (
        "test_advance_time",
        "test_callbacks_executed_when_expected",
        "test_read_and_write_from_socket",
        "test_an_hour_of_backoff_in_milliseconds",
        "test_waiting_for_an_event_nobody_sets",
        "test_leaky_test_is_reported",
        "test_stream_survives_one_byte_chunks_and_sees_a_reset",
    ):
        assert f"{name} " in out, name
    assert "all examples passed" in out
    assert "virtual minutes in" in out
