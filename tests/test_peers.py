"""What the stdlib alternatives do, so the README's comparison table is measured, not claimed.

Each test pins one row of the table in README.md for ``IsolatedAsyncioTestCase`` + ``AsyncMock``;
the aiotestkit side of each row is covered by the package's own tests.
"""

from __future__ import annotations

import asyncio
import unittest
import warnings
from unittest import mock


def _run_case(case: type[unittest.TestCase]) -> unittest.TestResult:
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(case).run(result)
    return result


def test_isolated_case_never_awaits_an_asynctest_style_setup() -> None:
    events: list[str] = []

    class Case(unittest.IsolatedAsyncioTestCase):
        async def setUp(self) -> None:  # type: ignore[override]
            events.append("setUp")

        async def test_it(self) -> None:
            events.append("test")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _run_case(Case)
    assert result.wasSuccessful()
    assert events == ["test"]  # setUp's body never ran, yet the test passed
    assert any("never awaited" in str(w.message) for w in caught)


def test_isolated_case_cancels_leftover_tasks_silently() -> None:
    class Case(unittest.IsolatedAsyncioTestCase):
        async def test_leaks(self) -> None:
            asyncio.get_running_loop().create_task(asyncio.sleep(3600))

    assert _run_case(Case).wasSuccessful()


def test_isolated_case_does_not_report_pending_timers() -> None:
    class Case(unittest.IsolatedAsyncioTestCase):
        async def test_leaks(self) -> None:
            asyncio.get_running_loop().call_later(3600, print)

    assert _run_case(Case).wasSuccessful()


def test_async_mock_has_no_await_waiters_and_returns_awaitables_unawaited() -> None:
    async def main() -> None:
        future = asyncio.get_running_loop().create_future()
        future.set_result(3)
        m = mock.AsyncMock(return_value=future)
        assert await m() is future  # CoroutineMock awaits it and returns 3
        assert "awaited" not in dir(mock.AsyncMock)

    asyncio.run(main())


async def _target() -> str:
    return "original"


def test_stdlib_patch_is_visible_to_other_tasks_while_suspended() -> None:
    seen: list[str] = []

    @mock.patch(f"{__name__}._target", new=mock.AsyncMock(return_value="patched"))
    async def patched(gate: asyncio.Event) -> None:
        await gate.wait()

    async def main() -> None:
        gate = asyncio.Event()
        task = asyncio.create_task(patched(gate))
        await asyncio.sleep(0)
        seen.append(await _target())  # patched() is suspended, not running
        gate.set()
        await task

    asyncio.run(main())
    assert seen == ["patched"]  # aiotestkit's scope=LIMITED would show "original"
