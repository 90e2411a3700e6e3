"""Where leftover tasks were created, recorded by the guard's task factory without debug mode."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from aiotestkit_loopguard import LoopGuard, _compat, check_loop
from aiotestkit_loopguard._tasks import TaskSiteRecorder, TaskSites, is_internal

HERE = __file__


def line_above() -> int:
    """The line number just above the caller's current line."""
    return sys._getframe(1).f_lineno - 1


async def forgotten_worker() -> None:
    await asyncio.sleep(10)


def only_message(loop: asyncio.AbstractEventLoop) -> str:
    [finding] = check_loop(loop, leftover_tasks=True)
    return finding.message


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    # Not in debug mode, whatever the environment says (-X dev, PYTHONASYNCIODEBUG).
    with LoopGuard(debug=False) as guarded:
        yield guarded


def test_the_site_of_loop_create_task(loop: asyncio.AbstractEventLoop) -> None:
    loop.create_task(forgotten_worker(), name="forgotten")
    line = line_above()
    loop.run_until_complete(asyncio.sleep(0))
    message = only_message(loop)
    site = f"task still running: 'forgotten' created at {HERE}:{line} in test_the_site_of_loop"
    assert message.startswith(site)
    if not hasattr(asyncio, "format_call_graph"):  # 3.14+: the call graph instead
        assert f", awaiting: forgotten_worker() at {HERE}:" in message
        assert "-> sleep() at " in message


def test_asyncio_frames_are_skipped(loop: asyncio.AbstractEventLoop) -> None:
    lines: list[int] = []
    keep: list[object] = []

    async def body() -> None:
        keep.append(asyncio.create_task(forgotten_worker()))  # -> loop.create_task
        lines.append(line_above())
        keep.append(asyncio.ensure_future(forgotten_worker()))
        lines.append(line_above())
        keep.append(asyncio.gather(forgotten_worker()))  # wraps the coroutine in a task
        lines.append(line_above())

    loop.run_until_complete(body())
    messages = [finding.message for finding in check_loop(loop, leftover_tasks=True)]
    assert len(messages) == 3
    for line in lines:
        site = f" created at {HERE}:{line} in body, "
        assert len([m for m in messages if site in m]) == 1, (site, messages)


@pytest.mark.skipif(not hasattr(asyncio, "TaskGroup"), reason="TaskGroup is new in 3.11")
def test_task_group_tasks_name_the_line_calling_create_task(
    loop: asyncio.AbstractEventLoop,
) -> None:
    lines: list[int] = []
    messages: list[str] = []

    async def body() -> None:
        async with asyncio.TaskGroup() as group:  # type: ignore[attr-defined,unused-ignore]
            worker = group.create_task(forgotten_worker())
            lines.append(line_above())
            await asyncio.sleep(0)
            messages.extend(f.message for f in check_loop(loop, leftover_tasks=True))
            worker.cancel()

    loop.run_until_complete(body())
    [message] = messages
    assert f"created at {HERE}:{lines[0]} in body" in message


def test_tasks_created_by_run_until_complete_name_its_caller(
    loop: asyncio.AbstractEventLoop,
) -> None:
    leaked: list[asyncio.Task[Any]] = []

    async def leak() -> None:
        task = asyncio.current_task()
        assert task is not None
        leaked.append(task)

    loop.run_until_complete(leak())
    line = line_above()
    sites = LoopGuardRecords.of(loop)
    assert sites[leaked[0]] == (
        HERE,
        line,
        "test_tasks_created_by_run_until_complete_name_its_caller",
    )


class LoopGuardRecords:
    """Reach the guard of a loop (what check_loop does) to inspect its records."""

    @staticmethod
    def of(loop: asyncio.AbstractEventLoop) -> TaskSites:
        from aiotestkit_loopguard._guard import guard_of

        guard = guard_of(loop)
        assert guard is not None
        return guard.records.task_sites


def test_sites_keep_neither_frames_nor_tasks_alive(loop: asyncio.AbstractEventLoop) -> None:
    class Marker:
        pass

    def create() -> tuple[asyncio.Task[None], weakref.ref[Marker]]:
        marker = Marker()  # a local of the creating frame
        return loop.create_task(forgotten_worker()), weakref.ref(marker)

    task, marker = create()
    assert marker() is None  # the creating frame (and its locals) are gone
    sites = LoopGuardRecords.of(loop)
    assert list(sites) == [task]
    assert task in sites
    not_a_task: Any = object()  # not even weakly referenceable
    assert sites.get(not_a_task) is None
    site = sites[task]
    assert type(site) is tuple
    assert [type(part) for part in site] == [str, int, str]
    task.cancel()
    loop.run_until_complete(asyncio.sleep(0))
    task_ref = weakref.ref(task)
    del task
    gc.collect()
    assert task_ref() is None  # the weak mapping does not keep tasks alive
    assert len(sites) == 0


def test_without_a_guard_the_coroutine_definition_is_named() -> None:
    loop = asyncio.new_event_loop()
    try:
        loop.set_debug(False)
        task = loop.create_task(forgotten_worker(), name="unguarded")
        message = only_message(loop)
        code = forgotten_worker.__code__
        assert message.startswith(
            f"task still running: 'unguarded' (coroutine defined at {HERE}:{code.co_firstlineno})"
        )
        task.cancel()
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()


def test_track_tasks_false_installs_no_factory() -> None:
    with LoopGuard(debug=False, track_tasks=False) as loop:
        assert loop.get_task_factory() is None
        loop.create_task(forgotten_worker())
        assert "(coroutine defined at " in only_message(loop)


def test_debug_mode_site_skips_the_guards_factory() -> None:
    with LoopGuard(debug=True) as loop:
        recorder = loop.get_task_factory()
        assert isinstance(recorder, TaskSiteRecorder)
        recorder.active = False  # the factory runs but records nothing: only debug mode knows
        loop.create_task(forgotten_worker())
        line = line_above()
        assert len(LoopGuardRecords.of(loop)) == 0
        assert f"created at {HERE}:{line} in test_debug_mode_site" in only_message(loop)


def test_the_factory_is_restored_and_chains_the_previous_one() -> None:
    created: list[asyncio.Task[Any]] = []

    def counting_factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        task = asyncio.Task(coro, loop=loop, **kwargs)
        created.append(task)
        return task

    state = _compat.capture_current_loop()
    shared = asyncio.new_event_loop()
    shared.set_task_factory(counting_factory)
    asyncio.set_event_loop(shared)
    try:
        with LoopGuard(use_default_loop=True, debug=False) as loop:
            assert loop is shared
            assert isinstance(loop.get_task_factory(), TaskSiteRecorder)
            task = loop.create_task(forgotten_worker(), name="chained")
            line = line_above()
            assert created == [task]  # the previous factory still makes the tasks
            assert task.get_name() == "chained"
            assert f"created at {HERE}:{line} in " in only_message(loop)
        assert shared.get_task_factory() is counting_factory  # exactly the one it had
        assert task.cancelled()
    finally:
        _compat.restore_current_loop(state)
        shared.close()


def test_a_shared_default_loop_gets_no_factory_back() -> None:
    state = _compat.capture_current_loop()
    asyncio.set_event_loop(None)
    try:
        with LoopGuard(use_default_loop=True) as loop:  # creates the shared loop
            assert loop.get_task_factory() is not None
        assert loop.get_task_factory() is None
        assert not loop.is_closed()
        loop.close()
    finally:
        _compat.restore_current_loop(state)


def test_a_factory_the_test_installs_wins() -> None:
    def own_factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        return asyncio.Task(coro, loop=loop, **kwargs)

    state = _compat.capture_current_loop()
    shared = asyncio.new_event_loop()
    asyncio.set_event_loop(shared)
    try:
        with LoopGuard(use_default_loop=True, debug=False) as loop:
            loop.set_task_factory(own_factory)
            loop.create_task(forgotten_worker())
            # No site known any more: say where the coroutine is defined, as without a guard.
            assert "(coroutine defined at " in only_message(loop)
        assert shared.get_task_factory() is own_factory  # left as the test set it
    finally:
        _compat.restore_current_loop(state)
        shared.close()


def test_a_factory_chain_left_behind_stops_recording() -> None:
    guard = LoopGuard()
    loop = guard.start()
    try:
        recorder = loop.get_task_factory()
        assert isinstance(recorder, TaskSiteRecorder)

        def wrapping(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
            return recorder(loop, coro, **kwargs)

        loop.set_task_factory(wrapping)
    finally:
        guard.close()
    assert loop.get_task_factory() is wrapping
    assert not recorder.active


@pytest.mark.skipif(
    not hasattr(asyncio, "eager_task_factory"), reason="eager tasks are new in 3.12"
)
def test_eager_tasks_keep_working() -> None:
    eager = asyncio.eager_task_factory  # type: ignore[attr-defined,unused-ignore]
    started: list[str] = []

    async def starts_at_once() -> None:
        started.append("yes")
        await asyncio.sleep(10)

    async def finishes_at_once() -> str:
        return "done"

    def eager_loop() -> asyncio.AbstractEventLoop:
        new = asyncio.new_event_loop()
        new.set_task_factory(eager)
        new.set_debug(False)
        return new

    lines: list[int] = []

    async def body() -> None:
        loop = asyncio.get_running_loop()
        done = loop.create_task(finishes_at_once())
        assert done.done()  # ran to completion inside create_task: eager
        assert done.result() == "done"
        keep = asyncio.create_task(starts_at_once(), name="eager")
        lines.append(line_above())
        assert not keep.done()
        assert started == ["yes"]  # the first step ran before create_task returned

    with LoopGuard(eager_loop) as loop:
        assert isinstance(loop.get_task_factory(), TaskSiteRecorder)
        loop.run_until_complete(body())
        message = only_message(loop)
        assert message.startswith(f"task still running: 'eager' created at {HERE}:{lines[0]} in ")
    assert loop.get_task_factory() is eager


def test_is_internal() -> None:
    assert is_internal(asyncio.tasks.__file__)
    assert is_internal(os.path.join("site-packages", "aiotestkit_loopguard", "_tasks.py"))
    assert is_internal(os.path.join("src", "aiotestkit", "__init__.py"))
    assert not is_internal(HERE)
    assert not is_internal(os.path.join("tests", "loopguard", "test_x.py"))


def test_a_factory_returning_an_object_without_weakrefs_is_tolerated() -> None:
    class NoWeakrefs:
        __slots__ = ()

        def set_name(self, name: object) -> None:  # create_task calls it on 3.13
            pass

    odd = NoWeakrefs()

    def odd_factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> Any:
        coro.close()
        return odd

    def odd_loop() -> asyncio.AbstractEventLoop:
        new = asyncio.new_event_loop()
        new.set_task_factory(odd_factory)
        return new

    with LoopGuard(odd_loop) as loop:
        made: object = loop.create_task(forgotten_worker())
        assert made is odd
        recorder = loop.get_task_factory()
        assert isinstance(recorder, TaskSiteRecorder)
        recorder.inner = None  # close() creates tasks (shutdown_asyncgens): real ones again


def test_a_task_created_by_a_callback_of_the_test(loop: asyncio.AbstractEventLoop) -> None:
    keep: list[object] = []
    loop.call_soon(lambda: keep.append(asyncio.ensure_future(forgotten_worker())))
    line = line_above()
    loop.run_until_complete(asyncio.sleep(0))
    # The test's own callback (the lambda), not the line that ran the loop.
    assert f"created at {HERE}:{line} in <lambda>" in only_message(loop)


def test_a_task_created_by_the_loop_itself_names_its_coroutine(
    loop: asyncio.AbstractEventLoop,
) -> None:
    # The loop itself calls ensure_future: no line of the test created the task, and the one
    # that ran the loop would mislead. Say where the coroutine is defined instead.
    loop.call_soon(asyncio.ensure_future, forgotten_worker())
    loop.run_until_complete(asyncio.sleep(0))
    message = only_message(loop)
    assert "created at" not in message
    code = forgotten_worker.__code__
    assert f"(coroutine defined at {HERE}:{code.co_firstlineno})" in message


@pytest.mark.skipif(
    not hasattr(asyncio, "eager_task_factory"), reason="eager tasks are new in 3.12"
)
def test_a_failed_eager_task_keeps_no_frame_or_task_in_the_factory() -> None:
    # The exception's traceback links back (f_back) through the frames that created the task,
    # the guard's factory included: that frame must hold neither the task nor a frame.
    async def fails_at_once() -> None:
        raise KeyError("first step")

    def eager_loop() -> asyncio.AbstractEventLoop:
        new = asyncio.new_event_loop()
        new.set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined,unused-ignore]
        return new

    async def body() -> asyncio.Task[None]:
        return asyncio.create_task(fails_at_once())

    with LoopGuard(eager_loop) as loop:
        task = loop.run_until_complete(body())
        error = task.exception()
        assert error is not None
        frame = error.__traceback__.tb_frame if error.__traceback__ else None
        factory_frames = []
        while frame is not None:
            if frame.f_code is TaskSiteRecorder.__call__.__code__:
                factory_frames.append(frame)
            frame = frame.f_back
        assert factory_frames  # the chain does go through the factory
        for factory_frame in factory_frames:
            kinds = {type(value) for value in factory_frame.f_locals.values()}
            assert not kinds & {asyncio.Task, type(factory_frame)}, factory_frame.f_locals
        del factory_frames, frame


async def fails_in_a_cycle() -> None:
    me = asyncio.current_task()  # the traceback's frame keeps the task: a reference cycle
    assert me is not None
    raise KeyError("lost")


async def fails() -> None:
    raise KeyError("lost")


@pytest.mark.parametrize("body", [fails_in_a_cycle, fails], ids=["collected", "refcounted"])
def test_a_never_retrieved_exception_names_where_the_task_was_created(body: Any) -> None:
    with LoopGuard(debug=False) as loop:
        task = loop.create_task(body())
        line = line_above()
        loop.run_until_complete(asyncio.sleep(0))
        del task
        gc.collect()
        [finding] = check_loop(loop, loop_exceptions=True)
    assert "Task exception was never retrieved" in finding.message
    assert f"created at {HERE}:{line} in test_a_never_retrieved" in finding.message


def test_sites_of_collected_tasks_are_only_kept_during_the_collection() -> None:
    from aiotestkit_loopguard import _tasks

    with LoopGuard(debug=False) as loop:
        task = loop.create_task(fails_in_a_cycle())
        loop.run_until_complete(asyncio.sleep(0))
        task_id = id(task)
        del task
        gc.collect()
        assert _tasks._finalized == {}
        assert _tasks.finalized_site(object()) is None
        assert _tasks._on_gc in gc.callbacks
        check_loop(loop, loop_exceptions=True)
    assert _tasks._on_gc not in gc.callbacks  # the last guard removes the collector hook
    assert task_id not in _tasks._finalized


def _unnamed_task_names(loop: asyncio.AbstractEventLoop) -> list[str]:
    keep: list[asyncio.Task[None]] = [loop.create_task(forgotten_worker())]

    async def body() -> None:
        keep.append(asyncio.create_task(forgotten_worker()))
        keep.append(asyncio.ensure_future(forgotten_worker()))

    loop.run_until_complete(body())
    named = loop.create_task(forgotten_worker(), name="given")
    names = [task.get_name() for task in keep] + [named.get_name()]
    for task in [*keep, named]:
        task.cancel()
    loop.run_until_complete(asyncio.sleep(0))
    return names


def _is_default_name(name: str) -> bool:
    prefix, _, number = name.partition("-")
    return prefix == "Task" and number.isdigit()


def test_unnamed_tasks_keep_their_task_n_name(loop: asyncio.AbstractEventLoop) -> None:
    # CPython 3.13.0-3.13.2 name them 'None' once a task factory (the guard's) is set.
    *unnamed, named = _unnamed_task_names(loop)
    assert all(map(_is_default_name, unnamed)), unnamed
    assert named == "given"
    assert "(coroutine defined at" not in only_message_or_none(loop)


def only_message_or_none(loop: asyncio.AbstractEventLoop) -> str:
    return "\n".join(finding.message for finding in check_loop(loop, leftover_tasks=True))


@pytest.mark.skipif(
    not hasattr(asyncio, "eager_task_factory"), reason="eager tasks are new in 3.12"
)
def test_unnamed_tasks_keep_their_name_under_a_factory_of_the_test() -> None:
    def eager_loop() -> asyncio.AbstractEventLoop:
        new = asyncio.new_event_loop()
        new.set_task_factory(asyncio.eager_task_factory)  # type: ignore[attr-defined,unused-ignore]
        return new

    with LoopGuard(eager_loop, debug=False) as loop:
        *unnamed, named = _unnamed_task_names(loop)
        assert all(map(_is_default_name, unnamed)), unnamed
        assert named == "given"


def test_the_create_task_fix_is_removed_by_close() -> None:
    state = _compat.capture_current_loop()
    shared = asyncio.new_event_loop()
    asyncio.set_event_loop(shared)
    try:
        with LoopGuard(use_default_loop=True) as loop:
            assert loop is shared
            fixed = "create_task" in vars(loop)
            assert fixed == _compat.create_task_misnames_unnamed_tasks()
        assert "create_task" not in vars(shared)
        assert shared.get_task_factory() is None
    finally:
        _compat.restore_current_loop(state)
        shared.close()


def test_the_misnaming_probe_matches_the_affected_versions() -> None:
    affected = sys.implementation.name == "cpython" and (3, 13, 0) <= sys.version_info < (3, 13, 3)
    assert _compat.create_task_misnames_unnamed_tasks() is affected
