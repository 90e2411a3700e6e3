"""The code in the root README runs as shown."""

from __future__ import annotations

import re
import unittest
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_readme_example_tests_pass() -> None:
    blocks = python_blocks()
    assert blocks
    for block in blocks:
        namespace: dict[str, object] = {"__name__": "readme_example"}
        exec(compile(block, str(README), "exec"), namespace)
        cases = [
            value
            for value in namespace.values()
            if isinstance(value, type) and issubclass(value, unittest.TestCase)
        ]
        suite = unittest.TestSuite(
            unittest.defaultTestLoader.loadTestsFromTestCase(case) for case in cases
        )
        result = unittest.TestResult()
        suite.run(result)
        assert result.wasSuccessful(), result.failures + result.errors
        assert result.testsRun == len(cases) >= 1
