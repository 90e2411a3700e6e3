"""The examples of packages/testcase/README.md run as written, under pytest (in-process).

The `myapp` module they import stands for the reader's application.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "packages" / "testcase" / "README.md"

MYAPP = """
import asyncio


class Server:
    async def ping(self):
        await asyncio.sleep(0)
        return "pong"

    async def call(self, what, timeout):
        raise TimeoutError(what)

    async def stop(self):
        await asyncio.sleep(0)


async def start_server():
    return Server()


async def retry_with_backoff():
    for delay in (1, 2, 4, 8, 16):
        await asyncio.sleep(delay)


def make_client():
    return object()
"""


def blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)


def test_readme_examples_run(pytester: pytest.Pytester) -> None:
    unittest_example, hypothesis_example, pytest_example, asyncio_example = blocks("python")
    (ini,) = blocks("ini")
    pytester.makepyfile(myapp=MYAPP)
    fast = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider", "-p", "no:randomly")

    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(
        test_unittest_example=unittest_example,
        test_hypothesis_example=hypothesis_example,
        test_pytest_example=pytest_example,
    )
    result = pytester.runpytest_inprocess(*fast)
    result.assert_outcomes(passed=6)

    # The pytest-asyncio example needs the ini option shown next to it.
    pytester.makeini(ini + "asyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_asyncio_example=asyncio_example)
    result = pytester.runpytest_inprocess(*fast, "test_asyncio_example.py")
    result.assert_outcomes(passed=1)
