"""Autojump: idle time jumps to the next timer, but never past real work in flight."""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
import sys
import threading
import time
import warnings

import pytest

from aiotestkit_clock import ClockedEventLoop

from ._support import run, running_clock


def test_an_hour_of_sleep_takes_no_real_time() -> None:
    async def main() -> float:
        loop = running_clock()
        start = time.perf_counter()
        await asyncio.sleep(3600)
        assert loop.time() == 3600.0
        return time.perf_counter() - start

    assert run(main(), autojump=True) < 0.1


def test_every_sleeper_wakes_at_its_own_time() -> None:
    async def main() -> None:
        loop = running_clock()
        woke: list[tuple[float, float]] = []

        async def sleeper(delay: float) -> None:
            await asyncio.sleep(delay)
            woke.append((delay, loop.time()))

        delays = [(i * 7919) % 1000 / 7 for i in range(300)]
        await asyncio.gather(*(sleeper(d) for d in delays))
        assert sorted(woke) == sorted((d, d) for d in delays)
        assert [d for d, _ in woke] == sorted(delays)

    run(main(), autojump=True)


def test_autojump_can_be_switched_at_run_time() -> None:
    async def main() -> None:
        loop = running_clock()
        await asyncio.sleep(10)
        assert loop.time() == 10.0
        loop.autojump = False
        sleeper = asyncio.ensure_future(asyncio.sleep(5))
        await loop.advance(2)
        assert not sleeper.done()
        assert loop.time() == 12.0
        loop.autojump = True
        await sleeper
        assert loop.time() == 15.0

    run(main(), autojump=True)


def test_advance_inside_autojump_mode_stops_exactly_at_its_target() -> None:
    async def main() -> None:
        loop = running_clock()
        loop.call_later(100, lambda: None)
        await loop.advance(30)
        assert loop.time() == 30.0

    run(main(), autojump=True)


def test_a_thread_job_is_not_overtaken_by_a_long_timeout() -> None:
    # asynctest, aiotools, asyncio-time-travel and trio's autojump all time out here.
    async def main() -> float:
        loop = running_clock()
        await asyncio.wait_for(asyncio.to_thread(time.sleep, 0.05), 10)
        return loop.time()

    assert run(main(), autojump=True) == 0.0


def test_timeout_around_run_in_executor_with_own_executor() -> None:
    def work() -> int:
        time.sleep(0.03)
        return 42

    async def main() -> None:
        loop = running_clock()
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            if sys.version_info >= (3, 11):
                async with asyncio.timeout(10):
                    value = await loop.run_in_executor(pool, work)
            else:
                value = await asyncio.wait_for(loop.run_in_executor(pool, work), 10)
        assert value == 42
        assert loop.time() == 0.0

    run(main(), autojump=True)


def test_time_stands_still_while_a_cancelled_job_keeps_running() -> None:
    async def main() -> None:
        loop = running_clock()
        release = concurrent.futures.Future[None]()
        job = loop.run_in_executor(None, release.result)
        job.cancel()  # the thread keeps running, and may still call back into the loop
        ticks: list[float] = []
        start = time.perf_counter()
        loop.call_later(1, lambda: ticks.append(time.perf_counter() - start))
        timer = threading.Timer(0.02, release.set_result, (None,))
        timer.start()
        # The tick is frozen until the thread ends; then time jumps to it.
        await asyncio.sleep(2)
        # The tick waited for the thread (20 ms of real time) before time could jump to it.
        assert len(ticks) == 1
        assert ticks[0] >= 0.015
        timer.join()

    run(main(), autojump=True)


def test_busy_polling_with_sleep_0_keeps_virtual_time_still() -> None:
    # The README's limitation: a task that is always ready keeps autojump from moving time.
    async def main() -> tuple[float, bool]:
        loop = running_clock()
        timer = asyncio.ensure_future(asyncio.sleep(1))
        for _ in range(1000):
            await asyncio.sleep(0)
        timer.cancel()
        return loop.time(), timer.done()

    assert run(main(), autojump=True) == (0.0, False)


def test_polling_with_a_small_positive_delay_lets_a_timeout_fire() -> None:
    # The README's workaround: each poll is one jump, and the timeout fires at its deadline.
    async def main() -> float:
        loop = running_clock()

        async def wait_until_ready() -> None:
            while True:  # noqa: ASYNC110 - the polling pattern under test; never ready
                await asyncio.sleep(0.01)

        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(wait_until_ready(), 5)
        return loop.time()

    assert run(main(), autojump=True) == pytest.approx(5.0)


def test_a_subprocess_is_not_overtaken() -> None:
    async def main() -> float:
        loop = running_clock()
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "import time; time.sleep(0.05)"
        )
        assert await asyncio.wait_for(proc.wait(), 10) == 0
        return loop.time()

    assert run(main(), autojump=True) == 0.0


def test_real_sockets_get_their_round_trips_before_time_jumps() -> None:
    async def main() -> float:
        loop = running_clock()

        async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(await reader.readline())
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        ticker = asyncio.ensure_future(asyncio.sleep(3600))  # a far timer to jump to
        try:
            for i in range(5):
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", port), 10
                )
                writer.write(b"ping %d\n" % i)
                assert await asyncio.wait_for(reader.readline(), 10) == b"ping %d\n" % i
                writer.close()
                await writer.wait_closed()
        finally:
            server.close()
            await server.wait_closed()
        now = loop.time()
        await ticker
        return now

    assert run(main(), autojump=True) == 0.0


def test_selector_registrations_of_the_self_pipe_do_not_count() -> None:
    # A long grace makes a wrongly taken wait obvious, even on a slow, loaded machine.
    loop = ClockedEventLoop(autojump=True, io_grace=0.5)
    try:

        async def main() -> float:
            await asyncio.sleep(5)
            return loop.time()

        start = time.perf_counter()
        assert loop.run_until_complete(main()) == 5.0
        # No io_grace wait happened: only the self-pipe is registered.
        assert time.perf_counter() - start < 0.25
    finally:
        loop.close()


def test_a_registered_real_socket_only_delays_each_jump_by_the_grace() -> None:
    a, b = socket.socketpair()

    async def main() -> float:
        loop = running_clock()
        loop.add_reader(a.fileno(), lambda: None)  # never becomes readable
        try:
            start = time.perf_counter()
            await asyncio.sleep(3600)
            assert loop.time() == 3600.0
            return time.perf_counter() - start
        finally:
            loop.remove_reader(a.fileno())

    try:
        elapsed = run(main(), autojump=True, io_grace=0.005)
    finally:
        a.close()
        b.close()
    assert 0.004 < elapsed < 0.5


@pytest.mark.parametrize(
    ("awaited", "seconds"), [(False, 0.05), (True, 0.001)], ids=["job-running", "workers-idle"]
)
def test_executor_shutdown_is_not_cut_short_by_virtual_time(awaited: bool, seconds: float) -> None:
    # A job still running (fire and forget), or idle workers to join, in real time: on 3.12+
    # the join timeout of shutdown_default_executor runs on loop time and must not fire.
    async def main() -> None:
        job = running_clock().run_in_executor(None, time.sleep, seconds)
        if awaited:
            await job

    loop = ClockedEventLoop(autojump=True)
    try:
        loop.run_until_complete(main())
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            if sys.version_info >= (3, 12):
                loop.run_until_complete(loop.shutdown_default_executor(300))
            else:
                loop.run_until_complete(loop.shutdown_default_executor())
        assert loop.time() == 0.0
    finally:
        loop.close()
