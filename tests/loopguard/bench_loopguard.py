"""Benchmark: the cost of LoopGuard per test against a plain asyncio loop lifecycle.

Not part of the test command. Run: `python3 -m hatch -e hatch-test.py3.12 run python
tests/loopguard/bench_loopguard.py [N]`. Prints microseconds per simulated test and ratios.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import Callable

from aiotestkit_loopguard import LoopGuard, known_checks

STRICT = dict.fromkeys(known_checks(), True)
NO_GC = {name: name not in {"loop_exceptions", "unawaited_coroutines", "unclosed_resources"}
         for name in STRICT}  # fmt: skip


def plain() -> None:
    """What IsolatedAsyncioTestCase-like runners do at least."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(asyncio.sleep(0))
    asyncio.set_event_loop(None)
    loop.close()


def isolated_runner() -> None:
    """The loop lifecycle of IsolatedAsyncioTestCase on 3.11+: a debug-mode asyncio.Runner."""
    if not hasattr(asyncio, "Runner"):  # pragma: no cover - no Runner on 3.10
        plain()
        return
    with asyncio.Runner(debug=True) as runner:
        runner.run(asyncio.sleep(0))


def guarded(checks: dict[str, bool] | None, *, debug: bool | None = None) -> Callable[[], None]:
    def run() -> None:
        guard = LoopGuard(debug=debug)
        loop = guard.start()
        loop.run_until_complete(asyncio.sleep(0))
        if checks is not None:
            guard.assert_clean(checks)
        guard.close()

    return run


def timeit(func: Callable[[], None], n: int) -> float:
    func()  # warm up
    gc.collect()  # garbage of the previous variant must not be collected on this one's time
    start = time.perf_counter()
    for _ in range(n):
        func()
    return (time.perf_counter() - start) / n


def main(n: int) -> None:
    """Time each variant n times and print per-test cost and ratio to the plain loop."""
    base = timeit(plain, n)
    print(f"plain loop lifecycle          {base * 1e6:8.0f} us  1.00x")
    runner = timeit(isolated_runner, n)
    print(f"Runner(debug=True) (IATC)     {runner * 1e6:8.0f} us  {runner / base:.2f}x")
    for label, checks, debug in (
        ("LoopGuard, no checks", None, None),
        ("LoopGuard(debug=True)", None, True),
        ("LoopGuard, strict minus gc", NO_GC, None),
        ("LoopGuard, strict (gc.collect)", STRICT, None),
    ):
        cost = timeit(guarded(checks, debug=debug), n)
        print(f"{label:<30}{cost * 1e6:8.0f} us  {cost / base:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
