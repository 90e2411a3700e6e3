"""Socket mocks and FakePeer driving asyncio's streams, transports and sock_* methods."""

from __future__ import annotations

import asyncio
import socket
import ssl
from pathlib import Path
from typing import Any

import pytest

from aiotestkit_fakeio import (
    FakePeer,
    SocketMock,
    SSLSocketMock,
    TestSelector,
    set_read_ready,
    set_write_ready,
)

from ._support import FakeIOTestCase

CERTS = Path(__file__).parent / "certs"


async def close(writer: asyncio.StreamWriter, error: type[Exception] | None = None) -> None:
    """Close ``writer`` and wait until it is closed; ``error`` is what the wait must raise."""
    writer.close()
    if error is None:
        await writer.wait_closed()
        return
    with pytest.raises(error):
        await writer.wait_closed()


class RecordingProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.events: list[Any] = []
        self.lost = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.events.append("made")

    def data_received(self, data: bytes) -> None:
        self.events.append(data)

    def eof_received(self) -> bool:
        self.events.append("eof")
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.events.append(("lost", type(exc).__name__ if exc else None))
        self.lost.set_result(exc)


class TestStreams(FakeIOTestCase):
    async def test_conversation_through_open_connection(self) -> None:
        peer = FakePeer()
        reader, writer = await asyncio.open_connection(sock=peer.socket)
        writer.write(b"PING\r\n")
        await writer.drain()
        assert await peer.readexactly(6) == b"PING\r\n"
        peer.feed(b"PONG\r\nbye", chunks=1)
        assert await reader.readline() == b"PONG\r\n"
        assert peer.socket.recv.call_count >= 6  # one byte per recv()
        peer.close()
        assert await reader.read() == b"bye"
        await close(writer)
        assert peer.closed_by_code
        assert peer.received() == b"PING\r\n"
        peer.socket.close.assert_called_once_with()

    async def test_writelines_and_write_eof(self) -> None:
        peer = FakePeer()
        _reader, writer = await asyncio.open_connection(sock=peer.socket)
        peer.congest()
        writer.writelines([b"a", b"b", b"c"])  # buffered: sendmsg on 3.12+, send before
        writer.write(b"d")
        peer.relieve()
        await writer.drain()
        writer.write_eof()
        assert await peer.read() == b"abcd"
        await close(writer)

    async def test_protocol_with_create_connection(self) -> None:
        peer = FakePeer()
        transport, protocol = await self.loop.create_connection(RecordingProtocol, sock=peer.socket)
        peer.feed(b"hello")
        peer.close()
        await protocol.lost
        assert protocol.events == ["made", b"hello", "eof", ("lost", None)]
        assert transport.get_extra_info("peername") == ("127.0.0.1", 8080)

    async def test_buffered_protocol_uses_recv_into(self) -> None:
        received = bytearray()
        done = self.loop.create_future()

        class Buffered(asyncio.BufferedProtocol):
            def __init__(self) -> None:
                self.buffer = bytearray(4)

            def get_buffer(self, sizehint: int) -> bytearray:
                return self.buffer

            def buffer_updated(self, nbytes: int) -> None:
                received.extend(self.buffer[:nbytes])

            def eof_received(self) -> bool:
                done.set_result(None)
                return False

        peer = FakePeer()
        transport, _ = await self.loop.create_connection(Buffered, sock=peer.socket)
        peer.feed(b"0123456789")
        peer.close()
        await done
        assert received == b"0123456789"
        assert peer.socket.recv_into.call_count >= 3
        transport.close()
        await asyncio.sleep(0)

    async def test_plain_socket_mock_with_side_effects(self) -> None:
        sock = SocketMock()
        chunks = [b"abc", b""]

        def recv(size: int) -> bytes:
            return chunks.pop(0)

        sock.recv.side_effect = recv
        reader, writer = await asyncio.open_connection(sock=sock)
        set_read_ready(sock, self.loop)
        assert await reader.read(3) == b"abc"
        set_read_ready(sock, self.loop)
        assert await reader.read() == b""
        writer.write(b"out")
        sock.send.assert_called_with(b"out")
        await close(writer)


class TestSockMethods(FakeIOTestCase):
    async def test_sock_recv_recv_into_and_sendall(self) -> None:
        peer = FakePeer()
        sock = peer.socket
        task = asyncio.ensure_future(self.loop.sock_recv(sock, 100))
        await asyncio.sleep(0)
        assert not task.done()
        peer.feed(b"data", delay=0.001)
        assert await task == b"data"
        buffer = bytearray(3)
        peer.feed(b"xyz")
        assert await self.loop.sock_recv_into(sock, buffer) == 3
        assert buffer == b"xyz"
        peer.send_limit = 2
        await self.loop.sock_sendall(sock, b"12345")
        assert peer.received() == b"12345"
        assert sock.send.call_count == 3

    async def test_sock_connect_waits_for_writability(self) -> None:
        sock = SocketMock()
        sock.connect.side_effect = BlockingIOError
        task = asyncio.ensure_future(self.loop.sock_connect(sock, ("127.0.0.1", 80)))
        await asyncio.sleep(0)
        assert not task.done()
        set_write_ready(sock, self.loop)
        await task
        sock.getsockopt.assert_called_with(socket.SOL_SOCKET, socket.SO_ERROR)

    async def test_sock_accept(self) -> None:
        listener = SocketMock()
        conn = SocketMock()
        listener.accept.side_effect = [BlockingIOError, (conn, ("10.0.0.1", 5000))]
        task = asyncio.ensure_future(self.loop.sock_accept(listener))
        await asyncio.sleep(0)
        set_read_ready(listener, self.loop)
        assert await task == (conn, ("10.0.0.1", 5000))
        conn.setblocking.assert_called_with(False)

    async def test_add_reader_on_a_peer_socket_is_level_triggered(self) -> None:
        peer = FakePeer()
        got: list[bytes] = []
        done = asyncio.Event()

        def on_readable() -> None:
            data = peer.socket.recv(2)
            got.append(data)
            if data == b"":
                done.set()

        self.loop.add_reader(peer.socket, on_readable)
        peer.feed(b"abcd")
        peer.close()
        await done.wait()
        self.loop.remove_reader(peer.socket)
        assert got == [b"ab", b"cd", b""]


class TestPeerRead(FakeIOTestCase):
    async def test_read_zero_returns_at_once_like_stream_reader(self) -> None:
        peer = FakePeer()
        reader, writer = await asyncio.open_connection(sock=peer.socket)
        assert await asyncio.wait_for(peer.read(0), 1) == b""  # nothing sent yet: no wait
        writer.write(b"data")
        assert await peer.read(0) == b""
        assert await peer.read(4) == b"data"  # read(0) consumed nothing
        assert await reader.read(0) == b""
        writer.close()
        await writer.wait_closed()


class TestDatagrams(FakeIOTestCase):
    async def test_datagram_endpoint(self) -> None:
        peer = FakePeer(SocketMock(type=socket.SOCK_DGRAM, proto=socket.IPPROTO_UDP))
        received = self.loop.create_future()

        class Datagrams(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                received.set_result((data, addr))

        transport, _ = await self.loop.create_datagram_endpoint(Datagrams, sock=peer.socket)
        transport.sendto(b"query", ("10.0.0.2", 53))
        assert peer.datagrams == [(b"query", ("10.0.0.2", 53))]
        peer.feed_datagram(b"answer", ("10.0.0.2", 53))
        assert await received == (b"answer", ("10.0.0.2", 53))
        transport.close()
        await asyncio.sleep(0)

    async def test_sock_recvfrom_and_sendto(self) -> None:
        if not hasattr(self.loop, "sock_recvfrom"):
            pytest.skip("loop.sock_recvfrom is new in 3.11")
        loop: Any = self.loop  # sock_recvfrom/sock_sendto are not in 3.10's stubs
        peer = FakePeer(SocketMock(type=socket.SOCK_DGRAM))
        peer.feed_datagram(b"ping")
        assert await loop.sock_recvfrom(peer.socket, 100) == (b"ping", ("127.0.0.1", 8080))
        await loop.sock_sendto(peer.socket, b"pong", ("127.0.0.1", 8080))
        assert peer.datagrams == [(b"pong", ("127.0.0.1", 8080))]

    async def test_the_wrong_feed_method_is_refused_at_once(self) -> None:
        # Accepted, they used to make the socket readable with nothing to receive: the loop
        # spun at 100% CPU (or hung, with a virtual-time loop).
        datagram_peer = FakePeer(SocketMock(type=socket.SOCK_DGRAM))
        with pytest.raises(TypeError, match=r"a datagram peer: use feed_datagram\(data"):
            datagram_peer.feed(b"x")
        with pytest.raises(TypeError, match=r"a datagram peer: use feed_datagram"):
            datagram_peer.feed(b"xy", chunks=1)
        stream_peer = FakePeer()
        with pytest.raises(TypeError, match=r"a stream peer: use feed\(data\)"):
            stream_peer.feed_datagram(b"x")
        with pytest.raises(TypeError, match="ssl= needs a stream socket"):
            FakePeer(SocketMock(type=socket.SOCK_DGRAM), ssl=ssl.create_default_context())

    async def test_a_datagram_peer_is_readable_only_with_a_datagram_waiting(self) -> None:
        peer = FakePeer(SocketMock(type=socket.SOCK_DGRAM))
        received: list[bytes] = []

        class Datagrams(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                received.append(data)

        transport, _ = await self.loop.create_datagram_endpoint(Datagrams, sock=peer.socket)
        peer.close()  # a datagram socket has no end of stream: nothing to read
        for _ in range(5):
            await asyncio.sleep(0)
        assert peer.socket.recvfrom.call_count == 0
        peer.feed_datagram(b"one")
        for _ in range(5):
            await asyncio.sleep(0)
        assert received == [b"one"]
        assert peer.socket.recvfrom.call_count == 1
        transport.close()
        await asyncio.sleep(0)


class TestFaults(FakeIOTestCase):
    """Each injected fault as asyncio.StreamReader / StreamWriter see it."""

    async def test_short_writes_are_completed_by_the_transport(self) -> None:
        peer = FakePeer()
        _reader, writer = await asyncio.open_connection(sock=peer.socket)
        peer.send_limit = 3
        writer.write(b"0123456789")
        await writer.drain()
        assert await peer.readexactly(10) == b"0123456789"
        sizes = [len(c.args[0]) for c in peer.socket.send.call_args_list]
        sizes += [sum(len(b) for b in c.args[0]) for c in peer.socket.sendmsg.call_args_list]
        assert len(sizes) >= 4
        await close(writer)

    async def test_send_limit_is_validated(self) -> None:
        peer = FakePeer()
        assert peer.send_limit is None
        # 0 would leave the socket writable but taking nothing: the loop would retry forever.
        with pytest.raises(
            ValueError, match=r"send_limit must be >= 1 or None, got 0; use congest"
        ):
            peer.send_limit = 0
        with pytest.raises(ValueError, match="got -2"):
            peer.send_limit = -2
        for wrong in ("3", 2.5, True):
            with pytest.raises(
                TypeError, match=rf"send_limit must be an int >= 1 or None, got {wrong!r}"
            ):
                peer.send_limit = wrong  # type: ignore[assignment]
        assert peer.send_limit is None  # a refused value changes nothing
        peer.send_limit = 1
        assert peer.send_limit == 1
        peer.send_limit = None
        assert peer.send_limit is None

    async def test_congestion_makes_drain_wait(self) -> None:
        peer = FakePeer()
        _reader, writer = await asyncio.open_connection(sock=peer.socket)
        writer.transport.set_write_buffer_limits(high=4)
        peer.congest()
        writer.write(b"0123456789")
        drain = asyncio.ensure_future(writer.drain())
        for _ in range(3):
            await asyncio.sleep(0)
        assert not drain.done()
        assert writer.transport.get_write_buffer_size() == 10
        assert peer.received() == b""
        peer.relieve()
        await drain
        assert peer.received() == b"0123456789"
        await close(writer)

    async def test_connection_reset_reaches_the_reader(self) -> None:
        peer = FakePeer()
        reader, writer = await asyncio.open_connection(sock=peer.socket)
        peer.feed(b"partial")
        peer.reset()
        with pytest.raises(ConnectionResetError):
            await reader.readexactly(100)
        await close(writer, ConnectionResetError)

    async def test_connection_reset_reaches_the_writer(self) -> None:
        peer = FakePeer()
        _reader, writer = await asyncio.open_connection(sock=peer.socket)
        peer.reset()
        writer.write(b"data")
        with pytest.raises(ConnectionResetError):
            await writer.drain()
        await close(writer, ConnectionResetError)

    async def test_eof_in_the_middle_of_a_message(self) -> None:
        peer = FakePeer()
        reader, writer = await asyncio.open_connection(sock=peer.socket)
        peer.feed(b"HEADER:12:only-")
        peer.close()
        assert await reader.readuntil(b":") == b"HEADER:"
        with pytest.raises(asyncio.IncompleteReadError) as caught:
            await reader.readexactly(12 + 3)
        assert caught.value.partial == b"12:only-"
        await close(writer)

    async def test_latency_follows_the_loop_clock(self) -> None:
        peer = FakePeer(latency=0.05)
        reader, writer = await asyncio.open_connection(sock=peer.socket)
        start = self.loop.time()
        peer.feed(b"late")
        peer.feed(b" and later", delay=0.0)  # never overtakes what was scripted before
        peer.close()
        assert await reader.read() == b"late and later"
        assert self.loop.time() - start >= 0.05
        await close(writer)

    def test_latency_with_a_virtual_clock(self) -> None:
        # Any loop whose time() is virtual works: delays use loop.call_at, never real time.
        class Clock(asyncio.SelectorEventLoop):
            now = 0.0

            def time(self) -> float:
                return self.now

        class JumpingSelector(TestSelector):
            loop: Clock

            def select(self, timeout: float | None = None) -> Any:
                events = super().select(0)
                if not events and timeout:
                    self.loop.now += timeout
                return events

        selector = JumpingSelector()
        loop = Clock(selector)
        selector.loop = loop

        async def main() -> tuple[bytes, float]:
            peer = FakePeer(latency=3600)
            reader, writer = await asyncio.open_connection(sock=peer.socket)
            peer.feed(b"an hour later")
            peer.close()
            data = await reader.read()
            await close(writer)
            return data, loop.time()

        try:
            data, elapsed = loop.run_until_complete(asyncio.wait_for(main(), 7200))
        finally:
            loop.close()
        assert data == b"an hour later"
        assert elapsed >= 3600

    async def test_feed_takes_bytes_like_data_only(self) -> None:
        peer = FakePeer()
        with pytest.raises(
            TypeError, match=r"^feed\(\) takes bytes-like data, got str; encode it first"
        ):
            peer.feed("text")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"feed\(\) takes bytes-like data .*got 5"):
            peer.feed(5)  # type: ignore[arg-type]  # bytes(5) would be five zero bytes
        datagram_peer = FakePeer(SocketMock(type=socket.SOCK_DGRAM))
        with pytest.raises(TypeError, match=r"feed_datagram\(\) takes bytes-like data, got str"):
            datagram_peer.feed_datagram("text")  # type: ignore[arg-type]
        with pytest.raises(
            TypeError, match=r"chunks must be None, an int or an iterable of ints, got 2\.5"
        ):
            peer.feed(b"x", chunks=2.5)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="chunk sizes must be ints, got 'a'"):
            peer.feed(b"x", chunks="ab")  # type: ignore[arg-type]
        data = bytearray(b"abc")
        peer.feed(data)
        peer.feed(memoryview(b"xdef")[1:])
        data[:] = b"zzz"  # fed data is copied at once
        assert peer.socket.recv(10) == b"abc"
        assert peer.socket.recv(10) == b"def"

    async def test_latency_is_validated_at_construction_and_assignment(self) -> None:
        for wrong in (-1, float("nan"), float("inf"), -0.5):
            with pytest.raises(ValueError, match=rf"latency must be a finite number .*got {wrong}"):
                FakePeer(latency=wrong)
        for bad_type in ("x", None, True):
            with pytest.raises(TypeError, match=rf"latency must be a number .*got {bad_type!r}"):
                FakePeer(latency=bad_type)  # type: ignore[arg-type]
        peer = FakePeer(latency=1)
        assert peer.latency == 1.0
        with pytest.raises(ValueError, match=r"latency must be .* got nan"):
            peer.latency = float("nan")
        assert peer.latency == 1.0  # a refused value changes nothing
        peer.latency = 0
        peer.feed(b"now")
        assert peer.socket.recv(10) == b"now"

    async def test_bad_arguments(self) -> None:
        peer = FakePeer()
        with pytest.raises(ValueError, match="chunks must be > 0"):
            peer.feed(b"x", chunks=0)
        for wrong in (-1, float("nan"), float("inf")):
            with pytest.raises(ValueError, match=r"delay must be a finite number .* >= 0, got"):
                peer.feed(b"x", delay=wrong)
            with pytest.raises(ValueError, match="delay must be"):
                peer.close(delay=wrong)
            with pytest.raises(ValueError, match="duration must be"):
                peer.congest(wrong)
        with pytest.raises(TypeError, match=r"delay must be a number of loop seconds.*got 'x'"):
            peer.reset(delay="x")  # type: ignore[arg-type]
        assert not peer.socket.recv.call_count
        with pytest.raises(BlockingIOError):  # nothing refused was scripted, no congestion
            peer.socket.recv(10)
        assert peer.socket.send(b"ok") == 2
        peer.feed(b"abcdef", chunks=[1, 2])
        assert [peer.socket.recv(10) for _ in range(3)] == [b"a", b"bc", b"def"]


def tls_contexts() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(CERTS / "localhost.pem", CERTS / "localhost.key")
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(CERTS / "localhost.pem")
    return server, client


class TestTLS(FakeIOTestCase):
    async def test_real_handshake_and_round_trip(self) -> None:
        server, client = tls_contexts()
        peer = FakePeer(ssl=server)
        reader, writer = await asyncio.open_connection(
            sock=peer.socket, ssl=client, server_hostname="localhost"
        )
        ssl_object = writer.get_extra_info("ssl_object")
        assert ssl_object.version() in ("TLSv1.2", "TLSv1.3")
        writer.write(b"GET / HTTP/1.0\r\n\r\n")
        assert await peer.readexactly(18) == b"GET / HTTP/1.0\r\n\r\n"
        peer.feed(b"HTTP/1.0 200 OK\r\n\r\nbody", chunks=5)
        assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.0 200 OK\r\n\r\n"
        peer.close()
        assert await reader.read() == b"body"
        await close(writer)
        assert peer.tls_error is None

    async def test_code_closing_first_gets_the_peers_close_notify(self) -> None:
        server, client = tls_contexts()
        peer = FakePeer(ssl=server)
        _reader, writer = await asyncio.open_connection(
            sock=peer.socket, ssl=client, server_hostname="localhost"
        )
        writer.write(b"bye")
        assert await peer.readexactly(3) == b"bye"
        writer.close()
        # Without the peer's answer, asyncio would wait for its SSL shutdown timeout (30 s).
        await asyncio.wait_for(writer.wait_closed(), 1)
        assert peer.closed_by_code
        assert peer.tls_error is None
        peer.socket.close.assert_called_once_with()

    async def test_untrusted_certificate_fails_the_handshake(self) -> None:
        server, _ = tls_contexts()
        peer = FakePeer(ssl=server)
        with pytest.raises(ssl.SSLCertVerificationError):
            await asyncio.open_connection(
                sock=peer.socket,
                ssl=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT),
                server_hostname="localhost",
            )


class TestSSLSocketMock(FakeIOTestCase):
    async def test_works_with_add_reader_but_asyncio_refuses_it_for_sock_methods(self) -> None:
        sock = SSLSocketMock()
        sock.recv.return_value = b"decrypted"
        fired = asyncio.Event()
        self.loop.add_reader(sock, fired.set)
        set_read_ready(sock, self.loop)
        await fired.wait()
        assert sock.recv(100) == b"decrypted"
        self.loop.remove_reader(sock)
        with pytest.raises(TypeError, match="SSLSocket"):
            await self.loop.sock_recv(sock, 100)
