"""Run a coroutine on uvloop where it is installed, else on asyncio's own loop."""

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop  # noqa: PLC0415 - optional, not on every platform
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
