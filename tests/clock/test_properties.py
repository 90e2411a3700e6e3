"""Property tests: random timer programs run in exact (deadline, scheduling order).

A program is a tree of operations. Each operation schedules something when its parent runs:
``later`` (call_later), ``at`` (call_at), ``sleep`` (a task sleeping), or ``cancel`` (a callback
that cancels an earlier callback handle if it has not run yet); each may be cancelled right
away, and each schedules its children when it fires. The expected behaviour is derived from the
keys (deadline, scheduling sequence) alone: every callback fires with ``loop.time()`` equal to
its deadline, callbacks fire in increasing key order, sleepers resume in increasing key order
and after every callback with a smaller key, nothing cancelled fires, everything else fires
exactly once.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiotestkit_clock import ClockedEventLoop

from ._support import run, running_clock

Op = tuple[str, float, bool, int, list[Any]]

DELAYS = st.one_of(
    st.sampled_from([0.0, 0.0, 1e-9, 0.001, 0.5, 1.0, 1.0, 2.5, 3.0, 7.25]),
    st.floats(min_value=0.0, max_value=10.0, allow_nan=False, allow_infinity=False),
)
KINDS = st.sampled_from(["later", "later", "at", "sleep", "sleep", "cancel"])


def op_lists(children: st.SearchStrategy[list[Op]]) -> st.SearchStrategy[list[Op]]:
    """Return a strategy for lists of operations whose children come from ``children``."""
    return st.lists(
        st.tuples(KINDS, DELAYS, st.booleans(), st.integers(0, 50), children), max_size=4
    )


PROGRAMS: st.SearchStrategy[list[Op]] = st.recursive(st.just([]), op_lists, max_leaves=24)
STARTS = st.sampled_from([0.0, 12345.678, 1.7e9])
# The deepest program: 24 leaves, each at most 10 s after its parent.
HORIZON = 24 * 10.0 + 1.0


@dataclass
class Event:
    """One callback that fired or one sleeper that resumed."""

    kind: str
    key: tuple[float, int]
    seen: float


@dataclass
class Recorder:
    """Runs a program on the running loop and records what happens."""

    loop: ClockedEventLoop
    seq: int = 0
    events: list[Event] = field(default_factory=list)
    expected: dict[int, tuple[str, float]] = field(default_factory=dict)
    fired: set[int] = field(default_factory=set)
    cancelled: set[int] = field(default_factory=set)
    handles: list[tuple[int, asyncio.TimerHandle]] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def schedule(self, ops: list[Op]) -> None:
        for kind, delay, cancel_now, pick, children in ops:
            if kind == "sleep":
                task = asyncio.ensure_future(self.sleeper(delay, children))
                self.tasks.append(task)
                if cancel_now:
                    task.cancel()
                continue
            seq = self.next_seq()
            deadline = self.loop.time() + delay
            self.expected[seq] = (kind, deadline)
            if kind == "at":
                handle = self.loop.call_at(deadline, self.fire, kind, seq, deadline, children, pick)
            else:
                handle = self.loop.call_later(delay, self.fire, kind, seq, deadline, children, pick)
            self.handles.append((seq, handle))
            if cancel_now:
                handle.cancel()
                self.cancelled.add(seq)

    def fire(self, kind: str, seq: int, deadline: float, children: list[Op], pick: int) -> None:
        assert seq not in self.cancelled
        self.fired.add(seq)
        self.events.append(Event(kind, (deadline, seq), self.loop.time()))
        if kind == "cancel" and self.handles:
            target, handle = self.handles[pick % len(self.handles)]
            if target not in self.fired and target not in self.cancelled:
                handle.cancel()
                self.cancelled.add(target)
        self.schedule(children)

    async def sleeper(self, delay: float, children: list[Op]) -> None:
        # asyncio.sleep creates its timer synchronously: take the sequence number right here.
        # sleep(0) creates no timer at all (it yields once): it has no place in the key order.
        kind = "sleep" if delay > 0 else "yield"
        seq = self.next_seq()
        deadline = self.loop.time() + delay
        self.expected[seq] = (kind, deadline)
        await asyncio.sleep(delay)
        self.fired.add(seq)
        self.events.append(Event(kind, (deadline, seq), self.loop.time()))
        self.schedule(children)

    def check_fired_so_far(self) -> None:
        """Everything due by now has fired, nothing later has."""
        now = self.loop.time()
        for seq, (_, deadline) in self.expected.items():
            if seq in self.cancelled:
                continue
            assert (seq in self.fired) == (deadline <= now), (seq, deadline, now)

    def check(self) -> None:
        for event in self.events:
            assert event.seen == event.key[0], event
        callbacks = [e.key for e in self.events if e.kind not in ("sleep", "yield")]
        sleeps = [e.key for e in self.events if e.kind == "sleep"]
        assert callbacks == sorted(callbacks)
        assert sleeps == sorted(sleeps)
        for position, event in enumerate(self.events):
            if event.kind != "sleep":
                continue
            before = {e.key for e in self.events[:position] if e.kind not in ("sleep", "yield")}
            for other in self.events:
                if other.kind in ("sleep", "yield"):
                    continue
                if other.key < event.key:
                    assert other.key in before, (other, event)
                if other.key[0] > event.key[0]:
                    assert other.key not in before, (other, event)
        assert not (self.fired & self.cancelled)
        assert self.fired | self.cancelled == set(self.expected)
        assert len(self.events) == len(self.fired)


SETTINGS = settings(
    max_examples=int(os.environ.get("CLOCK_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(program=PROGRAMS, start=STARTS)
def test_autojump_runs_programs_in_exact_order(program: list[Op], start: float) -> None:
    async def main() -> None:
        recorder = Recorder(running_clock())
        recorder.schedule(program)
        await asyncio.sleep(HORIZON)
        recorder.check_fired_so_far()
        recorder.check()

    run(main(), start=start, autojump=True)


@SETTINGS
@given(
    program=PROGRAMS,
    start=STARTS,
    steps=st.lists(st.sampled_from([0.0, 0.25, 1.0, 2.5, 3.0, 9.0]), min_size=1, max_size=8),
)
def test_advance_runs_programs_in_exact_order(
    program: list[Op], start: float, steps: list[float]
) -> None:
    async def main() -> None:
        loop = running_clock()
        recorder = Recorder(loop)
        recorder.schedule(program)
        for step in steps:
            before = loop.time()
            await loop.advance(step)
            assert loop.time() == before + step
            recorder.check_fired_so_far()
        await loop.advance(HORIZON)
        recorder.check_fired_so_far()
        recorder.check()

    run(main(), start=start)
