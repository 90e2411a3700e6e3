"""A short tour of what asynctest never had, each stop a real test with visible output."""

from __future__ import annotations

import asyncio
import re
import time
import unittest

import aiotestkit
from aiotestkit import ClockedTestCase, DeadlockError, FakePeer, TestCase


async def fetch_with_retries(connect: aiotestkit.CoroutineMock, attempts: int) -> float:
    """Call ``connect`` until it succeeds, backing off 1, 2, 4, ... minutes; return the wait."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    delay = 60.0
    for _ in range(attempts):
        try:
            await connect()
        except ConnectionError:
            await asyncio.sleep(delay)
            delay *= 2
        else:
            return loop.time() - start
    raise ConnectionError("gave up")


def short(text: str, width: int = 110) -> str:
    """Shorten a message for the demo's output: file names without folders, one line."""
    text = re.sub(r"/\S*/([\w.]+\.py)", r"\1", " ".join(text.split()))
    return text if len(text) <= width else text[: width - 3] + "..."


class AutoAdvance(ClockedTestCase):
    """Auto-advance: time jumps to the next timer whenever the loop would wait."""

    autojump = True

    async def test_an_hour_of_backoff_in_milliseconds(self) -> None:
        failures = [ConnectionError("down")] * 5
        connect = aiotestkit.CoroutineMock(side_effect=[*failures, "up"])
        real_start = time.perf_counter()
        waited = await fetch_with_retries(connect, attempts=6)
        real_ms = (time.perf_counter() - real_start) * 1e3
        self.assertEqual(waited, 60 + 120 + 240 + 480 + 960)  # 31 virtual minutes
        print(f"\n    waited {waited / 60:.0f} virtual minutes in {real_ms:.1f} real ms", end=" ")

    async def test_a_timeout_fires_exactly_on_time(self) -> None:
        with self.assertRaises(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.sleep(3600), timeout=1800)
        self.assertEqual(self.loop.time(), 1800)


class DeadlockInsteadOfHang(TestCase):
    """A test that can never finish fails at once with what it waits for, instead of hanging."""

    def test_waiting_for_an_event_nobody_sets(self) -> None:
        class Stuck(ClockedTestCase):
            autojump = True

            async def test_waits_forever(self) -> None:
                await asyncio.Event().wait()  # nobody will ever set it

        result = unittest.TestResult()
        Stuck("test_waits_forever").run(result)
        self.assertEqual(len(result.errors), 1)
        trace = result.errors[0][1]
        self.assertIn(DeadlockError.__name__, trace)
        line = next(line for line in trace.splitlines() if "suspended in" in line)
        print(f"\n    DeadlockError, the task is {short(line)}", end=" ")


class LeakChecks(TestCase):
    """@strict reports leaked tasks and timers with where they were created."""

    def test_leaky_test_is_reported(self) -> None:
        class Leaky(TestCase):
            @aiotestkit.strict
            async def test_forgets_its_task(self) -> None:
                asyncio.get_running_loop().create_task(asyncio.sleep(3600), name="forgotten")

        result = unittest.TestResult()
        Leaky("test_forgets_its_task").run(result)
        self.assertEqual(len(result.failures), 1)
        message = result.failures[0][1].strip().splitlines()[-1]
        self.assertIn("forgotten", message)
        print(f"\n    the leaky test failed with: {short(message)}", end=" ")


class FaultInjection(TestCase):
    """A scripted fake peer: chunked data, congestion, resets, EOF mid-message."""

    async def test_stream_survives_one_byte_chunks_and_sees_a_reset(self) -> None:
        peer = FakePeer()
        reader, writer = await asyncio.open_connection(sock=peer.socket)
        writer.write(b"PING\r\n")
        self.assertEqual(await peer.readexactly(6), b"PING\r\n")
        peer.feed(b"PONG\r\n", chunks=1)  # one byte per recv()
        self.assertEqual(await reader.readline(), b"PONG\r\n")
        peer.reset()
        with self.assertRaises(ConnectionResetError):
            await reader.read(1)
        writer.close()
        print("\n    1-byte chunks reassembled; reset seen as ConnectionResetError", end=" ")

    async def test_eof_in_the_middle_of_a_message(self) -> None:
        peer = FakePeer()
        reader, writer = await asyncio.open_connection(sock=peer.socket)
        peer.feed(b"HEAD")
        peer.close()
        with self.assertRaises(asyncio.IncompleteReadError) as caught:
            await reader.readexactly(10)
        self.assertEqual(caught.exception.partial, b"HEAD")
        writer.close()
