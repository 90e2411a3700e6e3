"""A scripted remote end for a SocketMock, with fault injection and an in-memory TLS server.

asynctest left scripting a conversation to hand-written ``side_effect`` functions (see its
"Mocking I/O" chapter). ``FakePeer`` does that plumbing: it answers ``recv``/``recv_into``/
``recvfrom``/``send``/``sendmsg``/``sendto``/``shutdown``/``close`` of the mock, tells the
``TestSelector`` when the socket is readable or writable (level-triggered, like a real socket),
and can misbehave the way real networks do.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import numbers
import selectors
import socket
import ssl as _ssl
from collections.abc import Callable, Iterable
from typing import Any

from ._selector import SocketMock, _find_test_selector, _register_poller

__all__ = ("FakePeer",)

Address = Any
# What feed() and feed_datagram() take (any object with the buffer protocol works at run time).
BytesLike = bytes | bytearray | memoryview


def _bytes_like(function: str, data: object) -> bytes:
    """A copy of bytes-like ``data``; refuse ``str`` and ``int`` (``bytes(5)`` is 5 zero bytes)."""
    if isinstance(data, str):
        msg = f"{function}() takes bytes-like data, got str; encode it first: {data!r:.40}"
        raise TypeError(msg)
    try:
        view = memoryview(data)  # type: ignore[arg-type]
    except TypeError:
        msg = f"{function}() takes bytes-like data (bytes, bytearray, memoryview), got {data!r:.40}"
        raise TypeError(msg) from None
    with view:
        return view.tobytes()


def _split(data: bytes, chunks: int | Iterable[int] | None) -> list[bytes]:
    """Cut ``data`` into pieces: one piece, pieces of ``chunks`` bytes, or the given sizes."""
    if chunks is None:
        return [data] if data else []
    if isinstance(chunks, bool) or not isinstance(chunks, (int, Iterable)):
        msg = f"chunks must be None, an int or an iterable of ints, got {chunks!r}"
        raise TypeError(msg)
    if isinstance(chunks, int):
        if chunks <= 0:
            msg = f"chunks must be > 0, got {chunks!r}"
            raise ValueError(msg)
        return [data[i : i + chunks] for i in range(0, len(data), chunks)]
    pieces, start = [], 0
    for size in chunks:
        if isinstance(size, bool) or not isinstance(size, int):
            msg = f"chunk sizes must be ints, got {size!r}"
            raise TypeError(msg)
        if size <= 0:
            msg = f"chunk sizes must be > 0, got {size!r}"
            raise ValueError(msg)
        pieces.append(data[start : start + size])
        start += size
    if start < len(data):
        pieces.append(data[start:])
    return [piece for piece in pieces if piece]


def _seconds(name: str, value: object) -> float:
    """Check a delay in loop seconds: a finite real number >= 0 (NaN would never fire)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        msg = f"{name} must be a number of loop seconds (an int or float >= 0), got {value!r}"
        raise TypeError(msg)
    seconds = float(value)
    if not math.isfinite(seconds) or seconds < 0:
        msg = f"{name} must be a finite number of loop seconds >= 0, got {value!r}"
        raise ValueError(msg)
    return seconds


class FakePeer:
    r"""The other end of a ``SocketMock``: scripted data, recorded writes, injected faults.

    The code under test uses the socket mock as usual (``asyncio.open_connection(sock=...)``,
    ``loop.sock_recv``, a datagram endpoint...); the test drives the peer::

        peer = FakePeer()
        reader, writer = await asyncio.open_connection(sock=peer.socket)
        writer.write(b"PING\\r\\n")
        assert await peer.readexactly(6) == b"PING\\r\\n"
        peer.feed(b"PONG\\r\\n", chunks=1)     # delivered one byte per recv()
        assert await reader.readline() == b"PONG\\r\\n"

    Faults: ``send_limit`` (short writes), ``congest()``/``relieve()`` (``BlockingIOError`` on
    send, then writable again), ``reset()`` (``ConnectionResetError``), ``close()`` after a partial
    message (EOF mid-message), and ``latency``/``delay=`` (delivery after a delay of the loop's
    clock: virtual with a virtual-time loop).

    The socket must be polled by a loop whose selector is a ``TestSelector``. Use the peer from the
    loop's thread.

    Args:
        sock: the socket mock to drive; a new ``SocketMock()`` if None. A ``SOCK_DGRAM`` mock gets
            datagram semantics (``feed_datagram``, ``datagrams``).
        ssl: a server-side ``ssl.SSLContext``: the peer then speaks TLS. ``feed``/``received``/
            ``read`` deal in plaintext, and the code connects with
            ``open_connection(sock=peer.socket, ssl=client_context, server_hostname=...)``.
        latency: default delay, in loop seconds (a finite number >= 0), of everything the peer
            delivers.
        loop: the loop whose clock delays follow; the running loop if None.
        address: the peer's address, as ``getpeername()`` and ``recvfrom()`` report it.

    Raises:
        TypeError: the loop (``loop``, or the running one) cannot host fake file objects: its
            selector is not a ``TestSelector`` (uvloop, Proactor, a plain selector loop); or
            ``latency`` is not a number; or ``ssl`` is given for a ``SOCK_DGRAM`` socket.
        ValueError: ``latency`` is negative, infinite or NaN.
    """

    def __init__(
        self,
        sock: SocketMock | None = None,
        *,
        ssl: _ssl.SSLContext | None = None,
        latency: float = 0.0,
        loop: asyncio.AbstractEventLoop | None = None,
        address: Address = ("127.0.0.1", 8080),
    ) -> None:
        self.socket: SocketMock = sock if sock is not None else SocketMock()
        """The socket mock the code under test uses."""
        self._latency = _seconds("latency", latency)
        self._send_limit: int | None = None
        self.address = address
        self.datagrams: list[tuple[bytes, Address]] = []
        """Datagrams the code sent, with the address they were sent to (None if connected)."""
        if loop is None:
            with contextlib.suppress(RuntimeError):
                loop = asyncio.get_running_loop()
        if loop is not None:
            # Fail here, with a TypeError naming the loop to use, rather than later with an
            # OSError (uvloop) or a logged callback error and a hang (a plain selector loop).
            _find_test_selector(loop)
        self._loop = loop
        self._datagram = self.socket.type == socket.SOCK_DGRAM
        if ssl is not None and self._datagram:
            msg = (
                f"ssl= needs a stream socket, but {self.socket!r} is a SOCK_DGRAM socket "
                "(asyncio has no TLS over datagrams)"
            )
            raise TypeError(msg)
        self._incoming: collections.deque[bytes] = collections.deque()
        self._incoming_datagrams: collections.deque[tuple[bytes, Address]] = collections.deque()
        self._eof = False
        self._error: OSError | None = None
        self._congested = False
        self._sent = bytearray()
        self._unread = bytearray()
        self._code_closed = False
        self._waiters: list[asyncio.Future[None]] = []
        self._actions: collections.deque[tuple[float, Callable[[], None]]] = collections.deque()
        self._timer: asyncio.TimerHandle | None = None
        self.tls_error: Exception | None = None
        """The error that ended the TLS session on the peer's side, if any."""
        self._tls: _ssl.SSLObject | None = None
        self._tls_plain_pending: list[bytes] = []
        self._handshaken = False
        if ssl is not None:
            self._tls_in = _ssl.MemoryBIO()
            self._tls_out = _ssl.MemoryBIO()
            self._tls = ssl.wrap_bio(self._tls_in, self._tls_out, server_side=True)
        self._install()
        _register_poller(self.socket.fileno(), self)

    @property
    def latency(self) -> float:
        """Default delay (loop seconds) of ``feed``, ``feed_datagram``, ``close`` and ``reset``.

        Raises:
            TypeError: the value is not a number.
            ValueError: the value is negative, infinite or NaN.
        """
        return self._latency

    @latency.setter
    def latency(self, value: float) -> None:
        self._latency = _seconds("latency", value)

    @property
    def send_limit(self) -> int | None:
        """At most this many bytes are accepted by each ``send``/``sendmsg`` (short writes).

        None (the default) accepts everything. To make ``send`` accept nothing, congest the
        peer instead: a socket that is writable but takes no bytes would make the loop retry
        forever.

        Raises:
            TypeError: the value is not an int or None.
            ValueError: the value is below 1.
        """
        return self._send_limit

    @send_limit.setter
    def send_limit(self, value: int | None) -> None:
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                msg = f"send_limit must be an int >= 1 or None, got {value!r}"
                raise TypeError(msg)
            if value < 1:
                msg = (
                    f"send_limit must be >= 1 or None, got {value!r}; use congest() to block sends"
                )
                raise ValueError(msg)
        self._send_limit = value

    def __repr__(self) -> str:
        state = "reset" if self._error else "closed" if self._eof else "open"
        return f"<FakePeer {state} unread={len(self._unread)} of {self.socket!r}>"

    # Wiring ---------------------------------------------------------------------------------

    def _install(self) -> None:
        sock = self.socket
        sock.recv.side_effect = self._recv
        sock.recv_into.side_effect = self._recv_into
        sock.recvfrom.side_effect = self._recvfrom
        sock.recvfrom_into.side_effect = self._recvfrom_into
        sock.send.side_effect = self._send
        sock.sendall.side_effect = self._sendall
        sock.sendmsg.side_effect = self._sendmsg
        sock.sendto.side_effect = self._sendto
        sock.shutdown.side_effect = self._shutdown
        sock.close.side_effect = self._close
        if self._datagram:
            sock.getpeername.side_effect = OSError(107, "Transport endpoint is not connected")
        else:
            sock.getpeername.return_value = self.address

    def _fakeio_poll(self) -> int:
        """Readiness as a real socket would report it (called by ``TestSelector.select``)."""
        # Readable only when a recv would not raise BlockingIOError: the loop calls recv once
        # per readiness, so readiness with nothing receivable makes it poll again at once, at
        # 100% CPU (or forever, with a virtual-time loop that never sees an idle moment).
        mask = 0
        if self._datagram:
            readable = bool(self._incoming_datagrams) or self._error is not None
        else:
            readable = bool(self._incoming) or self._eof or self._error is not None
        if readable:
            mask |= selectors.EVENT_READ
        if not self._congested or self._error:
            mask |= selectors.EVENT_WRITE
        return mask

    # The socket's side ----------------------------------------------------------------------

    def _take(self, size: int) -> bytes:
        if self._error is not None:
            raise self._error
        if not self._incoming:
            if self._eof:
                return b""
            raise BlockingIOError("no data from the fake peer yet")
        if size <= 0:
            size = len(self._incoming[0])
        chunk = self._incoming[0]
        if len(chunk) > size:
            self._incoming[0] = chunk[size:]
            return chunk[:size]
        self._incoming.popleft()
        return chunk

    def _take_datagram(self, size: int) -> tuple[bytes, Address]:
        if self._error is not None:
            raise self._error
        if not self._incoming_datagrams:
            raise BlockingIOError("no datagram from the fake peer yet")
        data, address = self._incoming_datagrams.popleft()
        return (data[:size] if size > 0 else data), address

    def _recv(self, size: int, flags: int = 0) -> bytes:
        if self._datagram:
            return self._take_datagram(size)[0]
        return self._take(size)

    def _recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        view = memoryview(buffer).cast("B")
        size = nbytes or len(view)
        data = self._recv(size)
        view[: len(data)] = data
        return len(data)

    def _recvfrom(self, size: int, flags: int = 0) -> tuple[bytes, Address]:
        if self._datagram:
            return self._take_datagram(size)
        return self._take(size), self.address

    def _recvfrom_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> tuple[int, Address]:
        view = memoryview(buffer).cast("B")
        data, address = self._recvfrom(nbytes or len(view))
        view[: len(data)] = data
        return len(data), address

    def _check_writable(self) -> None:
        if self._error is not None:
            raise self._error
        if self._code_closed:
            raise BrokenPipeError(32, "Broken pipe")
        if self._congested:
            raise BlockingIOError("the fake peer's receive window is full")

    def _send(self, data: Any, flags: int = 0) -> int:
        self._check_writable()
        payload = bytes(data)
        if self._datagram:
            self.datagrams.append((payload, None))
            return len(payload)
        if self._send_limit is not None:
            payload = payload[: self._send_limit]
        self._accept(payload)
        return len(payload)

    def _sendall(self, data: Any, flags: int = 0) -> None:
        self._check_writable()
        self._accept(bytes(data))

    def _sendmsg(self, buffers: Iterable[Any], *args: Any) -> int:
        return self._send(b"".join(bytes(buffer) for buffer in buffers))

    def _sendto(self, data: Any, *args: Any) -> int:
        self._check_writable()
        payload = bytes(data)
        self.datagrams.append((payload, args[-1] if args else None))
        return len(payload)

    def _shutdown(self, how: int) -> None:
        if how in (socket.SHUT_WR, socket.SHUT_RDWR):
            self._code_eof()

    def _close(self) -> None:
        self._code_eof()

    def _code_eof(self) -> None:
        self._code_closed = True
        self._notify()

    def _accept(self, raw: bytes) -> None:
        """Bytes the code managed to send."""
        if self._tls is None:
            self._deliver_to_test(raw)
            return
        self._tls_in.write(raw)
        self._pump_tls()

    def _deliver_to_test(self, data: bytes) -> None:
        if data:
            self._sent += data
            self._unread += data
            self._notify()

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # TLS ------------------------------------------------------------------------------------

    def _flush_tls(self) -> None:
        out = self._tls_out.read()
        if out:
            self._incoming.append(out)

    def _pump_tls(self) -> None:
        tls = self._tls
        assert tls is not None
        try:
            if not self._handshaken:
                try:
                    tls.do_handshake()
                except _ssl.SSLWantReadError:
                    return
                self._handshaken = True
                for piece in self._tls_plain_pending:
                    tls.write(piece)
                    self._flush_tls()
                self._tls_plain_pending.clear()
            while True:
                try:
                    data = tls.read(65536)
                except _ssl.SSLWantReadError:
                    break
                except _ssl.SSLZeroReturnError:
                    data = b""
                if not data:
                    # The code sent close_notify (SSLObject.read returns b"" for it, or raises
                    # SSLZeroReturnError): answer with ours, as a polite server does, or the
                    # code's transport waits for it until its SSL shutdown timeout.
                    self._code_eof()
                    with contextlib.suppress(_ssl.SSLError):
                        tls.unwrap()
                    break
                self._deliver_to_test(data)
        except _ssl.SSLError as exc:
            self.tls_error = exc
            self._eof = True
        finally:
            self._flush_tls()

    # The test's side ------------------------------------------------------------------------

    def _get_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.get_running_loop()
            _find_test_selector(loop)
            self._loop = loop
        return self._loop

    def _schedule(self, action: Callable[[], None], delay: float | None) -> None:
        delay = self._latency if delay is None else _seconds("delay", delay)
        if delay == 0 and not self._actions:
            action()
            return
        loop = self._get_loop()
        when = loop.time() + delay
        if self._actions:
            when = max(when, self._actions[-1][0])  # keep the order things were scripted in
        self._actions.append((when, action))
        if self._timer is None:
            self._timer = loop.call_at(self._actions[0][0], self._run_due)

    def _run_due(self) -> None:
        self._timer = None
        loop = self._get_loop()
        now = loop.time()
        while self._actions and self._actions[0][0] <= now:
            _, action = self._actions.popleft()
            action()
        if self._actions:
            self._timer = loop.call_at(self._actions[0][0], self._run_due)

    def feed(
        self,
        data: BytesLike,
        *,
        chunks: int | Iterable[int] | None = None,
        delay: float | None = None,
    ) -> None:
        """Send ``data`` to the code: each ``recv`` returns at most one piece.

        Args:
            data: the bytes (plaintext under TLS): any bytes-like object, copied at once.
            chunks: ``None`` for one piece, an int for pieces of that size, or a list of sizes
                (the rest, if any, is a last piece). Under TLS each piece is one TLS record.
            delay: loop seconds before delivery (default: ``latency``); a finite number >= 0.
                Delivery never overtakes what was scripted before.

        Raises:
            TypeError: the peer is a datagram peer (use ``feed_datagram()``); ``data`` is not
                bytes-like (a ``str``: encode it first), or ``delay`` is not a number, or
                ``chunks`` is not None, an int or ints.
            ValueError: ``delay`` is negative, infinite or NaN; or a chunk size is below 1.
        """
        if self._datagram:
            msg = (
                f"feed() sends stream data, but {self.socket!r} is a SOCK_DGRAM socket, a "
                "datagram peer: use feed_datagram(data, address) for each datagram"
            )
            raise TypeError(msg)
        pieces = _split(_bytes_like("feed", data), chunks)

        def deliver() -> None:
            if self._tls is None:
                self._incoming.extend(pieces)
            elif not self._handshaken:
                self._tls_plain_pending.extend(pieces)
            else:
                for piece in pieces:
                    self._tls.write(piece)
                    self._flush_tls()

        self._schedule(deliver, delay)

    def feed_datagram(
        self, data: BytesLike, address: Address = None, *, delay: float | None = None
    ) -> None:
        """Send one datagram to the code (datagram sockets); ``address`` defaults to ours.

        ``delay`` is as for ``feed``.

        Raises:
            TypeError: the peer is a stream peer (use ``feed()``), or ``data`` is not
                bytes-like.
        """
        if not self._datagram:
            msg = (
                f"feed_datagram() sends a datagram, but {self.socket!r} is not a SOCK_DGRAM "
                "socket, a stream peer: use feed(data) (datagram peers need "
                "FakePeer(SocketMock(type=socket.SOCK_DGRAM)))"
            )
            raise TypeError(msg)
        payload = _bytes_like("feed_datagram", data)
        source = self.address if address is None else address
        self._schedule(lambda: self._incoming_datagrams.append((payload, source)), delay)

    def close(self, *, delay: float | None = None) -> None:
        """End the stream (EOF) after what was fed; under TLS, send close_notify first.

        ``delay`` is as for ``feed``.
        """

        def deliver() -> None:
            if self._tls is not None and self._handshaken:
                # Send our close_notify; we do not wait for the code's.
                with contextlib.suppress(_ssl.SSLError):
                    self._tls.unwrap()
                self._flush_tls()
            self._eof = True

        self._schedule(deliver, delay)

    feed_eof = close

    def reset(self, *, delay: float | None = None) -> None:
        """Reset the connection: the next ``recv``/``send`` raises ``ConnectionResetError``.

        ``delay`` is as for ``feed``.
        """

        def deliver() -> None:
            self._error = ConnectionResetError(104, "Connection reset by peer")

        self._schedule(deliver, delay)

    def congest(self, duration: float | None = None) -> None:
        """Make ``send`` raise ``BlockingIOError`` (a full window) until ``relieve()``.

        Args:
            duration: if given, relieve the congestion after this many loop seconds.

        Raises:
            TypeError: ``duration`` is not a number or None.
            ValueError: ``duration`` is negative, infinite or NaN.
        """
        if duration is not None:
            duration = _seconds("duration", duration)
        self._congested = True
        if duration is not None:
            self._get_loop().call_later(duration, self.relieve)

    def relieve(self) -> None:
        """End a congestion: the socket becomes writable and ``send`` accepts data again."""
        self._congested = False

    @property
    def closed_by_code(self) -> bool:
        """Whether the code shut down its writing side or closed the socket."""
        return self._code_closed

    def received(self) -> bytes:
        """Every byte the code has sent so far (plaintext under TLS), read or not."""
        return bytes(self._sent)

    async def _wait(self) -> None:
        waiter: asyncio.Future[None] = self._get_loop().create_future()
        self._waiters.append(waiter)
        await waiter

    async def read(self, n: int = -1) -> bytes:
        """Read what the code sent: up to ``n`` bytes once some are there, or all until it closes.

        Args:
            n: at most this many bytes; -1 for everything until the code closes or shuts down;
                0 returns ``b""`` at once (as ``StreamReader.read(0)`` does).
        """
        if n == 0:
            return b""
        if n < 0:
            while not self._code_closed:
                await self._wait()
            data = bytes(self._unread)
            self._unread.clear()
            return data
        while not self._unread and not self._code_closed:
            await self._wait()
        data = bytes(self._unread[:n])
        del self._unread[:n]
        return data

    async def readexactly(self, n: int) -> bytes:
        """Read exactly ``n`` bytes the code sent.

        Raises:
            asyncio.IncompleteReadError: the code closed before sending them.
        """
        while len(self._unread) < n:
            if self._code_closed:
                partial = bytes(self._unread)
                self._unread.clear()
                raise asyncio.IncompleteReadError(partial, n)
            await self._wait()
        data = bytes(self._unread[:n])
        del self._unread[:n]
        return data
