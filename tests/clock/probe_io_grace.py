"""What ``io_grace`` costs per time jump, and when skipping it is safe: a measurement script.

Run it with ``python tests/clock/probe_io_grace.py`` (needs only aiotestkit-clock installed);
it is not part of the test command. It prints:

1. The real time of 50 virtual seconds (a periodic 1 s worker, so 50 jumps) while a listening
   ``asyncio.start_server`` is registered and nobody connects, in autojump mode and with
   ``advance(50)``, for several ``io_grace`` values.
2. Self-talk with ``io_grace = 0``: round trips between a client and a server in the same loop
   (TCP over loopback and a Unix socket pair), with the 1 s worker running, each guarded by
   ``wait_for(..., 10)``; it counts the round trips during which virtual time moved (a reply
   the clock overtook).
3. The kernel's part: how often data sent on one end of a loopback pair (or a non-blocking
   ``connect()`` to a listening socket) is not yet readable by an immediate ``select(0)``.
4. The other side: a peer outside the loop (a plain thread, like another process or a remote
   server) that answers each line after 5 ms of real time, for several ``io_grace`` values.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import sys
import threading
import time
from collections.abc import Coroutine
from typing import Any

from aiotestkit_clock import ClockedEventLoop, advance


async def _ticker() -> None:
    for _ in range(10**9):  # until cancelled
        await asyncio.sleep(1)


def _run(main: Coroutine[Any, Any, float], *, autojump: bool, io_grace: float) -> float:
    loop = ClockedEventLoop(autojump=autojump, io_grace=io_grace)
    try:
        return loop.run_until_complete(main)
    finally:
        loop.close()


async def _fifty_seconds_with_a_listener(by_advance: bool) -> float:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    ticker = asyncio.ensure_future(_ticker())
    start = time.perf_counter()
    if by_advance:
        await advance(50)
    else:
        await asyncio.sleep(50)
    elapsed = time.perf_counter() - start
    ticker.cancel()
    server.close()
    await server.wait_closed()
    return elapsed


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        writer.write(line)
        await writer.drain()
    writer.close()


async def _self_talk(kind: str, rounds: int) -> float:
    """Return how many round trips the clock overtook (virtual time moved during them)."""
    loop = asyncio.get_running_loop()
    ticker = asyncio.ensure_future(_ticker())
    server: asyncio.Server | None = None
    if kind == "tcp":
        server = await asyncio.start_server(_echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    else:
        left, right = socket.socketpair()
        peer = asyncio.ensure_future(_echo(*await asyncio.open_connection(sock=right)))
        reader, writer = await asyncio.open_connection(sock=left)
    overtaken = 0
    for i in range(rounds):
        before = loop.time()
        writer.write(b"%d\n" % i)
        try:
            line = await asyncio.wait_for(reader.readline(), 10)
        except asyncio.TimeoutError:
            line = b""
        if line != b"%d\n" % i or loop.time() != before:
            overtaken += 1
        await asyncio.sleep(0.5)  # let the worker's timers make virtual time jump in between
    writer.close()
    await writer.wait_closed()
    if server is not None:
        server.close()
        await server.wait_closed()
    else:
        await peer
    ticker.cancel()
    return overtaken


def _slow_echo_thread(sock: socket.socket) -> None:
    with sock, sock.makefile("rb") as lines:
        for line in lines:
            time.sleep(0.005)
            sock.sendall(line)


async def _outside_peer(rounds: int) -> float:
    """Like _self_talk, against a peer the loop does not know about (a plain thread)."""
    loop = asyncio.get_running_loop()
    ticker = asyncio.ensure_future(_ticker())
    left, right = socket.socketpair()
    thread = threading.Thread(target=_slow_echo_thread, args=(right,), daemon=True)
    thread.start()
    reader, writer = await asyncio.open_connection(sock=left)
    overtaken = 0
    for i in range(rounds):
        before = loop.time()
        writer.write(b"%d\n" % i)
        try:
            line = await asyncio.wait_for(reader.readline(), 10)
        except asyncio.TimeoutError:
            line = await reader.readline()  # resynchronise with the peer
        if line != b"%d\n" % i or loop.time() != before:
            overtaken += 1
        await asyncio.sleep(0.5)
    writer.close()
    await writer.wait_closed()
    thread.join()
    ticker.cancel()
    return overtaken


def _kernel_misses(count: int) -> dict[str, int]:
    def pair_misses(a: socket.socket, b: socket.socket) -> int:
        misses = 0
        for _ in range(count):
            a.send(b"x")
            if not select.select([b], [], [], 0)[0]:
                misses += 1
                select.select([b], [], [], 1)
            b.recv(16)
        return misses

    result: dict[str, int] = {}
    a, b = socket.socketpair()
    with a, b:
        result["unix socketpair send -> peer readable"] = pair_misses(a, b)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        address = listener.getsockname()
        with socket.create_connection(address) as client:
            accepted, _ = listener.accept()
            with accepted:
                result["tcp loopback send -> peer readable"] = pair_misses(client, accepted)
        misses = 0
        for _ in range(count // 10):
            with socket.socket() as connecting:
                connecting.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    connecting.connect(address)
                if not select.select([listener], [], [], 0)[0]:
                    misses += 1
                    select.select([listener], [], [], 1)
                listener.accept()[0].close()
        result["tcp non-blocking connect -> listener readable"] = misses
    return result


def main() -> None:
    """Print the four measurements."""
    print(f"Python {sys.version.split()[0]} on {sys.platform}")
    print("\n1. 50 virtual seconds, a 1 s worker, a listening server nobody connects to:")
    for io_grace in (0.02, 0.005, 0.0):
        for by_advance in (False, True):
            elapsed = _run(
                _fifty_seconds_with_a_listener(by_advance),
                autojump=not by_advance,
                io_grace=io_grace,
            )
            mode = "advance(50)" if by_advance else "autojump   "
            print(
                f"   io_grace={io_grace:<5} {mode} {elapsed * 1000:8.1f} ms real "
                f"({elapsed / 50 * 1000:.2f} ms per jump)"
            )
    print("\n2. Self-talk with io_grace=0 (300 round trips each, a 1 s worker running):")
    for kind in ("tcp", "unix"):
        overtaken = _run(_self_talk(kind, 300), autojump=True, io_grace=0.0)
        print(f"   {kind:4}: {overtaken:.0f} of 300 round trips overtaken by the clock")
    print("\n3. The kernel: data not yet readable by an immediate select(0):")
    for name, misses in _kernel_misses(100_000).items():
        total = 10_000 if "connect" in name else 100_000
        print(f"   {name}: {misses} of {total}")
    print("\n4. A peer outside the loop answering after 5 ms (30 round trips, a 1 s worker):")
    for io_grace in (0.02, 0.005, 0.0):
        overtaken = _run(_outside_peer(30), autojump=True, io_grace=io_grace)
        print(
            f"   io_grace={io_grace:<5}: {overtaken:.0f} of 30 round trips overtaken by the clock"
        )


if __name__ == "__main__":
    main()
