"""exhaust_callbacks, asynctest's helper, works on Python 3.10+."""

from __future__ import annotations

import asyncio

import pytest

from aiotestkit import exhaust_callbacks, new_fakeio_loop


def test_drains_chained_callbacks_but_not_timers() -> None:
    seen: list[str] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def first() -> None:
            seen.append("first")
            loop.call_soon(lambda: seen.append("second"))

        loop.call_soon(first)
        loop.call_later(3600, seen.append, "timer")
        await exhaust_callbacks(loop)
        assert seen == ["first", "second"]
        await exhaust_callbacks()  # nothing left: returns at once

    asyncio.run(main())


def test_endless_rescheduling_is_reported() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()

        def again() -> None:
            loop.call_soon(again)

        loop.call_soon(again)
        with pytest.raises(ValueError, match="max_rounds=50"):
            await exhaust_callbacks(max_rounds=50)

    loop = new_fakeio_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


def test_other_loop_is_refused() -> None:
    other = asyncio.new_event_loop()

    async def main() -> None:
        with pytest.raises(ValueError, match="not the running loop"):
            await exhaust_callbacks(other)

    try:
        asyncio.run(main())
    finally:
        other.close()


def test_native_loop_is_refused() -> None:
    uvloop = pytest.importorskip("uvloop")

    async def main() -> None:
        with pytest.raises(TypeError, match=r"asyncio\.sleep\(0\)"):
            await exhaust_callbacks()

    loop = uvloop.new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
