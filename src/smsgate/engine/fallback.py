"""Channel fallback: a message not delivered on its channel moves to the next one it names.

A message carries its plan (`Message.channel`, then `Message.fallback` in order). It leaves a
channel when that channel says it never will deliver it (not capable, refused, failed,
revoked) or when its time there ran out and the revoke succeeded (`ChannelTimeouts`); never
while the channel may still deliver it, so the handset never gets both. Falling back rewrites
the message for the next channel in one write: its parts (an SMS text split into segments),
route and price, a `fell_back` line in its history and the customer's `fell_back` callback;
how it ended on the channel it left stays in the history. Then it is queued again.
"""

import asyncio
import itertools
import logging
from decimal import Decimal

from smsgate.domain.channels import THROUGH_SMS
from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message, Part
from smsgate.domain.pricing import to_micros
from smsgate.domain.status import Status
from smsgate.engine.billing import Billing
from smsgate.engine.clock import Clock
from smsgate.engine.config import EngineConfig
from smsgate.engine.counters import Counters
from smsgate.engine.dispatcher import Dispatcher
from smsgate.engine.live import LiveMessages
from smsgate.engine.message_text import data_coding_of, encode_text, parts_of
from smsgate.engine.notify import status_item
from smsgate.engine.ports import Router
from smsgate.engine.transitions import Transitions
from smsgate.store import Change, MessageReplaced, PartUpdate
from smsgate.store.changes import BalanceChange

log = logging.getLogger(__name__)


class Fallbacks:
    def __init__(
        self,
        router: Router,
        billing: Billing,
        transitions: Transitions,
        live: LiveMessages,
        queue: Dispatcher,
        counters: Counters,
        clock: Clock,
        config: EngineConfig,
        references: "itertools.count[int]",
    ) -> None:
        self.router = router
        self.billing = billing
        self.transitions = transitions
        self.live = live
        self.queue = queue
        self.counters = counters
        self.clock = clock
        self.config = config
        self.references = references

    def fall_back(
        self, message: Message, reason: str, outcome: PartUpdate
    ) -> "asyncio.Future[None]":
        """Move `message` to its next channel. `outcome` is how its part ended on the channel it
        leaves: kept in the history only, or applied (the message failing with the next
        channel's error) when the next channel cannot take it either."""
        now = outcome.at
        left = message.channel
        channel, rest = message.fallback[0], message.fallback[1:]
        self.live.unindex(message)  # a late report of the channel left matches nothing
        try:
            parts, route_id, price = self._next(message, channel)
            charge = self._charge(message, price, now)
        except GatewayError as error:
            log.info("message %s cannot fall back to %s: %s", message.id, channel, error)
            return self.transitions.commit(message, [outcome], now, error.code, error.detail)
        message.channel, message.fallback = channel, rest
        message.channel_until = now + self.config.channel_ttl if rest else None
        message.parts = parts
        message.route_id = route_id
        message.status = Status.QUEUED
        message.updated_at = now
        history = PartUpdate(
            message.id, outcome.seq, outcome.status, now, detail=outcome.detail, applied=False
        )
        changes: list[Change] = [
            history,
            MessageReplaced(
                message, now, detail=f"{left} -> {channel}: {reason}", recorded=Status.FELL_BACK
            ),
        ]
        owed = [item for item in (status_item(message, Status.FELL_BACK, now),) if item]
        written = self.transitions.write(message, changes, owed, charge)
        self.counters.fell_back += 1
        self.queue.push(message.id, message.priority)
        return written

    def _next(self, message: Message, channel: str) -> tuple[list[Part], str | None, str | None]:
        """The message's parts, route and price on `channel`; GatewayError when it cannot go
        there."""
        if channel not in THROUGH_SMS:
            # one part; priced per message by the rules naming the channel as the route
            message.segments = 1
            return (
                [Part(message.id, 1, b"", status=Status.QUEUED)],
                channel,
                self._price(message, channel, None, 1),
            )
        _, _, encoded = encode_text(
            message.text, None, next(self.references), self.config.max_segments
        )
        e164, region = self.router.destination("+" + message.destination)
        route_id, _ = self.router.connectors(
            message.account_id, message.source, e164, region, message.carrier
        )
        price = self._price(message, route_id, region, encoded.segments)
        message.encoding = encoded.encoding.value
        message.data_coding = data_coding_of(encoded, None)
        message.segments = encoded.segments
        return parts_of(message.id, encoded, Status.QUEUED), route_id, price

    def _price(
        self, message: Message, route_id: str, region: str | None, segments: int
    ) -> str | None:
        if message.price_unit is None or not self.billing.prices:
            return None
        rule = self.billing.prices.find(message.price_unit, route_id, region, message.carrier)
        return None if rule is None else str(rule.per_segment * segments)

    def _charge(self, message: Message, price: str | None, now: float) -> BalanceChange | None:
        """Set the price of the next channel; on a prepaid balance take the difference (or give
        it back). GatewayError when the balance does not cover a higher price."""
        old = message.price
        message.price = price if price is not None else old
        balances = self.billing.balances
        if old is None or price is None or not balances.prepaid(message.account_id):
            return None
        more = to_micros(Decimal(price)) - to_micros(Decimal(old))
        if more > 0 and not balances.take(message.account_id, more):
            message.price = old
            raise GatewayError("insufficient_balance", f"the {price} of the fallback")
        if more < 0:
            balances.give_back(message.account_id, -more)
        return BalanceChange(message.account_id, -more, now) if more else None
