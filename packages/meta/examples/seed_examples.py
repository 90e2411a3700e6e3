"""The three examples of asynctest's "Advanced Features" chapter, as written there.

Only their typos are fixed (unclosed brackets, a missing ``try:``, truncated ``await`` lines and
the unused ``fail_on`` mentioned in the prose). ``is_time_around`` is the helper from asynctest's
tutorial (``doc/examples/tutorial/clock.py``), rewritten. They run unchanged under
``import aiotestkit as asynctest``.
"""

from __future__ import annotations

import asyncio
import socket
import time

import aiotestkit as asynctest


def is_time_around(
    expected_time: float, loop: asyncio.AbstractEventLoop | None = None, delta: float = 0.01
) -> bool:
    """Tell whether "now" is within ``delta`` seconds of ``expected_time``.

    "Now" is ``loop.time()`` when a loop is given, else the wall clock ``time.time()``.
    """
    now = loop.time() if loop else time.time()
    return expected_time - delta <= now <= expected_time + delta


class TestAdvanceTime(asynctest.ClockedTestCase):
    async def test_advance_time(self) -> None:
        base_loop_time = self.loop.time()
        base_wall_time = time.time()

        await self.advance(10)

        self.assertEqual(base_loop_time + 10, self.loop.time())
        self.assertTrue(is_time_around(base_wall_time))


class TestWithClockAndCallbacks(asynctest.ClockedTestCase):
    results: list[bool] | None = None

    def runs_at(self, expected_time: float) -> None:
        assert self.results is not None
        self.results.append(is_time_around(expected_time, self.loop))

    @asynctest.fail_on(active_handles=True)
    async def test_callbacks_executed_when_expected(self) -> None:
        self.results = []

        base_time = self.loop.time()
        self.loop.call_later(1, self.runs_at, base_time + 1)
        self.loop.call_at(base_time + 7, self.runs_at, base_time + 7)

        # This shows that the callback didn't run yet
        self.assertEqual(0, len(self.results))

        await self.advance(10)

        # This shows that the callbacks ran...
        self.assertEqual(2, len(self.results))
        # ...when expected
        self.assertTrue(all(self.results))


class TestMockASocket(asynctest.TestCase):
    async def test_read_and_write_from_socket(self) -> None:
        socket_mock = asynctest.SocketMock()
        socket_mock.type = socket.SOCK_STREAM

        recv_data = iter(
            (
                b"some data read",
                b"some other",
                b" ...and the last",
            )
        )

        recv_buffer = bytearray()

        def recv_side_effect(max_bytes: int) -> bytes:
            nonlocal recv_buffer

            if not recv_buffer:
                try:
                    recv_buffer.extend(next(recv_data))
                    asynctest.set_read_ready(socket_mock, self.loop)
                except StopIteration:
                    # nothing left
                    pass

            data = bytes(recv_buffer[:max_bytes])
            recv_buffer = recv_buffer[max_bytes:]

            if recv_buffer:
                # Some more data to read
                asynctest.set_read_ready(socket_mock, self.loop)

            return data

        def send_side_effect(data: bytes) -> int:
            asynctest.set_read_ready(socket_mock, self.loop)
            return len(data)

        socket_mock.recv.side_effect = recv_side_effect
        socket_mock.send.side_effect = send_side_effect

        reader, writer = await asyncio.open_connection(sock=socket_mock)

        writer.write(b"a request?")
        self.assertEqual(b"some", await reader.read(4))
        self.assertEqual(b" data read", await reader.read(10))
        self.assertEqual(b"some other ...and the last", await reader.read())
