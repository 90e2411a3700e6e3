"""DeadlockError instead of hangs, in both modes."""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
import time

import pytest

from aiotestkit_clock import ClockedEventLoop, DeadlockError

from ._support import run, running_clock


def test_is_a_runtime_error() -> None:
    assert issubclass(DeadlockError, RuntimeError)


def test_autojump_names_each_pending_task_and_what_it_awaits() -> None:
    async def wait_forever(event: asyncio.Event) -> None:
        await event.wait()

    async def main() -> None:
        event = asyncio.Event()
        waiter = asyncio.ensure_future(wait_forever(event))
        waiter.set_name("the-waiter")
        await waiter

    with pytest.raises(DeadlockError) as caught:
        run(main(), autojump=True)
    message = str(caught.value)
    assert "no timer is pending" in message
    assert "the-waiter" in message
    assert "wait_forever() at" in message
    assert "test_deadlock.py" in message
    assert "wait() at" in message  # Event.wait, where it is suspended
    assert "main() at" in message


def test_advance_mode_explains_that_only_advance_moves_time() -> None:
    async def main() -> None:
        await asyncio.sleep(5)

    start = time.perf_counter()
    with pytest.raises(DeadlockError) as caught:
        run(main())
    assert time.perf_counter() - start < 1.0
    message = str(caught.value)
    assert "the next timer is due at t=5.0" in message
    lines = message.splitlines()
    # One short line per way of moving time: this loop, ClockedTestCase, the pytest plugin.
    assert (
        "  - any loop: `await loop.advance(s)` or `await aiotestkit_clock.advance(s)`, "
        "or `loop.autojump = True`"
    ) in lines
    assert (
        "  - ClockedTestCase: `await self.advance(s)`, or `autojump = True` on the class" in lines
    )
    assert (
        "  - pytest plugin: the `advance` fixture (`await advance(s)`), or "
        "`@pytest.mark.aiotestkit(clock=True, autojump=True)`"
    ) in lines
    assert "sleep() at" in message


def test_no_deadlock_while_a_thread_may_still_deliver() -> None:
    def work() -> str:
        time.sleep(0.03)
        return "done"

    async def main() -> str:
        return await asyncio.to_thread(work)

    assert run(main()) == "done"
    assert run(main(), autojump=True) == "done"


def test_no_deadlock_while_a_subprocess_runs() -> None:
    async def main() -> int:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "import time; time.sleep(0.03)"
        )
        return await proc.wait()

    assert run(main()) == 0


def test_loop_is_usable_after_a_deadlock() -> None:
    loop = ClockedEventLoop()
    try:
        with pytest.raises(DeadlockError):
            loop.run_until_complete(asyncio.sleep(1))

        async def advance_then_sleep() -> float:
            clock = running_clock()
            await clock.advance(1)
            return clock.time()

        assert loop.run_until_complete(advance_then_sleep()) == 1.0
    finally:
        loop.close()


def test_run_forever_with_nothing_to_do_raises_instead_of_hanging() -> None:
    loop = ClockedEventLoop(autojump=True)
    try:
        with pytest.raises(DeadlockError, match="No task is pending"):
            loop.run_forever()
    finally:
        loop.close()


def test_runner_reports_the_deadlock_and_closes_cleanly() -> None:
    async def main() -> None:
        await asyncio.get_running_loop().create_future()

    if sys.version_info >= (3, 11):
        with asyncio.Runner(loop_factory=lambda: ClockedEventLoop(autojump=True)) as runner:
            with pytest.raises(DeadlockError, match="main"):
                runner.run(main())
    else:
        pytest.skip("asyncio.Runner is 3.11+")


def test_a_timer_at_infinity_is_never_reached() -> None:
    async def main() -> None:
        await asyncio.sleep(math.inf)

    with pytest.raises(DeadlockError, match=r"only at t=inf"):
        run(main(), autojump=True)


def test_the_advice_does_not_import_testcase_or_pytest() -> None:
    code = (
        "import asyncio, sys\n"
        "from aiotestkit_clock import ClockedEventLoop, DeadlockError\n"
        "loop = ClockedEventLoop()\n"
        "try:\n"
        "    loop.run_until_complete(asyncio.sleep(5))\n"
        "except DeadlockError as error:\n"
        "    assert 'pytest plugin' in str(error)\n"
        "loop.close()\n"
        "roots = {name.split('.')[0] for name in sys.modules}\n"
        "print(sorted(roots & {'pytest', 'aiotestkit_testcase'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
