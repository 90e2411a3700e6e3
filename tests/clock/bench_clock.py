"""Benchmark: ClockedEventLoop against stock asyncio and the virtual-time peers.

Not a test. Run it with ``python3 -m hatch run bench:clock`` (Python 3.12, peers installed as
benchmark-only dependencies), optionally with ``--rounds N``.

Workloads (tests/../virtual-time notes, section 1):
  A: 10,000 tasks, each ``await asyncio.sleep(d)`` with d ~ U(0, 3600) s (fixed seed);
  B: one task doing 100,000 sequential ``await asyncio.sleep(0.01)``;
  C: a ``loop.call_later(0.001, tick)`` chain re-scheduling itself 60,000 times
     (trio has no call_later: there C is 60,000 sequential ``trio.sleep(0.001)``).
Base: the stock asyncio loop running the same work with every delay 0. All systems run in this
one process; each round runs every system in shuffled order after a warm-up, each cell of a
round is the fastest of ``--best-of`` runs (the machines this runs on are shared and noisy), and
the table gives the median over rounds of each round's ratio to that round's base. Wall time is
measured inside the workload (loop creation and teardown excluded).

Also measured: ``advance(1e9)`` with nothing scheduled (constant time) and the resident memory
over 3.6 million timer steps (it must stay flat).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from aiotestkit_clock import ClockedEventLoop

SIZE_A = 10_000
SIZE_B = 100_000
SIZE_C = 60_000
HORIZON = {"A": 3600.0, "B": SIZE_B * 0.01, "C": SIZE_C * 0.001}

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


# -- asyncio workloads -------------------------------------------------------------------------


def delays_a(scale: float, size: int) -> list[float]:
    """Return workload A's sleep durations (fixed seed), multiplied by ``scale``."""
    rng = random.Random(20261123)
    return [rng.uniform(0, 3600) * scale for _ in range(size)]


async def work_a(scale: float, size: int) -> float:
    """Run workload A on the running loop; return the wall time it took."""
    delays = delays_a(scale, size)
    start = time.perf_counter()
    await asyncio.gather(*[asyncio.sleep(d) for d in delays])
    return time.perf_counter() - start


async def work_b(scale: float, size: int) -> float:
    """Run workload B on the running loop; return the wall time it took."""
    delay = 0.01 * scale
    sleep = asyncio.sleep
    start = time.perf_counter()
    for _ in range(size):
        await sleep(delay)
    return time.perf_counter() - start


async def work_c(scale: float, size: int) -> float:
    """Run workload C on the running loop; return the wall time it took."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    delay = 0.001 * scale
    remaining = size

    def tick() -> None:
        nonlocal remaining
        remaining -= 1
        if remaining:
            loop.call_later(delay, tick)
        else:
            done.set_result(None)

    start = time.perf_counter()
    loop.call_later(delay, tick)
    await done
    return time.perf_counter() - start


WORK = {"A": work_a, "B": work_b, "C": work_c}
SIZES = {"A": SIZE_A, "B": SIZE_B, "C": SIZE_C}


def run_on(
    factory: LoopFactory, workload: str, scale: float, size: int, *, advance: bool = False
) -> float:
    """Run one workload on a fresh loop from ``factory``; return its wall time."""
    loop = factory()
    try:
        coro = WORK[workload](scale, size)
        if not advance:
            return loop.run_until_complete(coro)
        assert isinstance(loop, ClockedEventLoop)
        clocked = loop

        async def driven() -> float:
            task = asyncio.ensure_future(coro)
            await clocked.advance(HORIZON[workload] + 1.0)
            return await task

        return loop.run_until_complete(driven())
    finally:
        loop.close()


# -- trio workloads ----------------------------------------------------------------------------


def run_trio(workload: str, size: int) -> float:
    """Run one workload on trio with MockClock(autojump_threshold=0); return its wall time."""
    trio: Any = importlib.import_module("trio")
    testing: Any = importlib.import_module("trio.testing")

    async def main() -> float:
        start = time.perf_counter()
        if workload == "A":
            async with trio.open_nursery() as nursery:
                for d in delays_a(1.0, size):
                    nursery.start_soon(trio.sleep, d)
        else:
            delay = 0.01 if workload == "B" else 0.001
            for _ in range(size):
                await trio.sleep(delay)
        return time.perf_counter() - start

    result: float = trio.run(main, clock=testing.MockClock(autojump_threshold=0))
    return result


# -- systems -----------------------------------------------------------------------------------


def systems(looptime_default: bool = False) -> dict[str, Callable[[str, int], float]]:
    """Return every available system as name -> run(workload, size) -> seconds.

    Args:
        looptime_default: Also run looptime with its default settings (``noop_cycles=42``),
            which takes about half a minute per round on its own.
    """
    found: dict[str, Callable[[str, int], float]] = {
        "base: stock asyncio, delays=0": lambda w, n: run_on(asyncio.new_event_loop, w, 0.0, n),
        "ClockedEventLoop autojump": lambda w, n: run_on(
            lambda: ClockedEventLoop(autojump=True), w, 1.0, n
        ),
        "ClockedEventLoop advance()": lambda w, n: run_on(
            ClockedEventLoop, w, 1.0, n, advance=True
        ),
    }
    try:
        looptime: Any = importlib.import_module("looptime")
        found["looptime 0.9 (noop_cycles=0)"] = lambda w, n: run_on(
            lambda: looptime.new_event_loop(noop_cycles=0), w, 1.0, n
        )
        if looptime_default:
            found["looptime 0.9 (default settings)"] = lambda w, n: run_on(
                looptime.new_event_loop, w, 1.0, n
            )
    except ImportError:
        pass
    try:
        solipsism: Any = importlib.import_module("async_solipsism")
        found["async-solipsism"] = lambda w, n: run_on(solipsism.EventLoop, w, 1.0, n)
    except ImportError:
        pass
    try:
        time_travel: Any = importlib.import_module("asyncio_time_travel")
        found["asyncio-time-travel"] = lambda w, n: run_on(time_travel.TimeTravelLoop, w, 1.0, n)
    except ImportError:
        pass
    try:
        importlib.import_module("trio")
        found["trio MockClock(autojump_threshold=0)"] = run_trio
    except ImportError:
        pass
    return found


def measure_ratios(
    rounds: int, only: str | None, best_of: int, looptime_default: bool = False
) -> dict[str, dict[str, list[float]]]:
    """Run every system on every workload for ``rounds`` rounds; return ratios to base."""
    available = systems(looptime_default)
    if only:
        base = next(iter(available))
        available = {k: v for k, v in available.items() if k == base or only.lower() in k.lower()}
    base_name = next(iter(available))
    ratios: dict[str, dict[str, list[float]]] = {name: {w: [] for w in WORK} for name in available}
    seconds: dict[str, dict[str, list[float]]] = {name: {w: [] for w in WORK} for name in available}
    rng = random.Random(1)
    for run in available.values():  # warm-up at 10% size
        for workload in WORK:
            run(workload, SIZES[workload] // 10)
    for round_no in range(rounds):
        order = list(available)
        rng.shuffle(order)
        this_round: dict[str, dict[str, float]] = {}
        for name in order:
            this_round[name] = {}
            for workload in WORK:
                runs = []
                for _ in range(best_of):
                    gc.collect()
                    runs.append(available[name](workload, SIZES[workload]))
                this_round[name][workload] = min(runs)
        for name in available:
            for workload in WORK:
                elapsed = this_round[name][workload]
                seconds[name][workload].append(elapsed)
                ratios[name][workload].append(elapsed / this_round[base_name][workload])
        print(f"round {round_no + 1}/{rounds} done", file=sys.stderr, flush=True)
    print_table(ratios, seconds)
    return ratios


def print_table(
    ratios: dict[str, dict[str, list[float]]], seconds: dict[str, dict[str, list[float]]]
) -> None:
    """Print the median ratio (min-max) and median seconds per system and workload."""
    print(f"\nPython {sys.version.split()[0]}, median ratio to base (min-max; median seconds)\n")
    print(
        "| system | A: 10k tasks x sleep(U(0,3600)) | B: 100k x sleep(0.01) "
        "| C: 60k call_later(0.001) |"
    )
    print("|---|---:|---:|---:|")
    for name, per_workload in ratios.items():
        cells = []
        for workload in WORK:
            values = per_workload[workload]
            secs = statistics.median(seconds[name][workload])
            cells.append(
                f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f}); "
                f"{secs:.3f} s"
            )
        print(f"| {name} | " + " | ".join(cells) + " |")


# -- constant-time advance and flat memory -----------------------------------------------------


def measure_advance_constant_time() -> None:
    """Time advance(1) and advance(1e9) with nothing scheduled."""

    async def per_call(seconds: float, calls: int) -> float:
        loop = asyncio.get_running_loop()
        assert isinstance(loop, ClockedEventLoop)
        start = time.perf_counter()
        for _ in range(calls):
            await loop.advance(seconds)
        return (time.perf_counter() - start) / calls

    print("\nadvance() with nothing scheduled (microseconds per call):")
    for seconds in (1.0, 1e9):
        loop = ClockedEventLoop()
        try:
            cost = loop.run_until_complete(per_call(seconds, 20_000))
        finally:
            loop.close()
        print(f"  advance({seconds:g}): {cost * 1e6:.2f} us")


def rss_bytes() -> int:
    """Return the current resident set size (Linux /proc), or the peak elsewhere."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure_memory(steps: int) -> None:
    """Run a ``steps``-long call_later(0.001) chain in autojump mode; print RSS along the way."""
    samples: list[tuple[int, float, int]] = []

    async def chain() -> None:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        remaining = steps
        every = steps // 6

        def tick() -> None:
            nonlocal remaining
            remaining -= 1
            if remaining % every == 0:
                samples.append((steps - remaining, loop.time(), rss_bytes()))
            if remaining:
                loop.call_later(0.001, tick)
            else:
                done.set_result(None)

        loop.call_later(0.001, tick)
        await done

    loop = ClockedEventLoop(autojump=True)
    start = time.perf_counter()
    try:
        loop.run_until_complete(chain())
    finally:
        loop.close()
    elapsed = time.perf_counter() - start
    print(f"\nmemory over {steps:,} timer steps ({elapsed:.1f} s real):")
    for step, virtual, rss in samples:
        print(f"  step {step:>9,}  virtual t={virtual:10.3f} s  RSS {rss / 2**20:7.1f} MiB")


def main(argv: list[str]) -> None:
    """Parse arguments and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--best-of", type=int, default=3, help="runs per cell and round; the fastest counts"
    )
    parser.add_argument("--memory-steps", type=int, default=3_600_000)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--only", help="run only the systems whose name contains this")
    parser.add_argument(
        "--looptime-default",
        action="store_true",
        help="also run looptime with its default noop_cycles=42 (slow: ~30 s per round)",
    )
    args = parser.parse_args(argv)
    measure_ratios(args.rounds, args.only, args.best_of, args.looptime_default)
    measure_advance_constant_time()
    if not args.skip_memory:
        measure_memory(args.memory_steps)


if __name__ == "__main__":
    main(sys.argv[1:])
