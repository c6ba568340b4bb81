"""A scenario against a whole gateway whose clock moves only when the scenario says so."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from smsgate.engine.clock import ManualClock
from tests.api.harness import Running, running_gateway
from tests.store.backends import StoreBackend

Scenario = Callable[[Running, ManualClock], Awaitable[None]]


def run_clocked(
    backend: StoreBackend, scenario: Scenario, *, start: float | None = None, **settings: Any
) -> None:
    """`start`: the clock's first reading (Unix seconds), for a document's example that is
    dated; ManualClock's own default otherwise."""

    async def main() -> None:
        clock = ManualClock() if start is None else ManualClock(start)
        async with running_gateway(backend.url, clock, **settings) as gw:
            await scenario(gw, clock)

    asyncio.run(main())
