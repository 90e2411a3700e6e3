"""Benchmark: the per-test cost of trivial async tests, aiotestkit vs its peers, in one run.

Run with `python3 -m hatch run bench:testcase [N]` (default N = 2000). Not part of the test
command. Each contender runs N trivial `async def` tests; its per-test overhead is its time per
test minus the time per test of the same number of trivial *synchronous* tests run the same way
(plain `unittest.TestCase` for the unittest contenders, plain pytest functions for the pytest
ones), so only what the async machinery adds is compared. Every contender is timed `ROUNDS`
times and the best round is kept.

Contenders:
- aiotestkit `TestCase` (under unittest);
- `unittest.IsolatedAsyncioTestCase` (under unittest);
- pytest-asyncio functions (`@pytest.mark.asyncio`, strict mode, function-scoped loops);
- aiotestkit `@pytest.mark.aiotestkit` functions (under pytest).
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time
import unittest
import warnings
from collections.abc import Callable

import pytest

import aiotestkit_testcase as atk

ROUNDS = 3


async def _async_test(self: unittest.TestCase) -> None:
    pass


def _sync_test(self: unittest.TestCase) -> None:
    pass


def _unittest_seconds(base: type[unittest.TestCase], n: int, test: Callable[..., object]) -> float:
    """Best time to run *n* trivial tests of a fresh *base* subclass under unittest."""
    names = {f"test_{i:05d}": test for i in range(n)}
    case = type(f"Bench{base.__name__}", (base,), names)
    best = float("inf")
    for _ in range(ROUNDS):
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
        result = unittest.TestResult()
        start = time.perf_counter()
        suite.run(result)
        elapsed = time.perf_counter() - start
        if not result.wasSuccessful() or result.testsRun != n:
            raise SystemExit(f"{base.__name__}: {result.errors + result.failures}")
        best = min(best, elapsed)
    return best


_PYTEST_HEADER = "import pytest\n\n"
_PYTEST_TESTS = {
    "sync": "def test_{i:05d}():\n    pass\n\n",
    "pytest-asyncio": "@pytest.mark.asyncio\nasync def test_{i:05d}():\n    pass\n\n",
    "aiotestkit": "@pytest.mark.aiotestkit\nasync def test_{i:05d}():\n    pass\n\n",
}


def _pytest_seconds(kind: str, n: int, directory: str) -> float:
    """Best time for pytest to collect and run *n* trivial tests of *kind* (in this process)."""
    path = os.path.join(directory, f"test_bench_{kind.replace('-', '_')}.py")
    with open(path, "w") as file:
        file.write(_PYTEST_HEADER + "".join(_PYTEST_TESTS[kind].format(i=i) for i in range(n)))
    args = [
        path,
        "-q",
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
        f"--rootdir={directory}",
    ]
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            code = pytest.main(args)
        elapsed = time.perf_counter() - start
        if code != 0:
            raise SystemExit(f"pytest run of {kind} tests failed with exit code {code}")
        best = min(best, elapsed)
    return best


def main(argv: list[str]) -> int:
    """Time every contender and print a table of per-test costs and ratios."""
    n = int(argv[0]) if argv else 2000
    warnings.simplefilter("ignore")  # pytest-asyncio's configuration warnings are not measured
    print(f"{n} trivial async tests per contender, best of {ROUNDS} rounds, Python {sys.version}")
    unittest_base = _unittest_seconds(unittest.TestCase, n, _sync_test)
    ours = _unittest_seconds(atk.TestCase, n, _async_test)
    stdlib = _unittest_seconds(unittest.IsolatedAsyncioTestCase, n, _async_test)
    with tempfile.TemporaryDirectory() as directory:
        pytest_base = _pytest_seconds("sync", n, directory)
        pytest_asyncio = _pytest_seconds("pytest-asyncio", n, directory)
        pytest_ours = _pytest_seconds("aiotestkit", n, directory)

    def overhead(total: float, base: float) -> float:
        return (total - base) / n * 1e6

    rows = [
        ("aiotestkit TestCase (unittest)", ours, unittest_base),
        ("IsolatedAsyncioTestCase (unittest)", stdlib, unittest_base),
        ("@pytest.mark.aiotestkit (pytest)", pytest_ours, pytest_base),
        ("pytest-asyncio (pytest)", pytest_asyncio, pytest_base),
    ]
    reference = overhead(stdlib, unittest_base)
    print(f"{'contender':38} {'µs/test':>9} {'overhead µs/test':>17} {'vs IATC':>8}")
    for name, total, base in rows:
        cost = overhead(total, base)
        print(f"{name:38} {total / n * 1e6:9.1f} {cost:17.1f} {cost / reference:7.2f}x")
    print(f"{'baseline: sync unittest.TestCase':38} {unittest_base / n * 1e6:9.1f}")
    print(f"{'baseline: sync pytest functions':38} {pytest_base / n * 1e6:9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
