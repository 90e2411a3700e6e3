"""Fake file descriptors, file and socket mocks, and the selector that lets a loop poll them.

Prior art: asynctest's ``selector.py``. Differences: fake fds come from a range real ones never
reach, the selector is installed through the loop's public constructor
(``asyncio.SelectorEventLoop(TestSelector())``), readiness is reported by ``select()`` itself
(no private ``loop._process_events``), and its map is a live view over the wrapped selector's
map (asynctest master's fix for its issue #128).
"""

from __future__ import annotations

import asyncio
import operator
import selectors
import socket
import ssl
import threading
import unittest.mock
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, Protocol

from . import _compat
from ._mock import Mock

__all__ = (
    "FileDescriptor",
    "FileMock",
    "SSLSocketMock",
    "SocketMock",
    "TestSelector",
    "fd",
    "isfilemock",
    "new_fakeio_loop",
    "set_read_ready",
    "set_write_ready",
)

# Real descriptors are small integers bounded by RLIMIT_NOFILE (at most about 2**20 on Linux and
# macOS), so fake ones start far above: they can never name a real file in the OS or collide with
# a real fd in the loop's maps (the issue asynctest #112 ran into with FileDescriptor(0)).
_FIRST_FAKE_FD = 1 << 30

_NO_SELECTOR = (
    "it has no Python selector (uvloop and the Proactor loop poll natively), so no "
    "aiotestkit_fakeio.TestSelector can report fake readiness"
)
_NOT_A_TEST_SELECTOR = (
    "its selector {selector!r} is not, and does not wrap, an aiotestkit_fakeio.TestSelector"
)
_EVENTS = (selectors.EVENT_READ, selectors.EVENT_WRITE)

_USE_A_TEST_SELECTOR = (
    "Build the loop with a TestSelector: aiotestkit_fakeio.new_fakeio_loop() (on 3.12+ also "
    "asyncio.run(main(), loop_factory=aiotestkit_fakeio.new_fakeio_loop)) or "
    "asyncio.SelectorEventLoop(aiotestkit_fakeio.TestSelector()); or, in an aiotestkit TestCase, "
    "{test_case}"
)
# For a subclass of SelectorEventLoop (aiotestkit_clock.ClockedEventLoop...): new_fakeio_loop()
# would build a plain loop and lose what the subclass adds (virtual time).
_PASS_A_TEST_SELECTOR = (
    "Pass a TestSelector to its own constructor, keeping what {name} adds: "
    "{name}(selector=aiotestkit_fakeio.TestSelector()) (new_fakeio_loop() would build a plain "
    "asyncio.SelectorEventLoop instead); or, in an aiotestkit TestCase, {test_case}"
)
_IN_A_TEST_CASE = (
    "remove the loop_factory (or use_default_loop) that selects this loop: the default loop "
    "hosts fake files"
)


def _loop_name(loop: object) -> str:
    """The loop's class as module and qualified name, e.g. ``uvloop.Loop``."""
    cls = type(loop)
    return f"{cls.__module__}.{cls.__qualname__}"


class FileDescriptor(int):
    """A fake file descriptor: an ``int`` from a range real descriptors never reach.

    ``FileDescriptor()`` allocates the next free number (from ``1 << 30`` upwards, process-wide).
    An explicit value must be in that range too, and reserves it: automatic numbers continue
    above the highest one seen, so two fake files never share a descriptor (as in asynctest).

    Raises:
        TypeError: an explicit value that is not an int.
        ValueError: an explicit value below ``1 << 30``.
    """

    _next: ClassVar[int] = _FIRST_FAKE_FD
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __new__(cls, value: int | None = None) -> FileDescriptor:
        if value is not None:
            try:
                value = operator.index(value)
            except TypeError:
                msg = (
                    f"FileDescriptor() takes an int (a fake fd >= {_FIRST_FAKE_FD}), or nothing "
                    f"for the next free one, got {value!r}"
                )
                raise TypeError(msg) from None
        if value is not None and value < _FIRST_FAKE_FD:
            msg = (
                f"fake file descriptors start at {_FIRST_FAKE_FD} so they never collide with "
                f"real ones, got {value!r}"
            )
            raise ValueError(msg)
        with cls._lock:  # mocks may be made from several threads
            if value is None:
                value = cls._next
            cls._next = max(cls._next, value + 1)
        return super().__new__(cls, value)

    def __repr__(self) -> str:
        return f"FileDescriptor({int(self)})"


def fd(fileobj: Any) -> int:
    """Return the file descriptor of ``fileobj``: itself if it is an ``int``, else ``fileno()``.

    Raises:
        ValueError: ``fileobj`` has no usable ``fileno()``.
    """
    if isinstance(fileobj, int):
        return fileobj
    try:
        value = fileobj.fileno()
    except Exception as exc:
        msg = f"{fileobj!r} has no file descriptor"
        raise ValueError(msg) from exc
    if not isinstance(value, int):
        msg = f"{fileobj!r}.fileno() returned {value!r}, not an int"
        raise ValueError(msg)
    return value


def isfilemock(obj: Any) -> bool:
    """Tell whether ``obj`` is a fake file: a ``FileDescriptor`` or has one as ``fileno()``."""
    if isinstance(obj, FileDescriptor):
        return True
    try:
        return isinstance(obj.fileno(), FileDescriptor)
    except (AttributeError, TypeError, ValueError, OSError):
        return False


def _fake_fd(fileobj: Any) -> int | None:
    """The fake fd of ``fileobj`` as a plain int, or None if it is (or names) a real file."""
    if isinstance(fileobj, int):
        value: Any = fileobj
    else:
        try:
            value = fileobj.fileno()
        except (AttributeError, TypeError, ValueError, OSError):
            return None
    if isinstance(value, int) and value >= _FIRST_FAKE_FD:
        return int(value)
    return None


class _Pollable(Protocol):
    def _fakeio_poll(self) -> int: ...


# Objects that report the readiness of a fake fd themselves (a FakePeer does), by fd number.
_pollers: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()


def _register_poller(fake_fd: int, poller: _Pollable) -> None:
    """Make ``TestSelector.select`` ask ``poller._fakeio_poll()`` whether ``fake_fd`` is ready."""
    _pollers[int(fake_fd)] = poller


class FileMock(Mock):
    """A mock of a file object whose ``fileno()`` returns its own ``FileDescriptor``.

    Its attributes are plain ``Mock``s: configure ``read``/``write`` and so on as needed. The
    arguments, positional ones included, are ``unittest.mock.Mock``'s (and asynctest's).

    Args:
        spec: as for ``unittest.mock.Mock``.
        side_effect: as for ``unittest.mock.Mock``.
        return_value: as for ``unittest.mock.Mock``.
        wraps: as for ``unittest.mock.Mock``.
        name: as for ``unittest.mock.Mock``.
        spec_set: as for ``unittest.mock.Mock``.
        parent: as for ``unittest.mock.Mock``.
        **kwargs: as for ``unittest.mock.Mock`` (attributes to configure).
    """

    _child_mock_class = Mock

    # The positional parameters of __init__, in order (asynctest's order for each class).
    _positional: ClassVar[tuple[str, ...]] = (
        "spec",
        "side_effect",
        "return_value",
        "wraps",
        "name",
        "spec_set",
        "parent",
    )

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # NonCallableMock.__new__ binds positional arguments to *its* signature (spec, wraps,
        # name, spec_set, ...) to decide whether the spec is async: hand them over by name, so a
        # positional side_effect is never taken for a spec.
        # Too many arguments: __init__ raises the usual TypeError.
        named = dict(zip(cls._positional, args, strict=False))
        return super().__new__(cls, **named, **kwargs)

    def __init__(
        self,
        spec: Any = None,
        side_effect: Any = None,
        return_value: Any = unittest.mock.DEFAULT,
        wraps: Any = None,
        name: str | None = None,
        spec_set: Any = None,
        parent: Any = None,
        **kwargs: Any,
    ) -> None:
        # unittest.mock.Mock has the same positional order.
        super().__init__(spec, side_effect, return_value, wraps, name, spec_set, parent, **kwargs)
        self.fileno.return_value = FileDescriptor()


def _returns_default_unless_configured(child: Any, default: Any) -> Any:
    """A side effect giving ``default(*args)`` unless the user assigned ``child.return_value``."""

    def side_effect(*args: Any, **kwargs: Any) -> Any:
        if _compat.return_value_configured(child):
            return unittest.mock.DEFAULT
        return default(*args, **kwargs)

    return side_effect


def _would_block(*args: Any, **kwargs: Any) -> Any:
    raise BlockingIOError("no data scripted for this socket mock")


def _sent_length(data: Any, *args: Any) -> int:
    return memoryview(data).nbytes


def _sent_message_length(buffers: Any, *args: Any) -> int:
    return sum(memoryview(buffer).nbytes for buffer in buffers)


class _SocketDefaults:
    """What a socket mock answers unless the user configures it."""

    def __init__(
        self,
        attributes: dict[str, Any],
        returns: dict[str, Any],
        effects: dict[str, Any] | None = None,
        factories: dict[str, Callable[[], Any]] | None = None,
    ) -> None:
        self.attributes = attributes
        self.returns = returns
        self.effects = effects or {}
        self.factories = factories or {}

    def install(self, mock: Any, configured: set[str]) -> None:
        """Apply each default whose name is not in ``configured`` (keyword arguments given)."""
        for name, value in self.attributes.items():
            if name not in configured:
                setattr(mock, name, value)
        for name, factory in self.factories.items():
            if name not in configured:
                setattr(mock, name, factory())  # one object per mock
        for name, value in self.returns.items():
            if name not in configured:
                getattr(mock, name).return_value = value
        for name, default in self.effects.items():
            if name not in configured:
                child = getattr(mock, name)
                child.side_effect = _returns_default_unless_configured(child, default)


_SOCKET_DEFAULTS = _SocketDefaults(
    attributes={
        "family": socket.AF_INET,
        "type": socket.SOCK_STREAM,
        "proto": socket.IPPROTO_TCP,
    },
    returns={
        "gettimeout": 0.0,
        "getsockopt": 0,
        "getsockname": ("127.0.0.1", 40000),
        "getpeername": ("127.0.0.1", 8080),
        "connect": None,
        "connect_ex": 0,
        "bind": None,
        "listen": None,
        "setblocking": None,
        "settimeout": None,
        "setsockopt": None,
        "shutdown": None,
        "close": None,
        "sendall": None,
    },
    effects={
        "recv": _would_block,
        "recv_into": _would_block,
        "recvfrom": _would_block,
        "recvfrom_into": _would_block,
        "send": _sent_length,
        "sendto": _sent_length,
        "sendmsg": _sent_message_length,
    },
)

# Where a SocketMock counts the connections its default accept() may still return: one per
# set_read_ready() call (in the mock's __dict__: a spec_set mock refuses new attributes).
_ACCEPTS = "_aiotestkit_pending_accepts"
# set_read_ready() may run in another thread than the loop's accept(): the count is shared.
_ACCEPTS_LOCK = threading.Lock()


def _default_accept(mock: SocketMock) -> Callable[..., Any]:
    """The default ``accept``: one new connection per read readiness, like a listening socket.

    asyncio's server accepts in a loop (up to its backlog) until ``accept`` raises
    ``BlockingIOError``; an ``accept`` that always succeeded would give it 100 phantom
    connections per readiness event.
    """

    def accept(*args: Any, **kwargs: Any) -> Any:
        with _ACCEPTS_LOCK:
            pending = mock.__dict__.get(_ACCEPTS, 0)
            if pending:
                mock.__dict__[_ACCEPTS] = pending - 1
        if not pending:
            msg = "no connection pending on this socket mock: set_read_ready(it) makes one arrive"
            raise BlockingIOError(msg)
        return SocketMock(), ("127.0.0.1", 40001)

    return accept


class SocketMock(FileMock):
    """A ``socket.socket`` mock the event loop accepts, with the defaults asyncio needs.

    ``isinstance(mock, socket.socket)`` is true. Unless configured otherwise (by keyword
    arguments, ``side_effect`` or ``return_value``), it is a connected, non-blocking TCP socket
    over IPv4 with nothing to read:

    - ``family``/``type``/``proto``: ``AF_INET``/``SOCK_STREAM``/``IPPROTO_TCP``;
    - ``fileno()``: a ``FileDescriptor``; ``gettimeout()``: ``0.0``; ``getsockopt()``: ``0``;
    - ``getsockname()``/``getpeername()``: ``("127.0.0.1", 40000)``/``("127.0.0.1", 8080)``;
    - ``recv``, ``recv_into``, ``recvfrom``, ``recvfrom_into``: raise ``BlockingIOError``;
    - ``send``, ``sendto``, ``sendmsg``: accept everything and return the byte count;
    - ``connect``, ``bind``, ``listen``, ``setblocking``, ``setsockopt``, ``shutdown``,
      ``close``: return None; ``connect_ex``: ``0``;
    - ``accept()``: like a listening socket, one new ``SocketMock`` and an address per
      ``set_read_ready(mock)`` call, ``BlockingIOError`` when none is pending (a server on the
      mock accepts one connection per readiness event).

    To script a conversation without writing side effects, attach an
    ``aiotestkit_fakeio.FakePeer``.

    Only a loop whose selector is (or wraps) a ``TestSelector`` can poll it. Other loops (uvloop,
    Proactor, a plain selector loop) refuse its fake ``fileno()`` with ``OSError`` (``EBADF``);
    the mock cannot tell the loop's poller from other callers of ``fileno()``, so only
    ``FakePeer`` and ``set_read_ready``/``set_write_ready`` turn that into a ``TypeError``.

    The arguments are asynctest's, in its positional order (there is no ``spec`` first: the
    spec is ``socket.socket`` unless ``spec=`` or ``spec_set`` is given).

    Args:
        side_effect: as for ``unittest.mock.Mock`` (calling the mock itself).
        return_value: as for ``unittest.mock.Mock``.
        wraps: as for ``unittest.mock.Mock``.
        name: as for ``unittest.mock.Mock``.
        spec_set: as for ``unittest.mock.Mock``; replaces the ``socket.socket`` spec.
        parent: as for ``unittest.mock.Mock``.
        **kwargs: as for ``unittest.mock.Mock``: ``spec=``, attributes to configure
            (``type=socket.SOCK_DGRAM``, ``**{"recv.return_value": b"data"}``), which win over
            the defaults above.
    """

    _spec: ClassVar[Any] = socket.socket
    _defaults: ClassVar[tuple[_SocketDefaults, ...]] = (_SOCKET_DEFAULTS,)
    _positional = ("side_effect", "return_value", "wraps", "name", "spec_set", "parent")

    def __init__(
        self,
        side_effect: Any = None,
        return_value: Any = unittest.mock.DEFAULT,
        wraps: Any = None,
        name: str | None = None,
        spec_set: Any = None,
        parent: Any = None,
        **kwargs: Any,
    ) -> None:
        configured = {key.split(".")[0] for key in kwargs}
        spec = kwargs.pop("spec", None if spec_set is not None else type(self)._spec)
        super().__init__(spec, side_effect, return_value, wraps, name, spec_set, parent, **kwargs)
        for defaults in type(self)._defaults:
            defaults.install(self, configured)
        if "accept" not in configured:
            self.accept.side_effect = _returns_default_unless_configured(
                self.accept, _default_accept(self)
            )


class SSLSocketMock(SocketMock):
    """A mock of an ``ssl.SSLSocket``, for code that inspects or drives one directly.

    asyncio itself never uses ``ssl.SSLSocket``: it runs TLS over a *plain* socket with
    ``SSLContext.wrap_bio`` and rejects SSLSocket objects (``TypeError: Socket cannot be of type
    SSLSocket``) in ``sock_*`` and ``create_connection(sock=)``. To test TLS through asyncio, use a
    ``SocketMock`` with a ``FakePeer(ssl=server_context)`` and
    ``open_connection(sock=mock, ssl=client_context)``. This mock still works with
    ``loop.add_reader``/``add_writer`` and ``set_read_ready``/``set_write_ready``.

    Defaults on top of ``SocketMock``'s: ``context`` (an ``SSLContext``), ``server_side``
    (False), ``server_hostname`` (None), ``do_handshake()`` (None), ``version()``
    (``"TLSv1.3"``), ``cipher()``, ``getpeercert()`` (``{}``), ``selected_alpn_protocol()``
    (None), ``pending()`` (0). The arguments are ``SocketMock``'s (asynctest's positional order).
    """

    _spec: ClassVar[Any] = ssl.SSLSocket
    _defaults = (
        _SOCKET_DEFAULTS,
        _SocketDefaults(
            attributes={"server_side": False, "server_hostname": None},
            returns={
                "do_handshake": None,
                "version": "TLSv1.3",
                "cipher": ("TLS_AES_256_GCM_SHA384", "TLSv1.3", 256),
                "getpeercert": {},
                "selected_alpn_protocol": None,
                "pending": 0,
            },
            factories={"context": lambda: ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)},
        ),
    )


class _SelectorMap(Mapping[Any, selectors.SelectorKey]):
    """The map of a TestSelector: its fake keys, then a live view of the wrapped selector's."""

    def __init__(self, selector: TestSelector) -> None:
        self._selector = selector

    def _real(self) -> Mapping[Any, selectors.SelectorKey]:
        real: Mapping[Any, selectors.SelectorKey] | None = self._selector.wrapped.get_map()
        return real if real is not None else {}

    def __len__(self) -> int:
        return len(self._selector._fake) + len(self._real())

    def __iter__(self) -> Iterator[Any]:
        yield from list(self._selector._fake)
        yield from self._real()

    def __getitem__(self, fileobj: Any) -> selectors.SelectorKey:
        fake = _fake_fd(fileobj)
        if fake is not None:
            return self._selector._fake[fake]
        return self._real()[fileobj]

    def get(self, fileobj: Any, default: Any = None) -> Any:
        try:
            return self[fileobj]
        except KeyError:
            return default


class TestSelector(selectors.BaseSelector):
    """A selector that hosts fake file objects and delegates real ones to a wrapped selector.

    Fake file objects (``FileMock``, ``SocketMock``, a ``FileDescriptor`` or anything whose
    ``fileno()`` is one) are registered in this selector only and never reach the OS. Real ones
    go to ``wrapped``. ``select()`` reports fake readiness (from ``set_read_ready``/
    ``set_write_ready``, one event per call and per ``select()``, or from an attached
    ``FakePeer``, level-triggered) at once,
    together with the wrapped selector's events; it blocks only when no fake event is pending.

    Install it through the loop's public constructor: ``asyncio.SelectorEventLoop(TestSelector())``
    or ``new_fakeio_loop()``.

    Args:
        selector: the real selector to wrap; a new ``selectors.DefaultSelector()`` if None.
    """

    __test__ = False  # not a pytest test class, despite its name

    def __init__(self, selector: selectors.BaseSelector | None = None) -> None:
        self.wrapped: selectors.BaseSelector = (
            selector if selector is not None else selectors.DefaultSelector()
        )
        """The real selector that file objects which are not fake are registered with."""
        self._fake: dict[int, selectors.SelectorKey] = {}
        # Readiness set by set_read_ready/set_write_ready, not yet delivered: a count of events
        # per (fd, EVENT_READ or EVENT_WRITE).
        self._pending: dict[tuple[int, int], int] = {}
        self._lock = threading.Lock()
        self._map = _SelectorMap(self)

    def __repr__(self) -> str:
        return f"<TestSelector fake={len(self._fake)} wrapped={self.wrapped!r}>"

    @staticmethod
    def _check_events(events: int) -> None:
        if not events or events & ~(selectors.EVENT_READ | selectors.EVENT_WRITE):
            msg = f"Invalid events: {events!r}"
            raise ValueError(msg)

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        """Register a file object: fake ones here, real ones with the wrapped selector."""
        fake = _fake_fd(fileobj)
        if fake is None:
            return self.wrapped.register(fileobj, events, data)
        self._check_events(events)
        if fake in self._fake:
            msg = f"{fileobj!r} (FD {fake}) is already registered"
            raise KeyError(msg)
        key = selectors.SelectorKey(fileobj, fake, events, data)
        self._fake[fake] = key
        return key

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        """Unregister a file object (readiness already set for it stays pending)."""
        fake = _fake_fd(fileobj)
        if fake is None:
            return self.wrapped.unregister(fileobj)
        try:
            return self._fake.pop(fake)
        except KeyError:
            msg = f"{fileobj!r} is not registered"
            raise KeyError(msg) from None

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        """Change the events or data of a registered file object."""
        fake = _fake_fd(fileobj)
        if fake is None:
            return self.wrapped.modify(fileobj, events, data)
        self._check_events(events)
        try:
            key = self._fake[fake]
        except KeyError:
            msg = f"{fileobj!r} is not registered"
            raise KeyError(msg) from None
        key = key._replace(events=events, data=data)
        self._fake[fake] = key
        return key

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        """Return fake and real events; block only while no fake event is pending."""
        ready = self._fake_events()
        real = self.wrapped.select(0 if ready else timeout)
        if not ready:
            # Readiness set by another thread while we blocked (it woke us via the self-pipe).
            ready = self._fake_events()
        return real + ready

    def get_key(self, fileobj: Any) -> selectors.SelectorKey:
        """Return the key of a registered file object (fake or real)."""
        try:
            return self._map[fileobj]
        except KeyError:
            msg = f"{fileobj!r} is not registered"
            raise KeyError(msg) from None

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        """A live mapping of every registration: the fake ones, then the wrapped selector's."""
        return self._map

    def close(self) -> None:
        """Close the wrapped selector and forget the fake registrations."""
        self.wrapped.close()
        self._fake.clear()
        with self._lock:
            self._pending.clear()

    def _mark_ready(self, fileobj: Any, events: int) -> None:
        """Report ``events`` for ``fileobj`` once more: one event per ``select()``.

        Each call counts: three ``set_read_ready`` calls before the next poll give three read
        events, one per ``select()``, as asynctest's did (each call had its own callback run).
        """
        number = _fake_fd(fileobj)
        if number is None:
            number = fd(fileobj)
        with self._lock:
            for event in _EVENTS:
                if events & event:
                    self._pending[number, event] = self._pending.get((number, event), 0) + 1

    def _fake_events(self) -> list[tuple[selectors.SelectorKey, int]]:
        with self._lock:
            pending = list(self._pending.items())
        masks: dict[int, int] = {}
        for number, fake_key in self._fake.items():
            poller = _pollers.get(number)
            if poller is not None:
                mask = poller._fakeio_poll() & fake_key.events
                if mask:
                    masks[number] = mask
        keys: dict[int, selectors.SelectorKey] = {}
        used: dict[tuple[int, int], int] = {}
        real_map = self.wrapped.get_map()
        for (number, event), count in pending:
            key = self._fake.get(number)
            if key is None and real_map is not None:
                key = real_map.get(number)
            if key is not None and key.events & event:
                keys[number] = key
                masks[number] = masks.get(number, 0) | event
                used[number, event] = 1  # one per select(); the rest at the next ones
            elif number < _FIRST_FAKE_FD:
                # A real file not registered for that event: dropped, as in asynctest (the OS
                # reuses real fd numbers, so a kept event could reach a file opened later). A
                # fake file keeps its events until someone listens.
                used[number, event] = count
        if used:
            with self._lock:
                for slot, taken in used.items():
                    left = self._pending.get(slot, 0) - taken
                    if left > 0:
                        self._pending[slot] = left
                    else:
                        self._pending.pop(slot, None)
        return [(keys.get(number) or self._fake[number], mask) for number, mask in masks.items()]


def _find_test_selector(loop: asyncio.AbstractEventLoop) -> TestSelector:
    selector = outer = _compat.loop_selector(loop)
    seen = 0
    while selector is not None and seen < 32:
        if isinstance(selector, TestSelector):
            return selector
        selector = getattr(selector, "wrapped", None)
        seen += 1
    if loop.is_closed():
        msg = f"{loop!r} is closed"
        raise RuntimeError(msg)
    reason = _NO_SELECTOR if outer is None else _NOT_A_TEST_SELECTOR.format(selector=outer)
    if isinstance(loop, asyncio.SelectorEventLoop) and type(loop) is not asyncio.SelectorEventLoop:
        advice = _PASS_A_TEST_SELECTOR.format(name=type(loop).__name__, test_case=_IN_A_TEST_CASE)
    else:
        advice = _USE_A_TEST_SELECTOR.format(test_case=_IN_A_TEST_CASE)
    msg = f"{_loop_name(loop)} cannot host fake file objects: {reason}. {advice}"
    raise TypeError(msg)


def _noop() -> None:
    """Wake the loop: a callback from call_soon_threadsafe ends a blocking select()."""


def _check_ready_target(function: str, fileobj: Any) -> None:
    """Refuse what cannot name a file: no ``fileno()``, a non-int one, a closed file."""
    if isinstance(fileobj, int):
        number = fileobj
    else:
        fileno = getattr(fileobj, "fileno", None)
        if fileno is None:
            msg = (
                f"{function}() takes a file mock, a FileDescriptor, or a file object registered "
                f"with the loop (something with fileno()), got {fileobj!r}"
            )
            raise TypeError(msg)
        try:
            number = fileno()
        except (OSError, ValueError) as exc:
            msg = f"{function}(): {fileobj!r} has no usable file descriptor (closed?): {exc}"
            raise ValueError(msg) from exc
        if not isinstance(number, int):
            msg = f"{function}(): {fileobj!r}.fileno() returned {number!r}, not an int"
            raise TypeError(msg)
    if number < 0:
        msg = f"{function}(): {fileobj!r} has the invalid file descriptor {number} (closed?)"
        raise ValueError(msg)


def _set_ready(
    function: str, fileobj: Any, loop: asyncio.AbstractEventLoop | None, events: int
) -> None:
    _check_ready_target(function, fileobj)
    if loop is None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            msg = (
                f"{function}() found no running event loop: call it from the loop's thread "
                f"while the loop runs, or pass the loop: {function}(fileobj, loop)"
            )
            raise RuntimeError(msg) from None
    selector = _find_test_selector(loop)
    if events & selectors.EVENT_READ and isinstance(fileobj, SocketMock):
        # A listening socket mock: one more connection for its default accept(), counted
        # before the event exists, so that the accept() it wakes always finds it.
        with _ACCEPTS_LOCK:
            fileobj.__dict__[_ACCEPTS] = fileobj.__dict__.get(_ACCEPTS, 0) + 1
    selector._mark_ready(fileobj, events)
    loop.call_soon_threadsafe(_noop)


def set_read_ready(fileobj: Any, loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Make the loop see ``fileobj`` readable once: its reader callback runs at the next poll.

    Each call is one event: calls made before the loop polls are delivered one per poll (three
    calls, three reader callbacks, as in asynctest), not merged into one.

    For a fake file object, readiness set before a reader is registered stays pending (each
    call one event) until one is. For a real file object (asynctest's semantics) it is
    delivered at the next poll if a reader is registered for it then, and dropped otherwise:
    real descriptor numbers are reused, so a kept event could reach another file. Safe to call
    from any thread.

    Args:
        fileobj: a fake file object or ``FileDescriptor``, or a real file object (or fd)
            registered with the loop.
        loop: a loop whose selector is (or wraps) a ``TestSelector``; the running loop if None.

    Raises:
        TypeError: ``fileobj`` has no ``fileno()``; or the loop cannot host fake file objects
            (uvloop, Proactor, a selector loop without a TestSelector).
        ValueError: ``fileobj`` is closed (its ``fileno()`` fails or is negative).
        RuntimeError: no ``loop`` was given and none is running in this thread; or the loop is
            closed.
    """
    _set_ready("set_read_ready", fileobj, loop, selectors.EVENT_READ)


def set_write_ready(fileobj: Any, loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Make the loop see ``fileobj`` writable once: its writer callback runs at the next poll.

    Each call is one event, and pending readiness is kept, as for ``set_read_ready``.

    Args:
        fileobj: a fake file object or ``FileDescriptor``, or a real file object (or fd)
            registered with the loop.
        loop: a loop whose selector is (or wraps) a ``TestSelector``; the running loop if None.

    Raises:
        TypeError: ``fileobj`` has no ``fileno()``; or the loop cannot host fake file objects.
        ValueError: ``fileobj`` is closed.
        RuntimeError: no ``loop`` was given and none is running in this thread; or the loop is
            closed.
    """
    _set_ready("set_write_ready", fileobj, loop, selectors.EVENT_WRITE)


def new_fakeio_loop() -> asyncio.SelectorEventLoop:
    """Create a selector event loop whose selector is a ``TestSelector``: a loop factory.

    Example:
        >>> asyncio.run(main(), loop_factory=new_fakeio_loop)  # doctest: +SKIP
    """
    return asyncio.SelectorEventLoop(TestSelector())
