"""A tiny loop-per-test base class, so fakeio's tests do not depend on aiotestkit_testcase."""

from __future__ import annotations

import asyncio
import gc
import inspect
import unittest
from collections.abc import Callable
from typing import Any

from aiotestkit_fakeio import new_fakeio_loop


class FakeIOTestCase(unittest.TestCase):
    """Run each test, sync or ``async def``, on a fresh loop from ``new_fakeio_loop()``."""

    loop: asyncio.AbstractEventLoop

    def setUp(self) -> None:
        self.loop = new_fakeio_loop()

    def tearDown(self) -> None:
        loop = self.loop
        # Finalise streams and transports the test dropped while the loop can still close them.
        gc.collect()
        loop.run_until_complete(asyncio.sleep(0))
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    def _callTestMethod(self, method: Callable[[], Any]) -> None:
        result = method()
        if inspect.iscoroutine(result):
            self.loop.run_until_complete(result)
