"""The outbox's "smpp" channel: receipts and MO as deliver_sm on customers' binds.

The consumer (smsgate.outbox) claims, retries and settles; this module only delivers. An
account's items are claimed only while it has a receiver or transceiver bind up, one claim at a
time, as many as the binds' windows have room for; until then they wait in the table
(docs/outbox.md), however long: waiting is not an attempt. An item is done when its
deliver_sm_resp comes back ESME_ROK, retried by the policy (`SMPP_RETRY`) when the customer
refuses it, and given back unattempted when its connection drops. A receipt is built when it
leaves, for the bind it leaves on: a bind with SINGLE gets one receipt per part of a multi-part
message.
"""

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from functools import partial
from typing import Final

from smsgate.api.smpp_server.binds import BindRegistry
from smsgate.api.smpp_server.ids import customer_id, part_id
from smsgate.api.smpp_server.options import BindOptions
from smsgate.api.smpp_server.receipts import build_mo, build_receipt
from smsgate.domain.errors import GatewayError
from smsgate.domain.outbox import OutboxItem
from smsgate.domain.status import Status
from smsgate.engine.clock import Clock
from smsgate.engine.queries import Queries
from smsgate.outbox import ConsumerConfig, OutboxConsumer, Outcome, RetryPolicy, Scope
from smsgate.smpp.errors import SessionError
from smsgate.smpp.pdu import DeliverSm, Response
from smsgate.store import Store
from smsgate.transport.smpp_connection import SmppConnection, SmppRequestError

log = logging.getLogger(__name__)

CHANNEL: Final = "smpp"
_INBOUND: Final = "inbound"

# A customer refusing deliver_sm is tried again after 5 s, 10 s, 20 s ... then every 10 minutes;
# after three days of refusals (or 500 refusals) the item is a dead letter.
SMPP_RETRY: Final = RetryPolicy(
    first_delay=5.0, factor=2.0, max_delay=600.0, jitter=0.2, max_attempts=500,
    max_age=3 * 86_400.0,
)  # fmt: skip
SMPP_CONSUMER: Final = ConsumerConfig(
    max_in_flight=10_000, batch=1000, lease=60.0, poll_interval=1.0, grace=1.0
)


def smpp_consumer(
    queries: Queries,
    store: Store,
    clock: Clock,
    binds: BindRegistry,
    policy: RetryPolicy = SMPP_RETRY,
    dead_letters: dict[str, int] | None = None,
) -> OutboxConsumer:
    """The outbox consumer of the smpp channel (its dead letters counted in `dead_letters`)."""
    channel = SmppChannel(queries, binds)
    return OutboxConsumer(store, clock, channel, policy, SMPP_CONSUMER, dead_letters=dead_letters)


class SmppChannel:
    name = CHANNEL

    def __init__(self, queries: Queries, binds: BindRegistry) -> None:
        self.queries = queries
        self.binds = binds
        self._delivering: set[str] = set()  # accounts with a claim under way
        self._wake: Callable[[], None] = lambda: None

    def attach(self, wake: Callable[[], None]) -> None:
        self._wake = wake

    def ready(self) -> Iterator[Scope]:
        for account_id in list(self.binds.accounts_with_receivers()):
            if account_id in self._delivering:
                continue
            room = sum(c.session.window_free for c in self.binds.receivers(account_id))
            if room:
                yield Scope(account_id, room)

    def deliver(self, items: Sequence[OutboxItem]) -> AsyncIterator[tuple[OutboxItem, Outcome]]:
        account_id = items[0].account_id  # claimed for one account
        self._delivering.add(account_id)
        return self._deliver(account_id, items)

    async def _deliver(
        self, account_id: str, items: Sequence[OutboxItem]
    ) -> AsyncIterator[tuple[OutboxItem, Outcome]]:
        try:
            outcomes = await self._attempt_all(items)
        finally:
            self._delivering.discard(account_id)
            self._wake()  # the next claim for this account need not wait for the settling
        for item, outcome in zip(items, outcomes, strict=True):
            yield item, outcome

    def halt(self) -> None:
        """Nothing waits here: a claim's deliver_sm go out at once."""

    async def close(self) -> None:
        """The binds belong to the server."""

    async def _attempt_all(self, items: Sequence[OutboxItem]) -> list[Outcome]:
        """Each item's outcome. Most items are one deliver_sm for a bind with room: those go
        out at once and are awaited together; the others take their turn in a task each."""
        sent: list[tuple[int, asyncio.Future[Response]]] = []
        others: list[int] = []
        started = time.monotonic()
        answered: dict[int, float] = {}  # when each one's deliver_sm_resp came
        for index, item in enumerate(items):
            connection = self._connection(item.account_id)
            pdu = None
            if connection is not None and connection.session.window_free:
                pdu = self._only_pdu(item, connection.context["options"])
            if connection is None or pdu is None:
                others.append(index)
                continue
            try:
                future = connection.request(pdu)
            except SessionError:  # closed meanwhile
                others.append(index)
                continue
            future.add_done_callback(partial(_note_time, answered, index))
            sent.append((index, future))
        outcomes: list[Outcome | None] = [None] * len(items)
        if others:
            slow = await asyncio.gather(*(self._attempt(items[i]) for i in others))
            for index, outcome in zip(others, slow, strict=True):
                outcomes[index] = outcome
        if sent:
            await asyncio.wait([future for _, future in sent])
        for index, future in sent:
            error = future.exception()
            took = answered[index] - started if index in answered else None
            outcomes[index] = self._outcome(items[index], error or [future.result()], took)
        return [outcome for outcome in outcomes if outcome is not None]

    async def _attempt(self, item: OutboxItem) -> Outcome:
        """Send one item's deliver_sm(s); the outcome."""
        connection = self._connection(item.account_id)
        try:
            if connection is None:
                raise ConnectionError("no receiver bind")
            pdus = await self._pdus(item, connection.context["options"])
            started = time.monotonic()  # waiting for room in the window included
            answers = await asyncio.gather(*(self._send(connection, p) for p in pdus))
        except (ConnectionError, SmppRequestError, SessionError, GatewayError) as error:
            return self._outcome(item, error)
        return self._outcome(item, answers, time.monotonic() - started)

    @staticmethod
    def _outcome(
        item: OutboxItem, result: BaseException | list[Response], duration: float | None = None
    ) -> Outcome:
        """The outcome of an item's answers (`duration` seconds after the first request),
        or of what stopped it from being sent."""
        if isinstance(result, GatewayError):
            return Outcome.retry(str(result))
        if isinstance(result, BaseException):
            log.info("outbox item %s not delivered now: %s", item.id, result)
            return Outcome.released()  # the bind went away: not an attempt, due again at once
        refused = [a.command_status for a in result if a.command_status != 0]
        if refused:
            reason = f"deliver_sm refused with status {refused[0]:#x}"
            return Outcome.retry(reason, code=refused[0], duration=duration)
        return Outcome.done(code=0, duration=duration)  # ESME_ROK for every deliver_sm

    def _connection(self, account_id: str) -> SmppConnection | None:
        receivers = self.binds.receivers(account_id)
        return max(receivers, key=lambda c: c.session.window_free, default=None)

    @staticmethod
    async def _send(connection: SmppConnection, pdu: DeliverSm) -> Response:
        await connection.wait_for_window()
        return await connection.request(pdu)

    @staticmethod
    def _only_pdu(item: OutboxItem, options: BindOptions) -> DeliverSm | None:
        """The item's deliver_sm when it is one and needs nothing but the item (not so for
        the receipts of a multi-part message on a SINGLE bind)."""
        payload = item.payload
        if item.event == _INBOUND:
            return build_mo(payload)
        segments = int(payload.get("segments", 1))
        if options.single and segments > 1:
            return None
        receipt_id = customer_id(item.subject_id, options.ids)
        return build_receipt(payload, receipt_id, Status(item.event), parts=segments)

    async def _pdus(self, item: OutboxItem, options: BindOptions) -> list[DeliverSm]:
        pdu = self._only_pdu(item, options)
        if pdu is not None:
            return [pdu]
        message = await self.queries.message(item.account_id, item.subject_id)
        return [
            build_receipt(
                item.payload,
                part_id(message.id, part.seq, True, options.ids),
                part.status,
                error_detail=part.error_detail,
            )
            for part in message.parts
        ]


def _note_time(times: dict[int, float], index: int, _: "asyncio.Future[Response]") -> None:
    times[index] = time.monotonic()
