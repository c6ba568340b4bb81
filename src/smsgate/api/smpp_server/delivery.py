"""The "smpp" channel of the outbox: receipts and MO as deliver_sm on customers' binds.

An account's items are claimed only while it has a receiver or transceiver bind up; until then
they wait in the table (docs/outbox.md), however long, and go out when one binds. Each claim
takes at most what the binds' windows have room for; an item is settled done when its
deliver_sm_resp comes back ESME_ROK, retried later when the customer refuses it, and given
back unattempted when its connection drops. A receipt is built when it leaves, for the bind it
leaves on: a bind with SINGLE gets one receipt per part of a multi-part message.
"""

import asyncio
import logging
from typing import Final

from smsgate.api.smpp_server.binds import BindRegistry
from smsgate.api.smpp_server.ids import part_id
from smsgate.api.smpp_server.options import BindOptions
from smsgate.api.smpp_server.receipts import build_mo, build_receipt
from smsgate.domain.errors import GatewayError
from smsgate.domain.outbox import OutboxItem, OutboxState
from smsgate.domain.status import Status
from smsgate.engine.clock import Clock
from smsgate.engine.gateway import Gateway
from smsgate.smpp.errors import SessionError
from smsgate.smpp.pdu import DeliverSm, Response
from smsgate.store import OutboxUpdate, Store
from smsgate.transport.smpp_connection import SmppConnection, SmppRequestError

log = logging.getLogger(__name__)

CHANNEL: Final = "smpp"
_LEASE: Final = 60.0  # seconds a claimed item stays hidden from other claimers
_POLL: Final = 1.0  # seconds between looks for retries due and items other nodes wrote
_RETRY_MIN, _RETRY_MAX = 5.0, 600.0  # back-off after a refusal, doubling per attempt
_INBOUND: Final = "inbound"


class OutboxDelivery:
    def __init__(self, gateway: Gateway, store: Store, binds: BindRegistry) -> None:
        self.gateway = gateway
        self.store = store
        self.binds = binds
        self.clock: Clock = gateway.clock
        self.delivered = 0
        self._drains: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()  # accounts with news while their drain runs
        self._poller: asyncio.Task[None] | None = None
        self._settling: set[asyncio.Task[None]] = set()  # outcome writes not yet committed

    def start(self) -> None:
        self.gateway.outbox_listeners.append(self._item_committed)
        self._poller = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._item_committed in self.gateway.outbox_listeners:
            self.gateway.outbox_listeners.remove(self._item_committed)
        tasks = [t for t in (self._poller, *self._drains.values()) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*self._settling, return_exceptions=True)

    def _item_committed(self, item: OutboxItem) -> None:
        if item.channel == CHANNEL:
            self.wake(item.account_id)

    def wake(self, account_id: str) -> None:
        """Deliver what the account is owed, if it has a bind to receive it."""
        if account_id in self._drains:
            self._again.add(account_id)
            return
        if self.binds.receivers(account_id):
            task = asyncio.create_task(self._drain(account_id))
            self._drains[account_id] = task
            task.add_done_callback(lambda _: self._drains.pop(account_id, None))

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(_POLL)
            for account_id in self.binds.accounts_with_receivers():
                self.wake(account_id)

    async def _drain(self, account_id: str) -> None:
        try:
            while True:
                self._again.discard(account_id)
                receivers = self.binds.receivers(account_id)
                room = sum(c.session.window_free for c in receivers)
                if not receivers:
                    return
                if room == 0:
                    await receivers[0].wait_for_window()
                    continue
                items = await self.store.claim_outbox(
                    CHANNEL, self.clock.time(), limit=min(room, 1000), lease=_LEASE,
                    account_id=account_id,
                )  # fmt: skip
                if not items:
                    if account_id in self._again:
                        continue
                    return
                outcomes = await self._attempt_all(items)
                self._settle(items, outcomes)
        except Exception:
            log.exception("delivering the outbox of %s failed; it stays pending", account_id)

    async def _attempt_all(self, items: list[OutboxItem]) -> list[OutboxUpdate]:
        """Each item's outcome. Most items are one deliver_sm for a bind with room: those go
        out at once and are awaited together; the others take their turn in a task each."""
        sent: list[tuple[int, asyncio.Future[Response]]] = []
        others: list[int] = []
        for index, item in enumerate(items):
            connection = self._connection(item.account_id)
            pdu = None
            if connection is not None and connection.session.window_free:
                pdu = self._only_pdu(item, connection.context["options"])
            if connection is None or pdu is None:
                others.append(index)
                continue
            try:
                sent.append((index, connection.request(pdu)))
            except SessionError:  # closed meanwhile
                others.append(index)
        outcomes: list[OutboxUpdate | None] = [None] * len(items)
        if others:
            slow = await asyncio.gather(*(self._attempt(items[i]) for i in others))
            for index, outcome in zip(others, slow, strict=True):
                outcomes[index] = outcome
        if sent:
            await asyncio.wait([future for _, future in sent])
        for index, future in sent:
            error = future.exception()
            outcomes[index] = self._outcome(items[index], error or [future.result()])
        return [outcome for outcome in outcomes if outcome is not None]

    async def _attempt(self, item: OutboxItem) -> OutboxUpdate:
        """Send one item's deliver_sm(s); the update its outcome calls for."""
        connection = self._connection(item.account_id)
        try:
            if connection is None:
                raise ConnectionError("no receiver bind")
            pdus = await self._pdus(item, connection.context["options"])
            answers = await asyncio.gather(*(self._send(connection, p) for p in pdus))
        except (ConnectionError, SmppRequestError, SessionError, GatewayError) as error:
            return self._outcome(item, error)
        return self._outcome(item, answers)

    def _outcome(self, item: OutboxItem, result: BaseException | list[Response]) -> OutboxUpdate:
        """The update for an item's answers, or for what stopped it from being sent."""
        if isinstance(result, GatewayError):
            return self._retry(item, str(result))
        if isinstance(result, BaseException):
            log.info("outbox item %s not delivered now: %s", item.id, result)
            # given back unattempted, due again at once
            now = self.clock.time()
            return OutboxUpdate(item.id, OutboxState.PENDING, now, item.attempts, now)
        refused = [a.command_status for a in result if a.command_status != 0]
        if refused:
            return self._retry(item, f"deliver_sm refused with status {refused[0]:#x}")
        self.delivered += 1
        return OutboxUpdate(item.id, OutboxState.DONE, self.clock.time(), item.attempts + 1)

    def _retry(self, item: OutboxItem, reason: str) -> OutboxUpdate:
        now = self.clock.time()
        delay = min(_RETRY_MAX, _RETRY_MIN * 2**item.attempts)
        return OutboxUpdate(
            item.id, OutboxState.PENDING, now, item.attempts + 1, now + delay, reason
        )

    def _settle(self, items: list[OutboxItem], outcomes: list[OutboxUpdate]) -> None:
        """Write the outcomes in one change, without waiting for its commit: the next claim
        need not wait (these items stay leased until then), and a failed write leaves them
        to come out again when the lease ends."""
        task = asyncio.create_task(self.store.write(outcomes))
        self._settling.add(task)
        task.add_done_callback(self._settled)

    def _settled(self, task: "asyncio.Task[None]") -> None:
        self._settling.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("outbox outcomes not written: %s; due again when their lease ends",
                      task.exception())  # fmt: skip

    def _connection(self, account_id: str) -> SmppConnection | None:
        receivers = self.binds.receivers(account_id)
        return max(receivers, key=lambda c: c.session.window_free, default=None)

    async def _send(self, connection: SmppConnection, pdu: DeliverSm) -> Response:
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
        return build_receipt(payload, item.subject_id, Status(item.event), parts=segments)

    async def _pdus(self, item: OutboxItem, options: BindOptions) -> list[DeliverSm]:
        pdu = self._only_pdu(item, options)
        if pdu is not None:
            return [pdu]
        message = await self.gateway.queries.message(item.account_id, item.subject_id)
        return [
            build_receipt(
                item.payload,
                part_id(message.id, part.seq, True),
                part.status,
                error_detail=part.error_detail,
            )
            for part in message.parts
        ]
