"""A simulated carrier SMSC on real sockets.

It accepts binds (any credentials, or a configured set), answers submit_sm/data_sm/submit_multi
after a configurable latency with message ids, answers ESME_RTHROTTLED above a rate, and sends
delivery receipts (receipt text plus receipted_message_id, message_state and, for failures,
network_error_code) after a delay, with a configurable mix of outcomes. query_sm and cancel_sm
see the state it keeps for recent messages. Destinations starting with a configured prefix are
refused with ESME_RINVDSTADR; those starting with an absent prefix (a handset switched off) are
taken, then reported undeliverable with the absent subscriber's network error. `send_mo` sends
a mobile-originated deliver_sm, and `drop_connections` cuts links without an unbind, like a
carrier restart. It is the carrier of the embedded set-up and the peer of the tests and benchmarks.
"""

import asyncio
import logging
import random
import ssl
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Final

from smsgate.domain.token_bucket import TokenBucket
from smsgate.smpp.constants import (
    RECEIPT_MASK,
    CommandStatus,
    EsmClass,
    InterfaceVersion,
    MessageState,
)
from smsgate.smpp.pdu import (
    Bind,
    BindReceiver,
    BindTransceiver,
    CancelSm,
    DataSm,
    DeliverSm,
    QuerySm,
    Request,
    Response,
    SmeAddress,
    SubmitMulti,
    SubmitSm,
)
from smsgate.smpp.receipt import Receipt, build_receipt_text
from smsgate.smpp.session import Role, SessionConfig
from smsgate.smpp.smpp_time import format_smpp_time
from smsgate.smpp.tlv import Tag
from smsgate.text import UDHI, concat_udh
from smsgate.transport.smpp_connection import SmppConnection, SmppRequestError

log = logging.getLogger(__name__)

S = CommandStatus
_REMEMBERED: Final = 100_000  # messages whose state query_sm/cancel_sm can still see
# GSM network error codes a carrier reports for the failure states (network_error_code TLV)
_FAILURE_CODES: Final = {
    MessageState.UNDELIVERABLE: 1,  # unknown subscriber
    MessageState.EXPIRED: 27,  # absent subscriber
    MessageState.REJECTED: 21,  # facility not supported
}
# the GSM MAP error a carrier gets for a handset switched off or out of coverage
# (absentSubscriberSM, 3GPP TS 29.002): what SMSC.ru's err 6 "subscriber not reachable" reports
ABSENT_SUBSCRIBER: Final = 6


@dataclass
class SimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 2775
    # system_id -> password; empty means any credentials bind
    accounts: dict[str, str] = field(default_factory=dict)
    response_latency: float = 0.0  # seconds before each submit_sm_resp
    receipt_delay: float = 0.2  # seconds from submit to receipt
    # final states and their weights
    outcomes: dict[MessageState, float] = field(
        default_factory=lambda: {MessageState.DELIVERED: 1.0}
    )
    max_tps: float | None = None  # per system_id; above it ESME_RTHROTTLED
    # destinations starting with one of these are refused with ESME_RINVDSTADR
    reject_destinations: tuple[str, ...] = ()
    # destinations starting with one of these are handsets not reachable: taken, then reported
    # UNDELIVERABLE with ABSENT_SUBSCRIBER (a ping to them finds nobody)
    absent_destinations: tuple[str, ...] = ()
    # every this many seconds, an MO message to each bound receiver (None: none)
    mo_interval: float | None = None
    mo_destination: str = "81312345678"  # the number the simulated handsets write to
    hex_message_ids: bool = False
    # receipts held per system_id while no receiver has room; past it submits are refused with
    # ESME_RMSGQFUL, and past twice it (receipts of submits accepted earlier) the oldest dropped
    held_receipts: int = 100_000
    tls: ssl.SSLContext | None = None  # a server context to accept SMPP over TLS
    seed: int | None = None
    # faults: every this many seconds every connection is cut without an unbind (None: never)
    drop_interval: float | None = None
    # every throttle_interval seconds, throttle_burst seconds in which every submit is answered
    # ESME_RTHROTTLED, as a carrier shedding load does (None: no bursts)
    throttle_interval: float | None = None
    throttle_burst: float = 1.0
    session: SessionConfig = field(
        default_factory=lambda: SessionConfig(enquire_link_interval=None, inactivity_timeout=300)
    )


def _destination(pdu: SubmitSm | DataSm | SubmitMulti) -> str:
    if not isinstance(pdu, SubmitMulti):
        return pdu.destination_addr
    for dest in pdu.dest_addresses:
        if isinstance(dest, SmeAddress):
            return dest.address
    return ""


def _payload(pdu: SubmitSm | DataSm | SubmitMulti) -> bytes:
    value = pdu.tlvs.get(Tag.MESSAGE_PAYLOAD)
    return value if isinstance(value, bytes) else b""


def mo_parts(
    source: str,
    destination: str,
    body: bytes,
    data_coding: int,
    *,
    reference: int = 0,
    per_part: int = 140,
    sar: bool = False,
) -> list[DeliverSm]:
    """An MO of `body` octets as a handset's SMSC delivers it: one deliver_sm, or parts of at
    most `per_part` octets numbered by an 8-bit concatenation UDH or (`sar`) the SAR TLVs."""
    room = per_part if sar else per_part - 6  # the concatenation UDH takes 6 octets
    chunks = [body[i : i + room] for i in range(0, len(body), room)] or [b""]
    parts = []
    for seq, chunk in enumerate(chunks, 1):
        deliver = DeliverSm(
            source_addr_ton=1,
            source_addr_npi=1,
            source_addr=source,
            dest_addr_ton=1,
            dest_addr_npi=1,
            destination_addr=destination,
            data_coding=data_coding,
            short_message=chunk,
        )
        if len(chunks) > 1:
            if sar:
                deliver.tlvs[Tag.SAR_MSG_REF_NUM] = reference & 0xFFFF
                deliver.tlvs[Tag.SAR_TOTAL_SEGMENTS] = len(chunks)
                deliver.tlvs[Tag.SAR_SEGMENT_SEQNUM] = seq
            else:
                deliver.esm_class |= UDHI
                deliver.short_message = concat_udh(reference & 0xFF, len(chunks), seq) + chunk
        parts.append(deliver)
    return parts


@dataclass
class _Message:
    message_id: str
    source: str
    destination: str
    submitted: datetime
    state: MessageState = MessageState.ENROUTE
    done: datetime | None = None
    protocol_id: int = 0  # 0x40 for a ping (a silent SMS)
    data_coding: int = 0
    short_message: bytes = b""


class SmscSimulator:
    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.random = random.Random(self.config.seed)
        self.server: asyncio.Server | None = None
        self.messages: OrderedDict[str, _Message] = OrderedDict()
        self.receivers: dict[str, list[SmppConnection]] = {}
        self.held_receipts: dict[str, deque[DeliverSm]] = {}
        self.buckets: dict[str, TokenBucket] = {}
        # duplicates: submits whose destination and body were already submitted (a client that
        # re-sends after a lost link or a crash); `smsgate simulator` prints these on exit
        self.counters = {
            "submitted": 0,
            "throttled": 0,
            "receipts_sent": 0,
            "binds": 0,
            "duplicates": 0,
            "queue_full": 0,  # submits refused while config.held_receipts are held
            "receipts_dropped": 0,  # past twice config.held_receipts
        }
        self._seen: OrderedDict[tuple[str, bytes], None] = OrderedDict()
        # kept apart from `counters`, whose exact keys `smsgate simulator` prints on exit
        self.rejected = 0  # submits refused by reject_destinations
        self.mo_sent = 0
        self._next_id = 0
        self._states = list(self.config.outcomes)
        self._weights = list(self.config.outcomes.values())
        self._connections: set[SmppConnection] = set()
        self._mo_task: asyncio.Task[None] | None = None
        self._fault_tasks: list[asyncio.Task[None]] = []
        self.dropped = 0  # connections cut by drop_interval
        self._throttled_until = 0.0  # loop time the current burst ends

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: SmppConnection(
                Role.SMSC, self._handle, self.config.session, on_close=self._closed
            ),
            self.config.host,
            self.config.port,
            ssl=self.config.tls,
        )
        # with port 0 the kernel picked one
        self.config.port = self.server.sockets[0].getsockname()[1]
        if self.config.mo_interval:
            self._mo_task = asyncio.create_task(self._generate_mo(self.config.mo_interval))
        if self.config.drop_interval:
            self._fault_tasks.append(
                asyncio.create_task(self._drop_every(self.config.drop_interval))
            )
        if self.config.throttle_interval:
            self._fault_tasks.append(
                asyncio.create_task(self._throttle_every(self.config.throttle_interval))
            )

    async def stop(self) -> None:
        if self._mo_task is not None:
            self._mo_task.cancel()
        for task in self._fault_tasks:
            task.cancel()
        if self.server is not None:
            self.server.close()
        for connection in list(self._connections):
            await connection.unbind_and_close(timeout=1.0)
        if self.server is not None:
            await self.server.wait_closed()

    # -- requests ------------------------------------------------------------------------------

    def _handle(self, conn: SmppConnection, pdu: Request) -> None:
        if isinstance(pdu, Bind):
            self._bind(conn, pdu)
        elif isinstance(pdu, SubmitSm | DataSm | SubmitMulti):
            self._submit(conn, pdu)
        elif isinstance(pdu, QuerySm):
            self._query(conn, pdu)
        elif isinstance(pdu, CancelSm):
            self._cancel(conn, pdu)
        else:
            self._answer(conn, pdu.response(S.ESME_RINVCMDID))

    def _bind(self, conn: SmppConnection, pdu: Bind) -> None:
        accounts = self.config.accounts
        if accounts and pdu.system_id not in accounts:
            conn.send(pdu.response(S.ESME_RINVSYSID))
            return
        if accounts and accounts[pdu.system_id] != pdu.password:
            conn.send(pdu.response(S.ESME_RINVPASWD))
            return
        response = pdu.response(0, system_id="smsgate-sim")
        version = min(pdu.interface_version, InterfaceVersion.V50)
        if version >= InterfaceVersion.V34:
            response.tlvs[Tag.SC_INTERFACE_VERSION] = version
        conn.send(response)
        conn.context["system_id"] = pdu.system_id
        self._connections.add(conn)
        self.counters["binds"] += 1
        if isinstance(pdu, BindReceiver | BindTransceiver):
            self.receivers.setdefault(pdu.system_id, []).append(conn)
            self._flush_held(pdu.system_id)

    def _closed(self, conn: SmppConnection) -> None:
        self._connections.discard(conn)
        system_id = conn.context.get("system_id")
        receivers = self.receivers.get(system_id or "", [])
        if conn in receivers:
            receivers.remove(conn)

    def _submit(self, conn: SmppConnection, pdu: SubmitSm | DataSm | SubmitMulti) -> None:
        system_id = conn.context.get("system_id", "")
        if conn.loop.time() < self._throttled_until:
            self.counters["throttled"] += 1
            self._answer(conn, pdu.response(S.ESME_RTHROTTLED))
            return
        if self.config.max_tps is not None:
            now = conn.loop.time()
            bucket = self.buckets.get(system_id)
            if bucket is None:
                bucket = self.buckets[system_id] = TokenBucket(self.config.max_tps, now)
            if not bucket.take(now):
                self.counters["throttled"] += 1
                self._answer(conn, pdu.response(S.ESME_RTHROTTLED))
                return
        held = self.held_receipts.get(system_id)
        if held is not None and len(held) >= self.config.held_receipts:
            # a carrier whose store is full refuses new work rather than lose receipts
            self.counters["queue_full"] += 1
            self._answer(conn, pdu.response(S.ESME_RMSGQFUL))
            return
        destination = _destination(pdu)
        rejects = self.config.reject_destinations
        if rejects and destination.startswith(rejects):
            self.rejected += 1
            self._answer(conn, pdu.response(S.ESME_RINVDSTADR))
            return
        message_id = self._new_message_id()
        self.counters["submitted"] += 1
        body = pdu.short_message if isinstance(pdu, SubmitSm | SubmitMulti) else b""
        seen = (destination, body or _payload(pdu))
        if seen in self._seen:
            self.counters["duplicates"] += 1
        else:
            self._seen[seen] = None
            if len(self._seen) > _REMEMBERED:
                self._seen.popitem(last=False)
        message = _Message(
            message_id,
            pdu.source_addr,
            destination,
            datetime.now(UTC),
            protocol_id=getattr(pdu, "protocol_id", 0),  # data_sm has none
            data_coding=pdu.data_coding,
            short_message=_payload(pdu),
        )
        self._remember(message)
        self._answer(conn, pdu.response(0, message_id=message_id))
        if pdu.registered_delivery & RECEIPT_MASK:
            absent = self.config.absent_destinations
            error: int | None = None
            if absent and destination.startswith(absent):
                state, error = MessageState.UNDELIVERABLE, ABSENT_SUBSCRIBER
            else:
                state = self.random.choices(self._states, self._weights)[0]
            conn.loop.call_later(
                self.config.receipt_delay,
                self._finish,
                system_id,
                message,
                state,
                pdu.registered_delivery & RECEIPT_MASK,
                error,
            )

    def _query(self, conn: SmppConnection, pdu: QuerySm) -> None:
        message = self.messages.get(pdu.message_id)
        if message is None:
            self._answer(conn, pdu.response(S.ESME_RQUERYFAIL))
            return
        final_date = format_smpp_time(message.done) if message.done else ""
        response = pdu.response(
            0, message_id=pdu.message_id, final_date=final_date, message_state=message.state
        )
        self._answer(conn, response)

    def _cancel(self, conn: SmppConnection, pdu: CancelSm) -> None:
        message = self.messages.get(pdu.message_id)
        if message is None or message.state.is_final:
            self._answer(conn, pdu.response(S.ESME_RCANCELFAIL))
            return
        message.state = MessageState.DELETED
        message.done = datetime.now(UTC)
        self._answer(conn, pdu.response())

    def _answer(self, conn: SmppConnection, response: Response) -> None:
        latency = self.config.response_latency
        if latency > 0:
            conn.loop.call_later(latency, self._send_if_open, conn, response)
        else:
            conn.send(response)

    @staticmethod
    def _send_if_open(conn: SmppConnection, response: Response) -> None:
        if conn.is_open:
            conn.send(response)

    # -- receipts ------------------------------------------------------------------------------

    def _finish(
        self,
        system_id: str,
        message: _Message,
        state: MessageState,
        wanted: int,
        error: int | None = None,
    ) -> None:
        """Reports `state` with `error` (the network error; by default the state's usual one)."""
        if message.state is MessageState.DELETED:
            return  # canceled meanwhile
        message.state = state
        message.done = datetime.now(UTC)
        delivered = state is MessageState.DELIVERED
        # registered_delivery 2: receipt on failure only; 3 (SMPP 5.0): on success only
        if (wanted == 2 and delivered) or (wanted == 3 and not delivered):
            return
        if error is None:
            error = _FAILURE_CODES.get(state, 0)
        receipt = Receipt(
            message_id=message.message_id,
            state=state,
            submitted=1,
            delivered=1 if delivered else 0,
            submit_date=message.submitted,
            done_date=message.done,
            error=f"{error:03d}",
        )
        deliver = DeliverSm(
            source_addr=message.destination,
            destination_addr=message.source,
            esm_class=EsmClass.SMSC_DELIVERY_RECEIPT,
            short_message=build_receipt_text(receipt).encode("ascii"),
        )
        deliver.tlvs[Tag.RECEIPTED_MESSAGE_ID] = message.message_id
        deliver.tlvs[Tag.MESSAGE_STATE] = int(state)
        if error:
            deliver.tlvs[Tag.NETWORK_ERROR_CODE] = bytes((3,)) + error.to_bytes(2, "big")
        self._send_receipt(system_id, deliver)

    def _send_receipt(self, system_id: str, deliver: DeliverSm) -> None:
        for conn in self.receivers.get(system_id, []):
            if conn.is_open and conn.session.is_bound and conn.session.window_free > 0:
                future = conn.request(deliver)
                future.add_done_callback(partial(self._receipt_answered, system_id, deliver))
                self.counters["receipts_sent"] += 1
                return
        self._hold(system_id, deliver)

    def _hold(self, system_id: str, deliver: DeliverSm) -> None:
        """Keep a receipt until a receiver has room; past the bound the oldest goes."""
        held = self.held_receipts.setdefault(system_id, deque())
        if len(held) >= 2 * self.config.held_receipts:
            held.popleft()
            dropped = self.counters["receipts_dropped"] = self.counters["receipts_dropped"] + 1
            if dropped & (dropped - 1) == 0:  # the 1st, 2nd, 4th...: a flood logs a few lines
                log.warning(
                    "simulator: receipt queue of %s full (%d held), %d oldest receipts dropped",
                    system_id,
                    len(held),
                    dropped,
                )
        held.append(deliver)

    def _receipt_answered(
        self, system_id: str, deliver: DeliverSm, future: "asyncio.Future[Response]"
    ) -> None:
        failed = future.exception() is not None or future.result().command_status != 0
        if failed:
            # held and retried when a receiver (re)binds, like a carrier would
            error = future.exception()
            reason = error if isinstance(error, SmppRequestError) else "refused"
            log.info("simulator: receipt to %s not accepted (%s), held", system_id, reason)
            deliver.sequence_number = 0
            self._hold(system_id, deliver)
        else:
            self._flush_held(system_id)

    def _flush_held(self, system_id: str) -> None:
        held = self.held_receipts.get(system_id)
        while held:
            receivers = [c for c in self.receivers.get(system_id, []) if c.is_open]
            if not any(c.session.window_free for c in receivers):
                return
            self._send_receipt(system_id, held.popleft())

    # -- mobile-originated messages and faults ---------------------------------------------------

    async def _generate_mo(self, interval: float) -> None:
        count = 0
        while True:
            await asyncio.sleep(interval)
            for system_id, receivers in list(self.receivers.items()):
                if not any(c.is_open and c.session.is_bound for c in receivers):
                    continue
                count += 1
                source = f"8190{self.random.randrange(10**8):08d}"
                try:
                    await self.send_mo(
                        system_id, source, self.config.mo_destination, f"Reply {count}"
                    )
                except (LookupError, SmppRequestError, TimeoutError) as exc:
                    log.info("simulator: MO to %s not taken: %s", system_id, exc)

    async def send_mo(
        self,
        system_id: str,
        source: str,
        destination: str,
        text: str,
        *,
        timeout: float = 10.0,
    ) -> Response:
        """Send a plain (not receipt) deliver_sm to a receiver bound as `system_id` and return
        its deliver_sm_resp, whatever its status. LookupError when no receiver is bound."""
        deliver = mo_parts(source, destination, text.encode("latin-1"), 0)[0]
        return await self.send_deliver(system_id, deliver, timeout=timeout)

    async def send_deliver(
        self, system_id: str, deliver: DeliverSm, *, timeout: float = 10.0
    ) -> Response:
        """Send `deliver` (one MO or one part of a concatenated MO, see mo_parts) to a receiver
        bound as `system_id`; its deliver_sm_resp. LookupError when no receiver is bound."""
        for conn in self.receivers.get(system_id, []):
            if conn.is_open and conn.session.is_bound:
                break
        else:
            raise LookupError(f"no receiver bound as {system_id!r}")
        await asyncio.wait_for(conn.wait_for_window(), timeout)
        response = await asyncio.wait_for(conn.request(deliver), timeout)
        self.mo_sent += 1
        return response

    async def _drop_every(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.dropped += self.drop_connections()

    async def _throttle_every(self, interval: float) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(interval)
            self._throttled_until = loop.time() + self.config.throttle_burst

    def drop_connections(self, count: int | None = None) -> int:
        """Close up to `count` bound connections (all when None) at once, without an unbind,
        as a carrier restart or a network cut would; returns how many were closed."""
        dropped = 0
        for conn in list(self._connections):
            if count is not None and dropped >= count:
                break
            if conn.transport is not None:
                conn.transport.abort()
                dropped += 1
        return dropped

    # -- state ---------------------------------------------------------------------------------

    def _new_message_id(self) -> str:
        self._next_id += 1
        return f"{self._next_id:x}" if self.config.hex_message_ids else str(self._next_id)

    def _remember(self, message: _Message) -> None:
        self.messages[message.message_id] = message
        if len(self.messages) > _REMEMBERED:
            self.messages.popitem(last=False)


__all__ = ["SimulatorConfig", "SmscSimulator"]
