"""Fixtures shared by the whole suite."""

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from smsgate.simulator.smsc import SimulatorConfig, SmscSimulator


@pytest.fixture
def event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


async def start_simulator(config: SimulatorConfig | None = None) -> SmscSimulator:
    config = config or SimulatorConfig()
    config.port = 0  # a free port chosen by the kernel
    simulator = SmscSimulator(config)
    await simulator.start()
    return simulator


async def _aiter_simulator(config: SimulatorConfig) -> AsyncIterator[SmscSimulator]:
    simulator = await start_simulator(config)
    try:
        yield simulator
    finally:
        await simulator.stop()
