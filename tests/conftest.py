"""Fixtures shared by the whole suite, and which tests run one at a time under `make test`."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Final

import pytest

from smsgate.simulator.smsc import SimulatorConfig, SmscSimulator

# Tests that start several processes and judge what they did within fixed times (the fault
# campaign, kill -9, the benchmarks' smoke runs, nodes in processes, Kannel).
# `make test` runs the suite in several workers (most tests wait on sockets and timers, not
# the CPU); these go to one worker, one after another, so no two of them run at once.
ONE_AT_A_TIME: Final = (
    "tests/test_bench",
    "tests/test_crash.py",
    "tests/cluster/test_processes.py",
    "tests/interop/",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(ONE_AT_A_TIME):
            item.add_marker(pytest.mark.xdist_group("one_at_a_time"))


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
