"""What the RCS connector tests share: an engine stand-in that records events, and a rig that
runs the webhook routes, the simulated platform and a connector on loopback HTTP."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette

from smsgate.api.http.server import HttpServer
from smsgate.connectors.rcs import RcsConnector, RcsConnectorConfig, webhook_routes
from smsgate.engine.clock import Clock
from smsgate.engine.ports import DeliveryReport, InboundPart, OutboundPart, PartKey, UserEvent
from smsgate.simulator.rcs import RcsSimulator, RcsSimulatorConfig

TIMEOUT = 10.0  # the bound on any wait in these tests; none should come near it
CONNECTOR_ID = "rcs1"
BOT = "bot-acme"
TOKEN = "platform-token"
WEBHOOK_TOKEN = "webhook-token"

Hook = Callable[[Any], Awaitable[None]]


class Recorder:
    """The engine's side of ConnectorEvents: records every call, in order, and lets a test
    wait for a condition on what arrived (woken by each event, bounded by TIMEOUT)."""

    def __init__(self) -> None:
        self.accepted_parts: list[tuple[PartKey, str, str]] = []
        self.failures: list[tuple[PartKey, str, str, bool]] = []
        self.receipts: list[DeliveryReport] = []
        self.user_events: list[UserEvent] = []
        self.hook: Hook | None = None  # runs before a receipt or user event is recorded
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
        self.receipts.append(report)
        self._changed.set()

    async def inbound(self, connector_id: str, part: InboundPart) -> None:
        raise AssertionError("an RCS connector reports no SMS inbound parts")

    async def user_event(self, connector_id: str, event: UserEvent) -> None:
        if self.hook is not None:
            await self.hook(event)
        self.user_events.append(event)
        self._changed.set()

    def statuses(self, carrier_id: str) -> list[str]:
        return [r.label for r in self.receipts if r.carrier_ids == (carrier_id,)]

    async def wait_for_status(self, carrier_id: str, label: str) -> None:
        await self.wait_until(lambda: label in self.statuses(carrier_id))

    async def wait_until(self, condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
        async def satisfied() -> None:
            while not condition():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(satisfied(), timeout)


def rcs_part(
    n: int, destination: str = "819012345678", content: dict[str, Any] | None = None
) -> OutboundPart:
    return OutboundPart(
        key=PartKey(f"m{n}", 1),
        source=BOT,
        destination=destination,
        body=b"",
        text=f"message {n}",
        content=content if content is not None else {"textMessage": f"message {n}"},
    )


def simulator_config(**fields: Any) -> RcsSimulatorConfig:
    """A quick platform: 819x numbers capable, fast reports, no taps or replies unless asked."""
    defaults: dict[str, Any] = {
        "port": 0,
        "token": TOKEN,
        "webhook_token": WEBHOOK_TOKEN,
        "capable_prefixes": ("+8190",),
        "delivery_delay": 0.02,
        "read_delay": 0.02,
        "reply_delay": 0.01,
        "tap_share": 0.0,
        "reply_share": 0.0,
        "webhook_retry_delay": 0.02,
    }
    defaults.update(fields)
    return RcsSimulatorConfig(**defaults)


def connector_config(base_url: str, **fields: Any) -> RcsConnectorConfig:
    defaults: dict[str, Any] = {
        "id": CONNECTOR_ID,
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
    return RcsConnectorConfig(**defaults)


@dataclass
class WebhookServer:
    """The webhook routes on loopback, finding connectors in `connectors`."""

    connectors: dict[str, RcsConnector] = field(default_factory=dict)
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

    def url(self, base: str, connector_id: str = CONNECTOR_ID) -> str:
        return f"{base}/connectors/rcs/{connector_id}/events"


@dataclass
class Rig:
    simulator: RcsSimulator
    connector: RcsConnector
    events: Recorder
    webhook_url: str


@contextlib.asynccontextmanager
async def rig(
    sim: RcsSimulatorConfig | None = None, clock: Clock | None = None, **fields: Any
) -> AsyncIterator[Rig]:
    """The webhook server, the simulator posting to it, and a started connector sending to
    the simulator, up before the test begins."""
    webhooks = WebhookServer()
    base = await webhooks.start()
    url = webhooks.url(base)
    config = sim or simulator_config()
    config.webhook_url = url
    simulator = RcsSimulator(config)
    await simulator.start()
    connector = RcsConnector(connector_config(simulator.base_url, **fields), clock=clock)
    webhooks.connectors[CONNECTOR_ID] = connector
    events = Recorder()
    try:
        await connector.start(events)
        assert await connector.wait_up(TIMEOUT)
        yield Rig(simulator, connector, events, url)
    finally:
        await connector.stop(1.0)
        await simulator.stop()
        await webhooks.stop()


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(scenario(), 3 * TIMEOUT)

    asyncio.run(bounded())
