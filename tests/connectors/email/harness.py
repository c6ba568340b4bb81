"""What the e-mail connector tests share: an engine stand-in that records events, and a rig
that runs the simulated relay and a connector sending to it on loopback."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from smsgate.connectors.email import EmailConnector, EmailConnectorConfig
from smsgate.engine.ports import DeliveryReport, InboundPart, OutboundPart, PartKey, UserEvent
from smsgate.simulator.smtp_relay import SmtpRelayConfig, SmtpRelaySimulator

TIMEOUT = 10.0  # the bound on any wait in these tests; none should come near it
CONNECTOR_ID = "mail1"
FROM = "noreply@gateway.example"


class Recorder:
    """The engine's side of ConnectorEvents: records every call, in order, and lets a test
    wait for a condition on what arrived (woken by each event, bounded by TIMEOUT)."""

    def __init__(self) -> None:
        self.accepted_parts: list[tuple[PartKey, str, str]] = []
        self.failures: list[tuple[PartKey, str, str, bool]] = []
        self.receipts: list[DeliveryReport] = []
        self.refuse_receipts = 0  # receipts to refuse (raise) before taking them
        self._changed = asyncio.Event()

    def accepted(self, key: PartKey, carrier_id: str, connector_id: str) -> None:
        self.accepted_parts.append((key, carrier_id, connector_id))
        self._changed.set()

    def failed(self, key: PartKey, error: str, detail: str, *, permanent: bool) -> None:
        self.failures.append((key, error, detail, permanent))
        self._changed.set()

    async def receipt(self, connector_id: str, report: DeliveryReport) -> None:
        if self.refuse_receipts > 0:
            self.refuse_receipts -= 1
            raise RuntimeError("the store is unavailable")
        self.receipts.append(report)
        self._changed.set()

    async def inbound(self, connector_id: str, part: InboundPart) -> None:
        raise AssertionError("an e-mail connector reports no inbound parts")

    async def user_event(self, connector_id: str, event: UserEvent) -> None:
        raise AssertionError("an e-mail connector reports no user events")

    def done(self) -> int:
        """Parts that reached an outcome (accepted or failed)."""
        return len(self.accepted_parts) + len(self.failures)

    async def wait_until(self, condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
        async def satisfied() -> None:
            while not condition():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(satisfied(), timeout)


def mail_part(
    n: int,
    destination: str = "alice@example.com",
    text: str | None = None,
    subject: str | None = "Your code",
    source: str = "Shop",
) -> OutboundPart:
    return OutboundPart(
        key=PartKey(f"m{n}", 1),
        source=source,
        destination=destination,
        body=b"",
        text=text if text is not None else f"message {n}",
        content={"subject": subject} if subject is not None else {},
        channel="email",
    )


def connector_config(port: int, **fields: Any) -> EmailConnectorConfig:
    defaults: dict[str, Any] = {
        "id": CONNECTOR_ID,
        "host": "127.0.0.1",
        "port": port,
        "from_address": FROM,
        "starttls": False,
        "timeout": 2.0,
        "max_attempts": 3,
        "retry_min": 0.01,
        "retry_max": 0.05,
    }
    defaults.update(fields)
    return EmailConnectorConfig(**defaults)


@dataclass
class Rig:
    relay: SmtpRelaySimulator
    connector: EmailConnector
    events: Recorder


@contextlib.asynccontextmanager
async def rig(relay: SmtpRelayConfig | None = None, **fields: Any) -> AsyncIterator[Rig]:
    """The simulated relay, and a started connector sending to it, up before the test."""
    simulator = SmtpRelaySimulator(relay or SmtpRelayConfig(port=0))
    port = await simulator.start()
    connector = EmailConnector(connector_config(port, **fields))
    events = Recorder()
    try:
        await connector.start(events)
        assert await connector.wait_up(TIMEOUT)
        yield Rig(simulator, connector, events)
    finally:
        await connector.stop(1.0)
        await simulator.stop()


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(scenario(), 3 * TIMEOUT)

    asyncio.run(bounded())
