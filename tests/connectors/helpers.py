"""What the connector tests share: an engine stand-in that records events, parts, and a runner
that starts the simulator and a connector on loopback."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from smsgate.connectors.smpp import ConnectorConfig, SmppConnector
from smsgate.engine.ports import DeliveryReport, InboundPart, OutboundPart, PartKey
from smsgate.simulator.smsc import SimulatorConfig, SmscSimulator
from tests.conftest import start_simulator

TIMEOUT = 15.0  # the bound on any wait in these tests; none should come near it
SYSTEM_ID = "esme"

Hook = Callable[[Any], Awaitable[None]]


class Recorder:
    """The engine's side of ConnectorEvents: records everything, in order, and lets a test
    wait for a condition on what arrived (woken by each event, bounded by TIMEOUT)."""

    def __init__(self) -> None:
        self.submissions: list[tuple[PartKey, str, str]] = []
        self.submitted_ids: set[str] = set()
        self.failures: list[tuple[PartKey, str, bool, str]] = []
        self.receipts: list[DeliveryReport] = []
        self.mo: list[InboundPart] = []
        self.order: list[tuple[str, str]] = []  # ("submitted" | "receipt", upstream id)
        self.receipt_hook: Hook | None = None  # runs before a receipt is recorded; may raise
        self.inbound_hook: Hook | None = None
        self._changed = asyncio.Event()

    def accepted(self, key: PartKey, carrier_id: str, connector_id: str) -> None:
        self.submitted_ids.add(carrier_id)
        self.submissions.append((key, carrier_id, connector_id))
        self.order.append(("submitted", carrier_id))
        self._changed.set()

    def failed(self, key: PartKey, error: str, detail: str, *, permanent: bool) -> None:
        self.failures.append((key, error, permanent, detail))
        self._changed.set()

    async def receipt(self, connector_id: str, report: DeliveryReport) -> None:
        if self.receipt_hook is not None:
            await self.receipt_hook(report)
        self.receipts.append(report)
        self.order.append(("receipt", report.carrier_ids[0]))
        self._changed.set()

    async def inbound(self, connector_id: str, part: InboundPart) -> None:
        if self.inbound_hook is not None:
            await self.inbound_hook(part)
        self.mo.append(part)
        self._changed.set()

    def keys_submitted(self) -> set[PartKey]:
        return {key for key, _, _ in self.submissions}

    async def wait_until(self, condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
        async def satisfied() -> None:
            while not condition():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(satisfied(), timeout)


def make_part(n: int, *, destination: str = "819012345678", receipt: bool = True) -> OutboundPart:
    return OutboundPart(
        key=PartKey(f"m{n}", 1),
        source="447700900123",
        source_ton=1,
        source_npi=1,
        destination=destination,
        body=f"message {n}".encode(),
        receipt=receipt,
    )


def connector_config(port: int, **overrides: Any) -> ConnectorConfig:
    base = ConnectorConfig(
        id="carrier",
        host="127.0.0.1",
        port=port,
        system_id=SYSTEM_ID,
        password="secret",
        reconnect_min=0.05,
        reconnect_max=0.2,
        throttle_pause_min=0.02,
        throttle_pause_max=0.2,
    )
    return replace(base, **overrides)


def submit_all(connector: SmppConnector, parts: list[OutboundPart]) -> None:
    for part in parts:
        assert connector.submit(part), f"queue refused {part.key}"


Scenario = Callable[[SmscSimulator, SmppConnector, Recorder], Awaitable[None]]


def run(
    scenario: Scenario,
    sim_config: SimulatorConfig | None = None,
    **connector_overrides: Any,
) -> None:
    """Start the simulator and a connector bound to it, run the scenario, stop both."""

    async def main() -> None:
        sim = await start_simulator(sim_config)
        recorder = Recorder()
        connector = SmppConnector(connector_config(sim.config.port, **connector_overrides))
        await connector.start(recorder)
        try:
            await scenario(sim, connector, recorder)
        finally:
            await connector.stop(drain_timeout=1.0)
            await sim.stop()

    asyncio.run(main())


class LogWatcher(logging.Handler):
    """Counts log records containing `text`, so a test can wait for something the connector
    only logs (a refused bind) as it would wait for an event."""

    def __init__(self, text: str) -> None:
        super().__init__(logging.DEBUG)
        self.text = text
        self.count = 0
        self._changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.count += 1
            self._changed.set()

    async def wait_for(self, count: int, timeout: float = TIMEOUT) -> None:
        async def enough() -> None:
            while self.count < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(enough(), timeout)


@contextmanager
def watch_log(logger: str, text: str) -> Iterator[LogWatcher]:
    watcher = LogWatcher(text)
    log = logging.getLogger(logger)
    level = log.level
    log.addHandler(watcher)
    log.setLevel(logging.DEBUG)
    try:
        yield watcher
    finally:
        log.removeHandler(watcher)
        log.setLevel(level)
