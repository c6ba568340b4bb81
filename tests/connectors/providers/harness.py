"""What the provider connector tests share: an engine stand-in that records events, and a rig
that runs the webhook routes, the simulated provider and connectors on loopback HTTP."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette

from smsgate.api.http.server import HttpServer
from smsgate.connectors.providers import (
    ProviderConnector,
    ProviderConnectorConfig,
    reference,
    webhook_routes,
)
from smsgate.engine.ports import DeliveryReport, InboundPart, OutboundPart, PartKey, UserEvent
from smsgate.simulator.providers import ProvidersSimulator, ProvidersSimulatorConfig

TIMEOUT = 10.0  # the bound on any wait in these tests; none should come near it
TOKEN = "provider-token"
WEBHOOK_TOKEN = "webhook-token"
SENDER = "ACME"

Hook = Callable[[DeliveryReport], Awaitable[None]]


class Recorder:
    """The engine's side of ConnectorEvents: records every call, in order, and lets a test
    wait for a condition on what arrived (woken by each event, bounded by TIMEOUT)."""

    def __init__(self) -> None:
        self.accepted_parts: list[tuple[PartKey, str, str]] = []
        self.failures: list[tuple[PartKey, str, str, bool]] = []
        self.receipts: list[tuple[str, DeliveryReport]] = []
        self.hook: Hook | None = None  # runs before a receipt is recorded
        self._changed = asyncio.Event()

    def accepted(self, key: PartKey, carrier_id: str, connector_id: str) -> None:
        self.accepted_parts.append((key, carrier_id, connector_id))
        self._changed.set()

    def failed(self, key: PartKey, error: str, detail: str, *, permanent: bool) -> None:
        self.failures.append((key, error, detail, permanent))
        self._changed.set()

    async def receipt(self, connector_id: str, report: DeliveryReport) -> None:
        if self.hook is not None:
            await self.hook(report)
        self.receipts.append((connector_id, report))
        self._changed.set()

    async def inbound(self, connector_id: str, part: InboundPart) -> None:
        raise AssertionError("a provider connector reports no SMS inbound parts")

    async def user_event(self, connector_id: str, event: UserEvent) -> None:
        raise AssertionError("a provider connector reports no user events")

    def carrier_id(self, key: PartKey) -> str:
        (found,) = [carrier_id for k, carrier_id, _ in self.accepted_parts if k == key]
        return found

    def reports(self, carrier_id: str) -> list[DeliveryReport]:
        return [r for _, r in self.receipts if r.carrier_ids == (carrier_id,)]

    def labels(self, carrier_id: str) -> list[str]:
        return [r.label for r in self.reports(carrier_id)]

    def failure(self, key: PartKey) -> tuple[str, str, bool]:
        (found,) = [(e, d, p) for k, e, d, p in self.failures if k == key]
        return found

    async def wait_until(self, condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
        async def satisfied() -> None:
            while not condition():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(satisfied(), timeout)

    async def wait_for_labels(self, key: PartKey, count: int) -> list[str]:
        """Wait for the part to be accepted and have `count` reports; their labels."""
        await self.wait_until(
            lambda: (
                any(k == key for k, _, _ in self.accepted_parts)
                and len(self.labels(self.carrier_id(key))) >= count
            )
        )
        return self.labels(self.carrier_id(key))

    async def wait_for_failure(self, key: PartKey) -> tuple[str, str, bool]:
        await self.wait_until(lambda: any(k == key for k, *_ in self.failures))
        return self.failure(key)


def part(
    n: int,
    destination: str = "79161234567",
    text: str | None = None,
    channel: str = "viber",
    **content: Any,
) -> OutboundPart:
    return OutboundPart(
        key=PartKey(f"m{n}", 1),
        source=SENDER,
        destination=destination,
        body=b"",
        text=f"message {n}" if text is None else text,
        content=content,
        channel=channel,
    )


def connector_id(channel: str) -> str:
    return f"{channel}1"


def simulator_config(**fields: Any) -> ProvidersSimulatorConfig:
    """A quick provider: fast reports, every call answered, every message read, unless asked."""
    defaults: dict[str, Any] = {
        "port": 0,
        "token": TOKEN,
        "webhook_token": WEBHOOK_TOKEN,
        "delays": dict.fromkeys(("voice", "viber", "telegram", "bot", "social"), 0.01),
        "read_delay": 0.01,
        "read_share": 1.0,
        "no_answer_share": 0.0,
        "webhook_retry_delay": 0.02,
    }
    defaults.update(fields)
    return ProvidersSimulatorConfig(**defaults)


def connector_config(channel: str, base_url: str, **fields: Any) -> ProviderConnectorConfig:
    defaults: dict[str, Any] = {
        "id": connector_id(channel),
        "channel": channel,
        "base_url": base_url,
        "token": TOKEN,
        "webhook_token": WEBHOOK_TOKEN,
        "request_timeout": 2.0,
        "max_attempts": 3,
        "retry_min": 0.01,
        "retry_max": 0.05,
        "probe_interval": 30.0,  # the first probe runs at start; tests that need more say so
    }
    defaults.update(fields)
    return ProviderConnectorConfig(**defaults)


@dataclass
class WebhookServer:
    """The webhook routes on loopback, finding connectors in `connectors`."""

    connectors: dict[str, ProviderConnector] = field(default_factory=dict)
    _server: HttpServer | None = None
    _task: "asyncio.Task[None] | None" = None

    async def start(self) -> str:
        """Serve; the base URL."""
        app = Starlette(routes=webhook_routes(self.connectors.get))
        self._server = HttpServer(app, "127.0.0.1", 0)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                await self._task
                raise RuntimeError("the webhook server did not start")
            await asyncio.sleep(0.01)
        return f"http://127.0.0.1:{self._server.port}"

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task


@dataclass
class Rig:
    simulator: ProvidersSimulator
    connectors: dict[str, ProviderConnector]  # by channel
    events: Recorder
    webhook_base: str

    def connector(self, channel: str = "viber") -> ProviderConnector:
        return self.connectors[channel]


@contextlib.asynccontextmanager
async def rig(
    channels: tuple[str, ...] = ("viber",),
    sim: ProvidersSimulatorConfig | None = None,
    **fields: Any,
) -> AsyncIterator[Rig]:
    """The webhook server, the simulator posting to it, and started connectors (one per
    channel, the same settings) sending to the simulator, up before the test begins."""
    webhooks = WebhookServer()
    base = await webhooks.start()
    config = sim or simulator_config()
    config.webhook_url = base + "/connectors/{channel}/{channel}1/events"
    simulator = ProvidersSimulator(config)
    await simulator.start()
    events = Recorder()
    connectors = {
        channel: ProviderConnector(connector_config(channel, simulator.base_url, **fields))
        for channel in channels
    }
    webhooks.connectors.update({c.id: c for c in connectors.values()})
    try:
        for connector in connectors.values():
            await connector.start(events)
            assert await connector.wait_up(TIMEOUT)
        yield Rig(simulator, connectors, events, base)
    finally:
        for connector in connectors.values():
            await connector.stop(1.0)
        await simulator.stop()
        await webhooks.stop()


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(scenario(), 3 * TIMEOUT)

    asyncio.run(bounded())


__all__ = [
    "SENDER",
    "TIMEOUT",
    "TOKEN",
    "WEBHOOK_TOKEN",
    "Recorder",
    "Rig",
    "WebhookServer",
    "connector_config",
    "connector_id",
    "part",
    "reference",
    "rig",
    "run",
    "simulator_config",
]
