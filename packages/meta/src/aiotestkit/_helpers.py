"""asynctest's ``helpers`` module, fixed for Python 3.10+."""

from __future__ import annotations

import asyncio

from aiotestkit._compat import ready_callbacks

__all__ = ("exhaust_callbacks",)


async def exhaust_callbacks(
    loop: asyncio.AbstractEventLoop | None = None, *, max_rounds: int = 10_000
) -> None:
    """Yield to the loop until no callback is ready to run.

    Callbacks that schedule further callbacks with ``call_soon`` are drained too; timers
    (``call_later``/``call_at``) are not waited for. asynctest's version passed ``loop=`` to
    ``asyncio.sleep``, which raises ``TypeError`` on Python 3.10+; this one does not.

    Args:
        loop: The running loop. ``None`` (the default) means the running loop; passing
            another loop is an error, since only the running loop can be yielded to.
        max_rounds: How many times to yield before giving up. Code that re-schedules itself
            with ``call_soon`` forever would otherwise make this never return.

    Raises:
        ValueError: If ``loop`` is not the running loop, or the ready queue did not drain
            within ``max_rounds`` yields.
        TypeError: If the loop does not expose its ready queue (uvloop and other native
            loops); use ``await asyncio.sleep(0)`` a known number of times instead.
    """
    running = asyncio.get_running_loop()
    if loop is not None and loop is not running:
        raise ValueError(
            f"exhaust_callbacks() got loop={loop!r}, which is not the running loop "
            f"{running!r}: await it from a coroutine running on that loop"
        )
    if ready_callbacks(running) is None:
        raise TypeError(
            f"exhaust_callbacks() needs an asyncio selector or proactor loop, not "
            f"{type(running).__qualname__}: await asyncio.sleep(0) instead"
        )
    for _ in range(max_rounds):
        if not ready_callbacks(running):
            return
        await asyncio.sleep(0)
    raise ValueError(
        f"callbacks kept re-scheduling themselves: the ready queue was not empty after "
        f"{max_rounds} yields (max_rounds={max_rounds})"
    )
