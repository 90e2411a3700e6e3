"""The aiotestkit demo: asynctest's own examples, then what asynctest never had.

Run it with ``python3 -m hatch run demo``. Every example is a real test, run by unittest with
its output visible; the script exits non-zero if any fails.
"""

from __future__ import annotations

import sys
import time
import unittest

import seed_examples
import tour


def run(title: str, *cases: type[unittest.TestCase]) -> bool:
    """Run the test cases under a heading; return whether all passed."""
    print(f"\n== {title} ==", flush=True)
    suite = unittest.TestSuite(
        unittest.defaultTestLoader.loadTestsFromTestCase(case) for case in cases
    )
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    return result.wasSuccessful()


def main() -> int:
    """Run the seed examples and the tour."""
    start = time.perf_counter()
    ok = run(
        "asynctest's 'Advanced Features' examples, unchanged (import aiotestkit as asynctest)",
        seed_examples.TestAdvanceTime,
        seed_examples.TestWithClockAndCallbacks,
        seed_examples.TestMockASocket,
    )
    ok &= run(
        "What asynctest never had",
        tour.AutoAdvance,
        tour.DeadlockInsteadOfHang,
        tour.LeakChecks,
        tour.FaultInjection,
    )
    print(f"\nall examples {'passed' if ok else 'FAILED'} in {time.perf_counter() - start:.2f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
