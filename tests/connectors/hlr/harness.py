"""What the HLR connector tests share: an engine stand-in that records events, and a rig that
runs the simulated HLR provider and a connector looking up through it on loopback HTTP."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from smsgate.connectors.hlr import HlrConnector, HlrConnectorConfig, lookup_id
from smsgate.engine.clock import Clock
from smsgate.engine.ports import DeliveryReport, InboundPart, OutboundPart, PartKey, UserEvent
from smsgate.simulator.hlr import HlrSimulator, HlrSimulatorConfig

TIMEOUT = 10.0  # the bound on any wait in these tests; none should come near it
CONNECTOR_ID = "hlr1"
TOKEN = "hlr-token"
DOCOMO = "819087012345"  # 819087: a docomo range
SOFTBANK = "819091012345"  # 819091: softbank
LANDLINE = "81312345678"  # Tokyo fixed line: no mobile subscriber

Hook = Callable[[DeliveryReport], Awaitable[None]]


class Recorder:
    """The engine's side of ConnectorEvents: records every call, in order (`log`), and lets a
    test wait for a condition on what arrived (woken by each event, bounded by TIMEOUT)."""

    def __init__(self) -> None:
        self.accepted_parts: list[tuple[PartKey, str, str]] = []
        self.failures: list[tuple[PartKey, str, str, bool]] = []
        self.receipts: list[DeliveryReport] = []
        self.log: list[tuple[str, str]] = []  # ("accepted" | "receipt", lookup id)
        self.hook: Hook | None = None  # runs before a receipt is recorded; may raise
        self._changed = asyncio.Event()

    def accepted(self, key: PartKey, carrier_id: str, connector_id: str) -> None:
        self.accepted_parts.append((key, carrier_id, connector_id))
        self.log.append(("accepted", carrier_id))
        self._changed.set()

    def failed(self, key: PartKey, error: str, detail: str, *, permanent: bool) -> None:
        self.failures.append((key, error, detail, permanent))
        self._changed.set()

    async def receipt(self, connector_id: str, report: DeliveryReport) -> None:
        assert connector_id == CONNECTOR_ID
        if self.hook is not None:
            await self.hook(report)
        self.receipts.append(report)
        self.log.append(("receipt", report.carrier_ids[0]))
        self._changed.set()

    async def inbound(self, connector_id: str, part: InboundPart) -> None:
        raise AssertionError("an HLR connector reports no inbound parts")

    async def user_event(self, connector_id: str, event: UserEvent) -> None:
        raise AssertionError("an HLR connector reports no user events")

    def report(self, key: PartKey) -> DeliveryReport:
        wanted = (lookup_id(key),)
        (found,) = [r for r in self.receipts if r.carrier_ids == wanted]
        return found

    def outcomes(self) -> int:
        return len(self.receipts) + len(self.failures)

    async def wait_until(self, condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
        async def satisfied() -> None:
            while not condition():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(satisfied(), timeout)


async def poll_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    """For a condition on the simulator, which has no event to wait on: checked every 10 ms,
    bounded by TIMEOUT."""

    async def satisfied() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(satisfied(), timeout)


def hlr_part(n: int, destination: str = DOCOMO) -> OutboundPart:
    return OutboundPart(
        key=PartKey(f"m{n}", 1),
        source="Acme",
        destination=destination,
        body=b"",
        channel="hlr",
    )


def simulator_config(**fields: Any) -> HlrSimulatorConfig:
    defaults: dict[str, Any] = {"port": 0, "token": TOKEN, "absent_share": 0.0}
    defaults.update(fields)
    return HlrSimulatorConfig(**defaults)


def connector_config(base_url: str, **fields: Any) -> HlrConnectorConfig:
    defaults: dict[str, Any] = {
        "id": CONNECTOR_ID,
        "base_url": base_url,
        "token": TOKEN,
        "request_timeout": 2.0,
        "max_attempts": 3,
        "retry_min": 0.01,
        "retry_max": 0.05,
        "recovery_interval": 0.2,
    }
    defaults.update(fields)
    return HlrConnectorConfig(**defaults)


@dataclass
class Rig:
    simulator: HlrSimulator
    connector: HlrConnector
    events: Recorder


@contextlib.asynccontextmanager
async def rig(
    sim: HlrSimulatorConfig | None = None, clock: Clock | None = None, **fields: Any
) -> AsyncIterator[Rig]:
    """The simulated provider and a started connector looking up through it."""
    simulator = HlrSimulator(sim or simulator_config())
    await simulator.start()
    connector = HlrConnector(connector_config(simulator.base_url, **fields), clock=clock)
    events = Recorder()
    try:
        await connector.start(events)
        yield Rig(simulator, connector, events)
    finally:
        await connector.stop(1.0)
        await simulator.stop()


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(scenario(), 3 * TIMEOUT)

    asyncio.run(bounded())
