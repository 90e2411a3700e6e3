"""Benchmark: the cost of LoopGuard per test against a plain asyncio loop lifecycle.

Not part of the test command. Run: `python3 -m hatch -e hatch-test.py3.12 run python
tests/loopguard/bench_loopguard.py [N]`. Prints microseconds per simulated test and ratios.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

from aiotestkit_loopguard import LoopGuard, known_checks

STRICT = dict.fromkeys(known_checks(), True)
NO_GC = {name: name not in {"loop_exceptions", "unawaited_coroutines", "unclosed_resources"}
         for name in STRICT}  # fmt: skip


async def ten_tasks() -> None:
    """A test body creating ten tasks (what task-creation tracking costs)."""
    loop = asyncio.get_running_loop()
    await asyncio.gather(*[loop.create_task(asyncio.sleep(0)) for _ in range(10)])


async def one_step() -> None:
    """A test body that only lets the loop run once."""
    await asyncio.sleep(0)


def plain(body: Callable[[], Coroutine[Any, Any, None]] = one_step) -> Callable[[], None]:
    """What IsolatedAsyncioTestCase-like runners do at least."""

    def run() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.run_until_complete(body())
        asyncio.set_event_loop(None)
        loop.close()

    return run


def isolated_runner() -> None:
    """The loop lifecycle of IsolatedAsyncioTestCase on 3.11+: a debug-mode asyncio.Runner."""
    if not hasattr(asyncio, "Runner"):  # pragma: no cover - no Runner on 3.10
        plain()()
        return
    with asyncio.Runner(debug=True) as runner:
        runner.run(asyncio.sleep(0))


def guarded(
    checks: dict[str, bool] | None,
    *,
    debug: bool | None = None,
    body: Callable[[], Coroutine[Any, Any, None]] = one_step,
    track_tasks: bool = True,
) -> Callable[[], None]:
    def run() -> None:
        guard = LoopGuard(debug=debug, track_tasks=track_tasks)
        loop = guard.start()
        loop.run_until_complete(body())
        if checks is not None:
            guard.assert_clean(checks)
        guard.close()

    return run


def timeit(func: Callable[[], None], n: int, rounds: int = 5) -> float:
    """Return the per-call time of the best of ``rounds`` rounds of ``n // rounds`` calls.

    The best round, not the mean: on a shared machine the other processes only ever add time.
    """
    func()  # warm up
    per_round = max(1, n // rounds)
    best = float("inf")
    for _ in range(rounds):
        gc.collect()  # garbage of the previous variant must not be collected on this one's time
        start = time.perf_counter()
        for _ in range(per_round):
            func()
        best = min(best, (time.perf_counter() - start) / per_round)
    return best


def main(n: int) -> None:
    """Time each variant n times (best of 5 rounds) and print per-test cost and ratios."""
    base = timeit(plain(), n)
    print(f"plain loop lifecycle          {base * 1e6:8.0f} us  1.00x")
    runner = timeit(isolated_runner, n)
    print(f"Runner(debug=True) (IATC)     {runner * 1e6:8.0f} us  {runner / base:.2f}x")
    for label, checks, debug, track in (
        ("LoopGuard, no checks", None, None, True),
        ("  the same, track_tasks=False", None, None, False),
        ("LoopGuard(debug=True)", None, True, True),
        ("LoopGuard, strict minus gc", NO_GC, None, True),
        ("LoopGuard, strict (gc.collect)", STRICT, None, True),
    ):
        cost = timeit(guarded(checks, debug=debug, track_tasks=track), n)
        print(f"{label:<30}{cost * 1e6:8.0f} us  {cost / base:.2f}x")
    # A body creating ten tasks: what recording each task's creation site costs.
    base10 = timeit(plain(ten_tasks), n)
    print(f"plain loop, 10 tasks/test     {base10 * 1e6:8.0f} us  1.00x")
    for label, track in (
        ("LoopGuard, 10 tasks/test", True),
        ("  the same, track_tasks=False", False),
    ):
        cost = timeit(guarded(None, body=ten_tasks, track_tasks=track), n)
        print(f"{label:<30}{cost * 1e6:8.0f} us  {cost / base10:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
