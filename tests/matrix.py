"""Run every test and type check on each Python 3.10-3.13 found on this machine.

This is the project's test command (README.md, `.ci/run`). hatch's own `hatch test --all`
crashes on a matrix Python that is not installed (it believes it could download one, although
`python-sources = ["external"]` forbids that), so this script finds the interpreters that really
run and hands exactly those to `hatch test -py`. It never downloads a Python.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

MATRIX = ("3.10", "3.11", "3.12", "3.13")
ROOT = Path(__file__).resolve().parent.parent


def found_pythons() -> list[str]:
    """Return the matrix versions whose `pythonX.Y` runs from the project root.

    A pyenv shim for a version that is installed but not selected exists on PATH yet exits with
    an error, so each candidate is run once rather than merely looked up.
    """
    found = []
    for version in MATRIX:
        exe = shutil.which(f"python{version}")
        if exe is None:
            continue
        probe = subprocess.run(
            [exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == version:
            found.append(version)
    return found


def main(argv: list[str]) -> int:
    """Run `hatch test` on every found Python; extra arguments go to pytest."""
    versions = found_pythons()
    missing = [v for v in MATRIX if v not in versions]
    if not versions:
        print(f"no Python of {', '.join(MATRIX)} found on PATH", file=sys.stderr)
        return 1
    print(f"testing on Python {', '.join(versions)}", flush=True)
    if missing:
        print(f"not found, skipped: Python {', '.join(missing)}", flush=True)
    cmd = [sys.executable, "-m", "hatch", "test", "-py", ",".join(versions), *argv]
    return subprocess.run(cmd, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
