"""Fake file descriptors, file mocks and the TestSelector inside a real selector loop."""

from __future__ import annotations

import asyncio
import errno
import inspect
import io
import selectors
import socket
import ssl
import sys
import threading
import unittest
import unittest.mock

import pytest

from aiotestkit_fakeio import (
    FakePeer,
    FileDescriptor,
    FileMock,
    SocketMock,
    SSLSocketMock,
    TestSelector,
    fd,
    isfilemock,
    new_fakeio_loop,
    set_read_ready,
    set_write_ready,
)

from ._support import FakeIOTestCase


class TestFileDescriptor(unittest.TestCase):
    def test_fake_fds_are_unique_and_far_above_real_ones(self) -> None:
        first, second = FileDescriptor(), FileDescriptor()
        assert first != second
        assert min(first, second) >= 1 << 30
        assert isinstance(first, int)
        assert repr(first) == f"FileDescriptor({int(first)})"

    def test_a_small_explicit_value_is_refused(self) -> None:
        with pytest.raises(ValueError, match="got 3"):
            FileDescriptor(3)

    def test_a_value_that_is_not_an_int_is_refused(self) -> None:
        for wrong in ("x", 1.5e9):
            with pytest.raises(
                TypeError, match=rf"FileDescriptor\(\) takes an int .*got {wrong!r}"
            ):
                FileDescriptor(wrong)  # type: ignore[arg-type]

    def test_fd_and_isfilemock(self) -> None:
        mock = FileMock()
        assert isinstance(mock.fileno(), FileDescriptor)
        assert fd(mock) == mock.fileno()
        assert fd(7) == 7
        assert isfilemock(mock)
        assert isfilemock(mock.fileno())
        assert not isfilemock(7)
        assert not isfilemock(object())
        with pytest.raises(ValueError, match="has no file descriptor"):
            fd(object())
        with socket.socket() as real:
            assert not isfilemock(real)
            assert fd(real) == real.fileno()

    def test_each_file_mock_has_its_own_fd(self) -> None:
        assert FileMock().fileno() != FileMock().fileno()


class TestSocketMockDefaults(unittest.TestCase):
    def test_is_a_socket_with_what_asyncio_needs(self) -> None:
        sock = SocketMock()
        assert isinstance(sock, socket.socket)
        assert (sock.family, sock.type, sock.proto) == (
            socket.AF_INET,
            socket.SOCK_STREAM,
            socket.IPPROTO_TCP,
        )
        assert sock.gettimeout() == 0.0
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
        assert sock.send(b"abc") == 3
        assert sock.sendmsg([b"ab", b"cde"]) == 5
        assert sock.sendto(b"abcd", ("127.0.0.1", 1)) == 4
        with pytest.raises(BlockingIOError):
            sock.recv(10)
        with pytest.raises(BlockingIOError):
            sock.recv_into(bytearray(10))
        with pytest.raises(BlockingIOError, match="set_read_ready"):
            sock.accept()  # a listening socket: nothing pending until it is read-ready
        sock.send.assert_called_once_with(b"abc")

    def test_configuring_wins_over_defaults(self) -> None:
        sock = SocketMock(type=socket.SOCK_DGRAM)
        assert sock.type == socket.SOCK_DGRAM
        sock.recv.return_value = b"configured"
        assert sock.recv(100) == b"configured"
        sock.send.return_value = 1
        assert sock.send(b"abc") == 1
        sock.recv.side_effect = [b"a", b"b"]
        assert [sock.recv(1), sock.recv(1)] == [b"a", b"b"]

    def test_ssl_socket_mock(self) -> None:
        sock = SSLSocketMock()
        assert isinstance(sock, ssl.SSLSocket)
        assert isinstance(sock.context, ssl.SSLContext)
        assert sock.version() == "TLSv1.3"
        assert isfilemock(sock)


class TestAsynctestSignatures(unittest.TestCase):
    """Migrated suites pass asynctest's arguments positionally."""

    def test_socket_mocks_take_side_effect_first(self) -> None:
        for klass in (SocketMock, SSLSocketMock):
            sock = klass(lambda: "called")
            assert sock() == "called"
            assert isinstance(sock, klass._spec)
            assert isfilemock(sock)
            sock = klass(None, "returned", None, "my_sock")
            assert sock() == "returned"
            assert "my_sock" in repr(sock)

    def test_a_positional_async_side_effect_is_not_taken_for_a_spec(self) -> None:
        async def effect() -> str:
            return "awaited"

        sock = SocketMock(effect)
        assert not isinstance(sock, unittest.mock.AsyncMockMixin)
        assert not inspect.iscoroutinefunction(sock)
        assert asyncio.run(sock()) == "awaited"  # the side effect's coroutine, as for any Mock

    def test_positional_spec_set_replaces_the_socket_spec(self) -> None:
        sock = SocketMock(None, unittest.mock.DEFAULT, None, None, socket.socket)
        assert sock.gettimeout() == 0.0
        with pytest.raises(AttributeError):
            sock.not_a_socket_attribute = 1

    def test_file_mock_takes_the_mock_arguments(self) -> None:
        mock = FileMock(io.BytesIO, lambda: "called")
        assert mock() == "called"
        assert isinstance(mock, io.BytesIO)
        assert isinstance(mock.fileno(), FileDescriptor)
        with pytest.raises(AttributeError):
            mock.not_a_file_method  # noqa: B018

    def test_bad_positional_arguments(self) -> None:
        with pytest.raises(TypeError):
            SocketMock(None, None, None, None, None, None, None)  # type: ignore[call-arg]
        with pytest.raises(TypeError, match="side_effect"):
            SocketMock(None, side_effect=None)  # type: ignore[misc]

    def test_each_ssl_socket_mock_has_its_own_context(self) -> None:
        assert SSLSocketMock().context is not SSLSocketMock().context
        context = ssl.create_default_context()
        assert SSLSocketMock(context=context).context is context


class TestTestSelector(unittest.TestCase):
    def test_fake_files_stay_out_of_the_wrapped_selector(self) -> None:
        wrapped = selectors.DefaultSelector()
        selector = TestSelector(wrapped)
        assert selector.wrapped is wrapped
        mock = FileMock()
        real_a, real_b = socket.socketpair()
        try:
            key = selector.register(mock, selectors.EVENT_READ, "data")
            assert key.fd == mock.fileno()
            selector.register(real_a, selectors.EVENT_READ)
            assert set(wrapped.get_map()) == {real_a.fileno()}
            assert selector.get_key(mock) is key
            assert selector.get_key(mock.fileno()) is key
            assert selector.get_map().get(int(mock.fileno())) is key
            assert selector.get_key(real_a).fd == real_a.fileno()
            assert len(selector.get_map()) == 2
            assert set(selector.get_map()) == {mock.fileno(), real_a.fileno()}
            with pytest.raises(KeyError):
                selector.register(mock, selectors.EVENT_READ)
            modified = selector.modify(mock, selectors.EVENT_WRITE, "other")
            assert (modified.events, modified.data) == (selectors.EVENT_WRITE, "other")
            with pytest.raises(ValueError, match="Invalid events"):
                selector.modify(mock, 0)
            assert selector.select(0) == []
            real_b.send(b"x")
            assert [k.fileobj for k, _ in selector.select(0)] == [real_a]
            selector.unregister(mock)
            with pytest.raises(KeyError):
                selector.unregister(mock)
            with pytest.raises(KeyError):
                selector.get_key(mock)
            assert selector.get_map().get(mock) is None
        finally:
            selector.close()
            real_a.close()
            real_b.close()

    def test_readiness_is_one_shot_and_waits_for_a_listener(self) -> None:
        with TestSelector() as selector:
            mock = FileMock()
            selector._mark_ready(mock, selectors.EVENT_READ)
            assert selector.select(0) == []  # nobody listens yet: kept pending
            key = selector.register(mock, selectors.EVENT_READ | selectors.EVENT_WRITE)
            assert selector.select(0) == [(key, selectors.EVENT_READ)]
            assert selector.select(0) == []

    def test_each_call_is_one_event_delivered_one_per_select(self) -> None:
        with TestSelector() as selector:
            mock = FileMock()
            for _ in range(3):
                selector._mark_ready(mock, selectors.EVENT_READ)
            selector._mark_ready(mock, selectors.EVENT_WRITE)
            key = selector.register(mock, selectors.EVENT_READ | selectors.EVENT_WRITE)
            both = selectors.EVENT_READ | selectors.EVENT_WRITE
            assert selector.select(0) == [(key, both)]
            assert selector.select(0) == [(key, selectors.EVENT_READ)]
            assert selector.select(0) == [(key, selectors.EVENT_READ)]
            assert selector.select(0) == []

    def test_new_fakeio_loop(self) -> None:
        loop = new_fakeio_loop()
        try:
            assert isinstance(loop, asyncio.SelectorEventLoop)
            selector = loop._selector  # type: ignore[attr-defined]
            assert isinstance(selector, TestSelector)
            # The loop's own self-pipe went to the real selector.
            assert len(selector.wrapped.get_map()) == 1
        finally:
            loop.close()


class TestReadiness(FakeIOTestCase):
    async def test_add_reader_and_add_writer_with_file_mocks(self) -> None:
        mock = FileMock()
        events: list[str] = []
        readable = asyncio.Event()

        def on_read() -> None:
            events.append("read")
            readable.set()

        self.loop.add_reader(mock, on_read)
        self.loop.add_writer(mock.fileno(), events.append, "write")
        await asyncio.sleep(0)
        assert events == []
        set_read_ready(mock, self.loop)
        await readable.wait()
        assert events == ["read"]
        set_write_ready(mock)  # the running loop by default
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert events == ["read", "write"]
        assert self.loop.remove_reader(mock)
        assert self.loop.remove_writer(mock)
        assert not self.loop.remove_reader(mock)

    async def test_each_set_read_ready_delivers_one_event(self) -> None:
        # As in asynctest: three calls before the loop polls are three reads, not one.
        sock = SocketMock()
        sock.recv.side_effect = [b"a", b"b", b"c", b""]
        reader, writer = await asyncio.open_connection(sock=sock)
        set_read_ready(sock)
        set_read_ready(sock)
        set_read_ready(sock)
        assert await reader.readexactly(3) == b"abc"
        assert sock.recv.call_count == 3
        set_read_ready(sock)
        assert await reader.read() == b""
        writer.close()
        await writer.wait_closed()

    async def test_each_set_read_ready_runs_the_reader_callback_once(self) -> None:
        mock = FileMock()
        calls: list[int] = []
        self.loop.add_reader(mock, calls.append, 1)
        set_read_ready(mock)
        set_read_ready(mock)
        for _ in range(5):
            await asyncio.sleep(0)
        assert calls == [1, 1]
        self.loop.remove_reader(mock)

    async def test_a_server_accepts_one_connection_per_readiness_event(self) -> None:
        # Like a real listening socket: asyncio's accept loop (up to its backlog of 100) gets
        # one connection, then BlockingIOError, until the socket is read-ready again.
        listener = SocketMock()
        writers: list[asyncio.StreamWriter] = []
        arrived = asyncio.Event()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writers.append(writer)
            arrived.set()

        server = await asyncio.start_server(handle, sock=listener)
        for _ in range(5):
            await asyncio.sleep(0)
        assert writers == []
        set_read_ready(listener)
        await arrived.wait()
        for _ in range(5):
            await asyncio.sleep(0)
        assert len(writers) == 1
        assert listener.accept.call_count == 2  # the second one raised BlockingIOError
        arrived.clear()
        set_read_ready(listener)
        set_read_ready(listener)
        while len(writers) < 3:
            await arrived.wait()
            arrived.clear()
        server.close()
        for writer in writers:
            writer.close()
        await server.wait_closed()
        assert len(writers) == 3

    async def test_sock_accept_waits_for_readiness(self) -> None:
        listener = SocketMock()
        task = asyncio.ensure_future(self.loop.sock_accept(listener))
        await asyncio.sleep(0)
        assert not task.done()
        set_read_ready(listener)
        conn, address = await task
        assert isinstance(conn, SocketMock)
        assert address == ("127.0.0.1", 40001)

    async def test_readiness_set_from_another_thread_wakes_a_blocked_loop(self) -> None:
        mock = FileMock()
        readable = asyncio.Event()
        self.loop.add_reader(mock, readable.set)
        thread = threading.Thread(target=set_read_ready, args=(mock, self.loop))
        thread.start()
        await asyncio.wait_for(readable.wait(), 5)
        thread.join()
        self.loop.remove_reader(mock)

    async def test_what_set_read_ready_refuses(self) -> None:
        for function in (set_read_ready, set_write_ready):
            with pytest.raises(
                TypeError, match=rf"{function.__name__}\(\) takes a file mock.*got 'x'"
            ):
                function("x", self.loop)
            with pytest.raises(TypeError, match=r"returned 'x', not an int"):
                function(unittest.mock.Mock(**{"fileno.return_value": "x"}), self.loop)
            closed = socket.socket()
            closed.close()
            with pytest.raises(ValueError, match=r"invalid file descriptor -1 \(closed\?\)"):
                function(closed, self.loop)
            with (
                io.BytesIO() as buffer,
                pytest.raises(ValueError, match="no usable file descriptor"),
            ):
                function(buffer, self.loop)

    async def test_a_real_unregistered_socket_is_a_no_op(self) -> None:
        # asynctest's semantics for real files: delivered to a registered callback at the next
        # poll, dropped otherwise (the OS reuses real fd numbers).
        a, b = socket.socketpair()
        try:
            set_read_ready(a, self.loop)
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            fired = asyncio.Event()
            self.loop.add_reader(a, fired.set)
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            assert not fired.is_set()  # the event was not kept for a later reader
            self.loop.remove_reader(a)
        finally:
            a.close()
            b.close()

    async def test_set_read_ready_on_a_real_registered_socket(self) -> None:
        a, b = socket.socketpair()
        try:
            fired = asyncio.Event()
            self.loop.add_reader(a, fired.set)
            set_read_ready(a, self.loop)
            await asyncio.wait_for(fired.wait(), 5)
            self.loop.remove_reader(a)
        finally:
            a.close()
            b.close()


def test_a_plain_selector_loop_is_refused() -> None:
    loop = asyncio.SelectorEventLoop()
    name = f"{type(loop).__module__}.{type(loop).__qualname__}"
    try:
        with pytest.raises(TypeError) as caught:
            set_read_ready(FileMock(), loop)
    finally:
        loop.close()
    message = str(caught.value)
    assert message.startswith(f"{name} cannot host fake file objects: its selector <selectors.")
    assert "is not, and does not wrap, an aiotestkit_fakeio.TestSelector" in message
    assert "aiotestkit_fakeio.new_fakeio_loop()" in message
    assert "in an aiotestkit TestCase, remove the loop_factory" in message


def test_a_selector_loop_subclass_is_told_to_take_a_test_selector_itself() -> None:
    # new_fakeio_loop() would build a plain loop and drop what the subclass adds (virtual time).
    class VirtualTimeLoop(asyncio.SelectorEventLoop):
        pass

    loop = VirtualTimeLoop()
    try:
        with pytest.raises(TypeError) as caught:
            set_read_ready(FileMock(), loop)
    finally:
        loop.close()
    message = str(caught.value)
    assert "VirtualTimeLoop cannot host fake file objects" in message
    assert (
        "Pass a TestSelector to its own constructor, keeping what VirtualTimeLoop adds: "
        "VirtualTimeLoop(selector=aiotestkit_fakeio.TestSelector())"
    ) in message
    assert "Build the loop with a TestSelector: aiotestkit_fakeio.new_fakeio_loop()" not in message


def test_a_clocked_loop_without_a_test_selector_is_told_how_to_get_one() -> None:
    clock = pytest.importorskip("aiotestkit_clock")
    loop = clock.ClockedEventLoop()
    try:
        with pytest.raises(
            TypeError,
            match=r"ClockedEventLoop\(selector=aiotestkit_fakeio\.TestSelector\(\)\)",
        ):
            FakePeer(loop=loop)
    finally:
        loop.close()
    fixed = clock.ClockedEventLoop(selector=TestSelector())
    try:
        FakePeer(loop=fixed)
    finally:
        fixed.close()


def test_a_fake_peer_refuses_a_plain_selector_loop_at_once() -> None:
    # Instead of a logged callback error and a hang once the transport registers the fake fd.
    async def main() -> None:
        with pytest.raises(TypeError, match=r"SelectorEventLoop.*new_fakeio_loop"):
            FakePeer()

    loop = asyncio.SelectorEventLoop()
    try:
        loop.run_until_complete(main())
        with pytest.raises(TypeError, match="new_fakeio_loop"):
            FakePeer(loop=loop)
    finally:
        loop.close()


def test_no_running_loop_suggests_passing_one() -> None:
    for function in (set_read_ready, set_write_ready):
        with pytest.raises(
            RuntimeError,
            match=rf"no running event loop.*pass the loop: {function.__name__}\(fileobj, loop\)",
        ):
            function(FileMock())


def test_a_closed_loop_is_reported() -> None:
    loop = new_fakeio_loop()
    loop.close()
    with pytest.raises(RuntimeError, match="closed"):
        set_write_ready(FileMock(), loop)


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop is not available on Windows")
def test_uvloop_is_refused() -> None:
    uvloop = pytest.importorskip("uvloop")
    loop = uvloop.new_event_loop()
    try:
        refused = (
            r"^uvloop\.Loop cannot host fake file objects: it has no Python selector .*"
            r"Build the loop with a TestSelector: aiotestkit_fakeio\.new_fakeio_loop\(\).*"
            r"in an aiotestkit TestCase, remove the loop_factory"
        )
        with pytest.raises(TypeError, match=refused):
            set_read_ready(FileMock(), loop)
        # Not an OSError (EBADF) from uvloop's own poller when the transport starts.
        with pytest.raises(TypeError, match=refused):
            FakePeer(loop=loop)
    finally:
        loop.close()


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop is not available on Windows")
def test_a_bare_socket_mock_on_uvloop_fails_with_ebadf_as_documented() -> None:
    # The README's documented limitation: uvloop only asks the mock for fileno(), which cannot
    # tell who calls it, so its poller refuses the fake descriptor itself.
    uvloop = pytest.importorskip("uvloop")

    async def main() -> None:
        with pytest.raises(OSError, match="Bad file descriptor") as caught:
            await asyncio.open_connection(sock=SocketMock())
        assert caught.value.errno == errno.EBADF

    loop = uvloop.new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


def test_explicit_file_descriptor_is_reserved() -> None:
    first = FileDescriptor()
    explicit = FileDescriptor(first + 5)
    following = [FileDescriptor() for _ in range(10)]
    assert explicit not in following
    assert min(following) > explicit
