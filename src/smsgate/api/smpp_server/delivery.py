"""deliver_sm to customers (receipts and MO) over their receiver and transceiver binds.

Each account's deliveries wait in a bounded queue while it has no such bind and go out when one
binds; a deliver_sm that is refused or whose connection drops goes back to the queue's head.
A receipt is built when it leaves, for the bind it leaves on: a bind with SINGLE gets one
receipt per part of a multi-part message (ids `<id>-<n>`), any other bind one per message.
"""

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from smsgate.api.smpp_server.binds import BindRegistry
from smsgate.api.smpp_server.ids import part_id
from smsgate.api.smpp_server.options import BindOptions
from smsgate.api.smpp_server.receipts import build_receipt
from smsgate.domain.message import Message
from smsgate.domain.status import Status
from smsgate.smpp.pdu import DeliverSm, Response

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReceiptNotice:
    """A message reached a final status and its sender asked for a receipt."""

    message: Message
    status: Status

    def pdus(self, options: BindOptions) -> list[DeliverSm]:
        message = self.message
        if not options.single or len(message.parts) == 1:
            return [build_receipt(message, message.id, self.status, parts=len(message.parts))]
        return [
            build_receipt(
                message,
                part_id(message.id, part.seq, True),
                part.status,
                error_detail=part.error_detail,
            )
            for part in message.parts
        ]


Item = DeliverSm | ReceiptNotice
Delivered = Callable[[DeliverSm], None]


class CustomerDelivery:
    def __init__(self, binds: BindRegistry, max_held: int = 100_000) -> None:
        self.binds = binds
        self.max_held = max_held
        self.held: dict[str, deque[Item]] = {}
        self.sent = 0
        self.on_delivered: list[Delivered] = []

    def deliver(self, account_id: str, item: Item) -> bool:
        """Queue a delivery for the account; False when its queue is full (not taken)."""
        held = self.held.setdefault(account_id, deque())
        if len(held) >= self.max_held:
            log.warning("deliveries held for %s: queue full, refused", account_id)
            return False
        held.append(item)
        self.flush(account_id)
        return True

    def flush(self, account_id: str) -> None:
        held = self.held.get(account_id)
        if not held:
            return
        receivers = self.binds.receivers(account_id)
        while held:
            connection = next((c for c in receivers if c.session.window_free > 0), None)
            if connection is None:
                return
            item = held.popleft()
            if isinstance(item, ReceiptNotice):
                pdus = item.pdus(connection.context["options"])
                held.extendleft(reversed(pdus[1:]))
                pdu = pdus[0]
            else:
                pdu = item
            pdu.sequence_number = 0  # a new one on this connection
            future = connection.request(pdu)
            future.add_done_callback(partial(self._answered, account_id, pdu))

    def _answered(
        self, account_id: str, pdu: DeliverSm, future: "asyncio.Future[Response]"
    ) -> None:
        error = None if future.cancelled() else future.exception()
        if future.cancelled() or error is not None or future.result().command_status:
            log.info("deliver_sm to %s not taken (%s); held", account_id, error or "refused")
            self.held.setdefault(account_id, deque()).appendleft(pdu)
            return
        self.sent += 1
        for listener in self.on_delivered:
            listener(pdu)
        self.flush(account_id)
