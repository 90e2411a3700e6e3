"""A wrapping selector (like aiotestkit_fakeio.TestSelector): fake fds never hold time back."""

from __future__ import annotations

import asyncio
import selectors
import time
from collections.abc import Mapping
from typing import Any

from aiotestkit_clock import ClockedEventLoop

from ._support import running_clock

FAKE_FD = 1 << 30


class WrappingSelector(selectors.BaseSelector):
    """Keeps fds >= 1 << 30 to itself and hands the others to the real selector it wraps."""

    def __init__(self) -> None:
        self.wrapped = selectors.DefaultSelector()
        self.fake: dict[int, selectors.SelectorKey] = {}
        self.ready: set[int] = set()

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        if isinstance(fileobj, int) and fileobj >= FAKE_FD:
            key = selectors.SelectorKey(fileobj, fileobj, events, data)
            self.fake[fileobj] = key
            return key
        return self.wrapped.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        if isinstance(fileobj, int) and fileobj in self.fake:
            self.ready.discard(fileobj)
            return self.fake.pop(fileobj)
        return self.wrapped.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        if isinstance(fileobj, int) and fileobj in self.fake:
            self.unregister(fileobj)
        else:
            self.wrapped.unregister(fileobj)
        return self.register(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        fake = [(self.fake[fd], selectors.EVENT_READ) for fd in sorted(self.ready)]
        self.ready.clear()
        return fake + self.wrapped.select(0 if fake else timeout)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return {**self.wrapped.get_map(), **self.fake}

    def close(self) -> None:
        self.wrapped.close()


def test_fake_registrations_never_make_the_clock_wait_in_real_time() -> None:
    selector = WrappingSelector()
    loop = ClockedEventLoop(selector, autojump=True, io_grace=0.2)

    async def main() -> float:
        clock = running_clock()
        clock.add_reader(FAKE_FD, lambda: None)
        start = time.perf_counter()
        await asyncio.sleep(3600)
        clock.remove_reader(FAKE_FD)
        return time.perf_counter() - start

    try:
        assert loop.run_until_complete(main()) < 0.1
    finally:
        loop.close()


def test_fake_readiness_is_delivered_at_the_virtual_time_it_is_set() -> None:
    selector = WrappingSelector()
    loop = ClockedEventLoop(selector, autojump=True)

    async def main() -> float:
        clock = running_clock()
        readable: asyncio.Future[float] = clock.create_future()

        def on_readable() -> None:
            if not readable.done():
                readable.set_result(clock.time())

        clock.add_reader(FAKE_FD, on_readable)

        def make_ready() -> None:
            selector.ready.add(FAKE_FD)
            clock.call_soon_threadsafe(lambda: None)  # what fakeio's set_read_ready does

        clock.call_later(7, make_ready)
        try:
            return await asyncio.wait_for(readable, 10)
        finally:
            clock.remove_reader(FAKE_FD)

    try:
        assert loop.run_until_complete(main()) == 7.0
    finally:
        loop.close()
