"""Benchmark: the cost of `import aiotestkit` against `import asyncio, unittest.mock`.

Run with ``python3 -m hatch run bench:imports``. Each sample is a fresh interpreter that times
only the import statement (interpreter start-up excluded); the script prints the medians and
the ratio, which the issue caps at 1.2.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

PROBE = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"
SUBJECTS = {
    "asyncio + unittest.mock (base)": "import asyncio, unittest.mock",
    "aiotestkit": "import aiotestkit",
    "aiotestkit_clock": "import aiotestkit_clock",
    "aiotestkit_fakeio": "import aiotestkit_fakeio",
    "aiotestkit_loopguard": "import aiotestkit_loopguard",
    "aiotestkit_testcase": "import aiotestkit_testcase",
}


# Installed packages come with bytecode (pip compiles it); an editable checkout gets it on first
# import, unless PYTHONDONTWRITEBYTECODE forbids it, which would make every sample compile the
# sources. So bytecode writing is allowed, and a warm-up round below writes it.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def sample(stmt: str) -> float:
    """Time one import statement in a fresh interpreter, in seconds."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(stmt=stmt)],
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    )
    return float(out.stdout)


def main() -> None:
    """Interleave the subjects (so machine noise hits all alike) and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in SUBJECTS}
    for stmt in SUBJECTS.values():  # warm-up: writes the bytecode caches
        sample(stmt)
    for _ in range(args.runs):
        for name, stmt in SUBJECTS.items():
            times[name].append(sample(stmt))
    base = statistics.median(times["asyncio + unittest.mock (base)"])
    print(f"Python {sys.version.split()[0]}, {args.runs} fresh interpreters per subject")
    print(f"{'import':34} {'median ms':>10} {'ratio':>7}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:34} {median * 1e3:10.2f} {median / base:7.2f}")


if __name__ == "__main__":
    main()
