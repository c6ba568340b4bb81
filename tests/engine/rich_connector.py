"""An in-process rich channel (RCS-like) for the engine's fallback tests: the memory connector
with a capability answer per user, users whose handset never reports (an app uninstalled that
still answers capable), and revoke, which succeeds until the message was delivered."""

import asyncio
from dataclasses import dataclass, field

from smsgate.domain.errors import GatewayError
from smsgate.domain.status import Status
from smsgate.engine.ports import DeliveryReport, OutboundPart, Revoked
from tests.engine.memory_connector import MemoryConnector


@dataclass
class RichMemoryConnector(MemoryConnector):
    channel: str = "rcs"
    not_capable: set[str] = field(default_factory=set)  # E.164 digits
    silent: set[str] = field(default_factory=set)  # accepted, never delivered
    unknown: bool = False  # capability cannot be told
    delivered_ids: set[str] = field(default_factory=set)
    revoked_ids: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)  # capability questions, in order

    async def capable(self, user: str, bot: str) -> bool:
        self.asked.append(user)
        if self.unknown:
            raise GatewayError("rcs_unavailable", "no answer")
        return user not in self.not_capable

    async def revoke(self, carrier_id: str, bot: str) -> Revoked:
        await asyncio.sleep(0)
        if carrier_id in self.delivered_ids:
            return Revoked(False, "delivered", delivered=True)
        self.revoked_ids.append(carrier_id)
        return Revoked(True)

    def _answer(self, part: OutboundPart) -> None:
        if part.destination not in self.silent:
            super()._answer(part)
            return
        assert self.events is not None
        self._queued -= 1
        self.events.accepted(part.key, f"{self.name}-{next(self._ids)}", self.name)

    def _report(self, report: DeliveryReport) -> None:
        if report.status is Status.DELIVERED:
            self.delivered_ids.update(report.carrier_ids)
        super()._report(report)
