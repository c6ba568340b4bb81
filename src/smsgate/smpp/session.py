"""SMPP session state machine, sans-IO (in the manner of h11).

Bytes go in with `receive_data(data, now)`, typed events come out of `next_event()`, and PDUs to
send become bytes with `send(pdu, now)`. Nothing here touches a socket, a clock or asyncio: time is
an argument, so keep-alive, response and inactivity timers are tested without sleeping.

Events are: a received request (the Request PDU itself, to be answered with `send`),
ResponseReceived (a response matched to the request it answers), UnmatchedResponse, ProtocolError
(with the reply the peer must get, ready to send), ResponseTimeout, EnquireLinkDue, IdleTimeout
and ConnectionClosed. NEED_DATA means: feed more bytes (or wait for a timer).
"""

from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import Final

from smsgate.smpp import codec
from smsgate.smpp.constants import MAX_SEQUENCE, CommandId, CommandStatus
from smsgate.smpp.errors import PduDecodeError, SessionError, WindowFullError
from smsgate.smpp.pdu import (
    PDU_BY_ID,
    Bind,
    GenericNack,
    Pdu,
    Request,
    Response,
)
from smsgate.smpp.tlv import Tag


class Role(Enum):
    ESME = "esme"  # binds to an SMSC: our upstream connectors, and customers' clients
    SMSC = "smsc"  # accepts binds: our SMPP server and the carrier simulator


class State(Enum):
    OPEN = "open"
    BINDING = "binding"  # a bind is sent (ESME) or received and not yet answered (SMSC)
    OUTBOUND = "outbound"  # SMSC sent outbind and waits for the ESME to bind
    BOUND_TX = "bound_tx"
    BOUND_RX = "bound_rx"
    BOUND_TRX = "bound_trx"
    UNBINDING = "unbinding"  # unbind sent, its response awaited
    UNBOUND = "unbound"
    CLOSED = "closed"


BOUND_STATES: Final = frozenset({State.BOUND_TX, State.BOUND_RX, State.BOUND_TRX})
_BIND_STATE: Final[dict[int, State]] = {
    CommandId.BIND_TRANSMITTER: State.BOUND_TX,
    CommandId.BIND_RECEIVER: State.BOUND_RX,
    CommandId.BIND_TRANSCEIVER: State.BOUND_TRX,
    CommandId.BIND_TRANSMITTER_RESP: State.BOUND_TX,
    CommandId.BIND_RECEIVER_RESP: State.BOUND_RX,
    CommandId.BIND_TRANSCEIVER_RESP: State.BOUND_TRX,
}

C = CommandId
_BINDS = frozenset({C.BIND_TRANSMITTER, C.BIND_RECEIVER, C.BIND_TRANSCEIVER})
_ESME_TX = frozenset(
    {
        C.SUBMIT_SM,
        C.SUBMIT_MULTI,
        C.DATA_SM,
        C.QUERY_SM,
        C.CANCEL_SM,
        C.REPLACE_SM,
        C.BROADCAST_SM,
        C.QUERY_BROADCAST_SM,
        C.CANCEL_BROADCAST_SM,
    }
)
_SMSC_RX = frozenset({C.DELIVER_SM, C.DATA_SM, C.ALERT_NOTIFICATION})
_LINK = frozenset({C.ENQUIRE_LINK, C.UNBIND})

# Which requests each role may send in each state (SMPP 3.4 section 2.3, 5.0 section 2.4).
# What one side may receive is what the other side may send.
MAY_SEND: Final[dict[Role, dict[State, frozenset[int]]]] = {
    Role.ESME: {
        State.OPEN: _BINDS | {C.ENQUIRE_LINK},
        State.BOUND_TX: _ESME_TX | _LINK,
        State.BOUND_RX: _LINK,
        State.BOUND_TRX: _ESME_TX | _LINK,
        State.UNBINDING: frozenset({C.ENQUIRE_LINK}),
    },
    Role.SMSC: {
        State.OPEN: frozenset({C.OUTBIND, C.ENQUIRE_LINK}),
        State.OUTBOUND: frozenset({C.ENQUIRE_LINK}),
        State.BOUND_TX: _LINK,
        State.BOUND_RX: _SMSC_RX | _LINK,
        State.BOUND_TRX: _SMSC_RX | _LINK,
        State.UNBINDING: frozenset({C.ENQUIRE_LINK}),
    },
}
_PEER = {Role.ESME: Role.SMSC, Role.SMSC: Role.ESME}
_NO_WINDOW: Final = frozenset({C.ENQUIRE_LINK, C.UNBIND})  # control PDUs are never held back


@dataclass(slots=True)
class ResponseReceived:
    """A response matched to the request it answers; rtt is the seconds it took."""

    request: Request
    response: Response
    rtt: float


@dataclass(slots=True)
class UnmatchedResponse:
    """A response whose sequence number matches no outstanding request (e.g. after a timeout)."""

    response: Response


@dataclass(slots=True)
class ProtocolError:
    """The peer sent something invalid. Send `reply` if there is one; close if `fatal`."""

    reason: str
    status: int
    reply: Pdu | None
    fatal: bool


@dataclass(slots=True)
class ResponseTimeout:
    """No response came for `request` within the response timeout; it left the window."""

    request: Request


@dataclass(slots=True)
class EnquireLinkDue:
    """Nothing was received for the keep-alive interval: send an EnquireLink."""


@dataclass(slots=True)
class IdleTimeout:
    """Nothing was received for the inactivity timeout: unbind and close."""


@dataclass(slots=True)
class ConnectionClosed:
    """The peer closed the connection (receive_data got b"")."""


class _NeedData:
    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA: Final = _NeedData()

Event = (
    Request
    | ResponseReceived
    | UnmatchedResponse
    | ProtocolError
    | ResponseTimeout
    | EnquireLinkDue
    | IdleTimeout
    | ConnectionClosed
)


@dataclass(frozen=True, slots=True)
class SessionConfig:
    window: int = 100  # our outstanding requests
    peer_window: int = 100  # the peer's unanswered requests before ESME_RMSGQFUL
    response_timeout: float = 30.0
    enquire_link_interval: float | None = 30.0
    inactivity_timeout: float | None = None
    max_pdu_size: int = codec.DEFAULT_MAX_PDU_SIZE


class SmppSession:
    """One SMPP connection's protocol state, for either role."""

    def __init__(self, role: Role, config: SessionConfig | None = None, *, now: float) -> None:
        self.role = role
        self.config = config or SessionConfig()
        self.state = State.OPEN
        self.peer_interface_version: int | None = None
        self.peer_system_id: str | None = None
        self._buffer = bytearray()
        self._eof = False
        self._events: deque[Event] = deque()
        self._sequence = 0
        # our requests awaiting a response: seq -> (request, sent at); dicts keep send order
        self._pending: dict[int, tuple[Request, float]] = {}
        # the peer's requests we have not answered yet: seq -> command_id
        self._unanswered: dict[int, int] = {}
        self._last_receive = now
        self._enquire_link_pending = False
        self._idle_reported = False
        self._last_words: Pdu | None = None  # the nack a fatal error may still send once closed
        self._may_send = MAY_SEND[role]
        self._may_receive = MAY_SEND[_PEER[role]]

    # -- inspection ----------------------------------------------------------------------------

    @property
    def outstanding(self) -> int:
        """How many of our requests await a response."""
        return len(self._pending)

    @property
    def window_free(self) -> int:
        return max(0, self.config.window - len(self._pending))

    @property
    def unanswered(self) -> int:
        """How many of the peer's requests we have not answered yet."""
        return len(self._unanswered)

    @property
    def buffered_bytes(self) -> int:
        """Input received and not decoded yet."""
        return len(self._buffer)

    @property
    def is_bound(self) -> bool:
        return self.state in BOUND_STATES

    def pending_requests(self) -> list[Request]:
        """Our requests still awaiting a response, oldest first (to re-queue on a lost link)."""
        return [request for request, _ in self._pending.values()]

    # -- input ---------------------------------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> None:
        """Feed bytes from the peer; b"" means the peer closed the connection."""
        if self._eof:
            raise SessionError("data received after the connection was closed")
        if data:
            self._buffer += data
            self._last_receive = now
            self._idle_reported = False
        else:
            self._eof = True

    def next_event(self) -> Event | _NeedData:
        if self._events:
            return self._events.popleft()
        if self.state is State.CLOSED:
            return NEED_DATA
        buffer = self._buffer
        if len(buffer) >= 4:
            try:
                length = codec.read_header(buffer, self.config.max_pdu_size)
            except PduDecodeError as exc:
                return self._fatal(exc)
            assert length is not None
            if len(buffer) >= length:
                data = bytes(buffer[:length])
                del buffer[:length]
                return self._handle(data)
        if self._eof:
            self.state = State.CLOSED
            return ConnectionClosed()
        return NEED_DATA

    def poll_timers(self, now: float) -> None:
        """Queue the events of timers that expired by `now` (see next_deadline)."""
        timeout = self.config.response_timeout
        while self._pending:
            seq, (request, sent_at) = next(iter(self._pending.items()))
            if now - sent_at < timeout:
                break
            del self._pending[seq]
            if request.command_id == C.ENQUIRE_LINK:
                self._enquire_link_pending = False
            self._events.append(ResponseTimeout(request))
        idle = now - self._last_receive
        interval = self.config.enquire_link_interval
        if (
            interval is not None
            and idle >= interval
            and not self._enquire_link_pending
            and self.state not in (State.CLOSED, State.UNBOUND)
        ):
            self._enquire_link_pending = True
            self._events.append(EnquireLinkDue())
        inactivity = self.config.inactivity_timeout
        if inactivity is not None and idle >= inactivity and not self._idle_reported:
            self._idle_reported = True
            self._events.append(IdleTimeout())

    def next_deadline(self) -> float | None:
        """When poll_timers next has something to do, in the caller's time; None for never."""
        deadlines = []
        if self._pending:
            _, sent_at = next(iter(self._pending.values()))
            deadlines.append(sent_at + self.config.response_timeout)
        interval = self.config.enquire_link_interval
        if interval is not None and not self._enquire_link_pending:
            deadlines.append(self._last_receive + interval)
        inactivity = self.config.inactivity_timeout
        if inactivity is not None and not self._idle_reported:
            deadlines.append(self._last_receive + inactivity)
        return min(deadlines) if deadlines else None

    # -- output --------------------------------------------------------------------------------

    def send(self, pdu: Pdu, now: float) -> bytes:
        """The bytes of `pdu` after checking that it is legal now. A request without a sequence
        number gets the next one (written into the PDU)."""
        if self.state is State.CLOSED:
            if pdu is not self._last_words:
                raise SessionError("the connection is closed")
            self._last_words = None
            return codec.encode(pdu)
        if isinstance(pdu, Request):
            return self._send_request(pdu, now)
        assert isinstance(pdu, Response)
        return self._send_response(pdu)

    def close(self) -> None:
        self.state = State.CLOSED

    def _send_request(self, pdu: Request, now: float) -> bytes:
        cid = pdu.command_id
        if cid not in self._may_send.get(self.state, ()):
            raise SessionError(f"{self.role.value} may not send {pdu.name} in state {self.state}")
        if cid not in _NO_WINDOW and len(self._pending) >= self.config.window:
            raise WindowFullError(f"window of {self.config.window} outstanding requests is full")
        if pdu.sequence_number == 0:
            pdu.sequence_number = self._next_sequence()
        data = codec.encode(pdu)
        if pdu.response_class is not None:
            self._pending[pdu.sequence_number] = (pdu, now)
        if cid in _BINDS:
            self.state = State.BINDING
        elif cid == C.UNBIND:
            self.state = State.UNBINDING
        elif cid == C.OUTBIND:
            self.state = State.OUTBOUND
        elif cid == C.ENQUIRE_LINK:
            self._enquire_link_pending = True
        return data

    def _send_response(self, pdu: Response) -> bytes:
        cid = pdu.command_id
        if cid != C.GENERIC_NACK:
            request_id = self._unanswered.pop(pdu.sequence_number, None)
            if request_id is None or request_id | 0x80000000 != cid:
                if request_id is not None:
                    self._unanswered[pdu.sequence_number] = request_id
                raise SessionError(
                    f"{pdu.name} seq {pdu.sequence_number} answers no unanswered request"
                )
            if request_id in _BINDS and self.state is State.BINDING:
                self.state = _BIND_STATE[cid] if pdu.command_status == 0 else State.OPEN
            elif cid == C.UNBIND_RESP:
                self.state = State.UNBOUND
        else:
            self._unanswered.pop(pdu.sequence_number, None)
        return codec.encode(pdu)

    def _next_sequence(self) -> int:
        seq = self._sequence
        while True:
            seq = 1 if seq >= MAX_SEQUENCE else seq + 1
            if seq not in self._pending:
                self._sequence = seq
                return seq

    # -- received PDUs -------------------------------------------------------------------------

    def _fatal(self, exc: PduDecodeError) -> ProtocolError:
        self.state = State.CLOSED
        self._buffer.clear()
        reply = self._last_words = GenericNack(exc.sequence_number or 0, exc.status)
        return ProtocolError(str(exc), exc.status, reply, fatal=True)

    def _handle(self, data: bytes) -> Event:
        try:
            pdu = codec.decode(data)
        except PduDecodeError as exc:
            return self._reject_undecodable(exc)
        if isinstance(pdu, Response):
            return self._handle_response(pdu)
        assert isinstance(pdu, Request)
        return self._handle_request(pdu)

    def _reject_undecodable(self, exc: PduDecodeError) -> ProtocolError:
        seq = exc.sequence_number or 0
        cls = PDU_BY_ID.get(exc.command_id) if exc.command_id is not None else None
        if cls is not None and issubclass(cls, Response):
            # A broken response: nothing to answer; the request will time out or be nacked.
            return ProtocolError(str(exc), exc.status, None, fatal=False)
        if cls is not None and issubclass(cls, Request) and cls.response_class is not None:
            self._unanswered[seq] = cls.command_id
            return ProtocolError(str(exc), exc.status, cls.response_class(seq, exc.status), False)
        return ProtocolError(str(exc), exc.status, GenericNack(seq, exc.status), fatal=False)

    def _reject(self, pdu: Request, status: int, reason: str) -> ProtocolError:
        if pdu.response_class is None:
            return ProtocolError(reason, status, GenericNack(pdu.sequence_number, status), False)
        self._unanswered[pdu.sequence_number] = pdu.command_id
        return ProtocolError(reason, status, pdu.response(status), fatal=False)

    def _handle_request(self, pdu: Request) -> Event:
        cid = pdu.command_id
        if cid not in self._may_receive.get(self.state, ()):
            if cid in _BINDS and self.state in BOUND_STATES | {State.BINDING}:
                return self._reject(pdu, CommandStatus.ESME_RALYBND, "already bound")
            return self._reject(
                pdu, CommandStatus.ESME_RINVBNDSTS, f"{pdu.name} not allowed in {self.state}"
            )
        if pdu.response_class is not None:
            if len(self._unanswered) >= self.config.peer_window and cid not in _NO_WINDOW:
                return self._reject(
                    pdu, CommandStatus.ESME_RMSGQFUL, "too many unanswered requests"
                )
            self._unanswered[pdu.sequence_number] = cid
        if cid in _BINDS:
            assert isinstance(pdu, Bind)
            self.state = State.BINDING
            self.peer_interface_version = pdu.interface_version
            self.peer_system_id = pdu.system_id
        return pdu

    def _handle_response(self, pdu: Response) -> Event:
        entry = self._pending.pop(pdu.sequence_number, None)
        if entry is None:
            return UnmatchedResponse(pdu)
        request, sent_at = entry
        cid = pdu.command_id
        if cid != C.GENERIC_NACK and request.command_id | 0x80000000 != cid:
            self._pending[pdu.sequence_number] = entry
            return UnmatchedResponse(pdu)
        rcid = request.command_id
        if rcid in _BINDS:
            if pdu.command_status == 0 and cid != C.GENERIC_NACK:
                self.state = _BIND_STATE[rcid]
                self.peer_system_id = getattr(pdu, "system_id", None)
                version = pdu.tlvs.get(Tag.SC_INTERFACE_VERSION)
                # Without the TLV the SMSC speaks 3.3 or does not say (SMPP 3.4 section 5.3.2.25)
                self.peer_interface_version = version if isinstance(version, int) else None
            else:
                self.state = State.OPEN
        elif rcid == C.UNBIND:
            self.state = State.UNBOUND
        elif rcid == C.ENQUIRE_LINK:
            self._enquire_link_pending = False
        return ResponseReceived(request, pdu, self._last_receive - sent_at)


__all__ = [
    "BOUND_STATES",
    "MAY_SEND",
    "NEED_DATA",
    "ConnectionClosed",
    "EnquireLinkDue",
    "Event",
    "IdleTimeout",
    "ProtocolError",
    "ResponseReceived",
    "ResponseTimeout",
    "Role",
    "SessionConfig",
    "SmppSession",
    "State",
    "UnmatchedResponse",
]
