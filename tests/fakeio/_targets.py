"""Things the patch tests patch."""

from __future__ import annotations

import asyncio

CONFIG: dict[str, str] = {"mode": "real"}


async def fetch(url: str) -> str:
    await asyncio.sleep(0)
    return f"real {url}"


def compute() -> str:
    return "real"


class Service:
    async def call(self) -> str:
        return "real"

    def name(self) -> str:
        return "real"
