"""The README's examples run as written (with stand-ins for the names they leave to the reader)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import types
import unittest
from pathlib import Path
from typing import Any

import pytest

from aiotestkit_loopguard import (
    LoopGuard,
    check_loop,
    known_checks,
    resolve_checks,
    unregister_check,
)

README = Path(__file__).resolve().parents[2] / "packages" / "loopguard" / "README.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def block(first_line: str) -> str:
    [found] = [code for code in blocks() if code.startswith(first_line)]
    return found


def run(code: str, **names: Any) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "readme_example", **names}
    exec(compile(code, str(README), "exec"), namespace)
    return namespace


def test_every_block_is_covered_below() -> None:
    firsts = sorted(code.splitlines()[0] for code in blocks())
    assert firsts == sorted(
        [
            "from aiotestkit_loopguard import LoopGuard",
            "from aiotestkit_loopguard import fail_on, ignore_loop, lenient, strict",
            "import asyncio",
            "from aiotestkit_loopguard import CheckContext, register_check",
            "from aiotestkit_loopguard import forbid_get_event_loop, GetEventLoopForbiddenError",
        ]
    )


def test_loopguard_example() -> None:
    ran: list[bool] = []

    async def main() -> None:
        await asyncio.sleep(0)
        ran.append(True)

    namespace = run(block("from aiotestkit_loopguard import LoopGuard"), main=main)
    assert ran == [True]
    assert namespace["loop"].is_closed()


def test_decorators_example() -> None:
    class TestCase(unittest.TestCase):  # a stand-in declaring the hook, like aiotestkit's
        forbid_get_event_loop = False

    aiotestkit = types.SimpleNamespace(TestCase=TestCase)
    namespace = run(block("from aiotestkit_loopguard import fail_on"), aiotestkit=aiotestkit)
    case = namespace["MyTest"]
    assert all(resolve_checks(case, "test_tidy").values())
    assert not any(resolve_checks(case, "test_messy").values())
    mostly = resolve_checks(case, "test_mostly_tidy")
    assert mostly["leftover_tasks"] is False
    assert mostly["active_handles"] is True
    assert resolve_checks(case, "test_sync") == {**known_checks(), "active_handles": True}


def test_pytest_example() -> None:
    async def run_service() -> None:
        await asyncio.sleep(0)

    namespace = run(block("import asyncio"), run_service=run_service)
    with LoopGuard() as loop:
        loop.run_until_complete(namespace["test_something"]())
    # On a loop no guard manages (pytest-asyncio's), from inside the running test task.
    other = asyncio.new_event_loop()
    try:
        other.run_until_complete(namespace["test_something"]())
    finally:
        other.close()


def test_custom_check_example() -> None:
    connections: list[str] = ["already-open"]
    db = types.SimpleNamespace(open_connections=lambda: list(connections))
    run(block("from aiotestkit_loopguard import CheckContext"), db=db)
    try:
        guard = LoopGuard()
        guard.start()
        try:
            assert guard.check({"open_db_connections": True}) == []
            connections.append("leaked")
            [finding] = guard.check({"open_db_connections": True})
            assert finding.message == "connection 'leaked' left open"
        finally:
            guard.close()
        other = asyncio.new_event_loop()  # not managed by a guard: no baseline
        try:
            assert len(check_loop(other, open_db_connections=True)) == 2
        finally:
            other.close()
    finally:
        unregister_check("open_db_connections")


def test_forbid_example(capsys: pytest.CaptureFixture[str]) -> None:
    def legacy_setup() -> None:
        with contextlib.suppress(RuntimeError):  # swallowed, yet recorded
            asyncio.get_event_loop()

    class TestCase(unittest.TestCase):  # a stand-in declaring the hook, like aiotestkit's
        forbid_get_event_loop = False

    aiotestkit = types.SimpleNamespace(TestCase=TestCase)
    namespace = run(
        block("from aiotestkit_loopguard import forbid_get_event_loop"),
        legacy_setup=legacy_setup,
        aiotestkit=aiotestkit,
    )
    assert "in legacy_setup" in capsys.readouterr().out
    assert namespace["MyTest"].forbid_get_event_loop is True
    assert "_callTestMethod" in vars(namespace["MyLegacyTest"])  # wrapped to forbid


LEFTOVER_TASK = re.compile(
    r"^ - leftover_tasks: task still running: 'forgotten' created at \S+test_app\.py:\d+ in "
    r"test_forgets_its_task, awaiting: poll\(\) at \S+app\.py:\d+ "
    r"-> sleep\(\) at \S+tasks\.py:\d+$",
    re.M,
)


def test_the_leftover_task_message_is_as_shown() -> None:
    # Stand-ins compiled under the README's file names.
    app = types.ModuleType("app")
    exec(
        compile(
            "import asyncio\nasync def poll():\n    await asyncio.sleep(10)\n",
            "/src/app.py",
            "exec",
        ),
        vars(app),
    )
    test_module: dict[str, Any] = {"app": app, "asyncio": asyncio}
    source = (
        "def test_forgets_its_task(loop):\n    loop.create_task(app.poll(), name='forgotten')\n"
    )
    exec(compile(source, "/src/tests/test_app.py", "exec"), test_module)
    assert LEFTOVER_TASK.search(README.read_text(encoding="utf-8"))
    guard = LoopGuard(debug=False)
    loop = guard.start()
    try:
        test_module["test_forgets_its_task"](loop)
        loop.run_until_complete(asyncio.sleep(0))
        with pytest.raises(AssertionError) as caught:
            guard.assert_clean({"leftover_tasks": True})
    finally:
        guard.close()
    if not hasattr(asyncio, "format_call_graph"):  # 3.14+: the call graph, not the chain
        assert LEFTOVER_TASK.search(str(caught.value)), str(caught.value)
