"""One SMPP connection on asyncio: a thin shell around `smpp.session.SmppSession`.

The shell reads the socket into the session, runs the session's timers, answers the link-level
PDUs itself (enquire_link, unbind, protocol errors) and hands every other request to a handler.
Requests it sends return futures resolved by the matching response. TCP_NODELAY is set on every
socket: without it a request/response exchange stalls on Nagle's algorithm.

PDUs sent during one turn of the event loop leave in one write at the end of it. A window of
submit_sm (or of their responses) would otherwise cost one send() system call each, which on
loopback measured as the largest single cost of a bind's throughput.

What a peer may cost (the write buffer, the request rate, the time to bind) is bounded by
`ConnectionLimits` (transport/connection_limits.py). Problems a peer can repeat at will (bad
PDUs, throttled requests) are logged through a `LogLimiter`: a count per interval, not a line
per PDU.
"""

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from typing import Any, cast

from smsgate.domain.errors import CATALOG
from smsgate.log_limits import LogLimiter
from smsgate.smpp.constants import status_name
from smsgate.smpp.errors import SessionError
from smsgate.smpp.pdu import EnquireLink, Pdu, Request, Response, Unbind
from smsgate.smpp.session import (
    NEED_DATA,
    ConnectionClosed,
    EnquireLinkDue,
    IdleTimeout,
    ProtocolError,
    ResponseReceived,
    ResponseTimeout,
    Role,
    SessionConfig,
    SmppSession,
    State,
    UnmatchedResponse,
)
from smsgate.transport.connection_limits import ConnectionLimits, PduRate

log = logging.getLogger(__name__)
THROTTLED = CATALOG["throttled"].smpp_status  # ESME_RTHROTTLED

RequestHandler = Callable[["SmppConnection", Request], None]

# Timers are polled at least this often, and not more often than the minimum, in seconds.
_MAX_TICK = 1.0
_MIN_TICK = 0.01


class SmppRequestError(Exception):
    """A request was answered with a non-zero command_status, timed out, or lost its link."""

    def __init__(self, message: str, response: Response | None = None) -> None:
        super().__init__(message)
        self.response = response


class ResponseTimeoutError(SmppRequestError):
    """No response came within the response timeout; the peer may still have acted on it."""


class ConnectionLostError(SmppRequestError):
    """The connection closed before the response came; the peer may still have acted on it."""


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class SmppConnection(asyncio.Protocol):
    """asyncio protocol for one SMPP connection, ESME or SMSC side."""

    def __init__(
        self,
        role: Role,
        handler: RequestHandler,
        config: SessionConfig | None = None,
        *,
        on_open: Callable[["SmppConnection"], bool] | None = None,
        on_close: Callable[["SmppConnection"], None] | None = None,
        limits: ConnectionLimits | None = None,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        now = self.loop.time()
        self.session = SmppSession(role, config, now=now)
        # without limits (the connectors' binds to carriers) asyncio's defaults stay: a carrier
        # is trusted to read, and pausing our reads there could stall both sides
        self.back_pressure = limits is not None
        self.limits = limits or ConnectionLimits()
        self.rate = PduRate(self.limits, now)
        self.problems = LogLimiter(log)  # named after the peer once connected
        self.reading_paused = False  # back-pressure: the peer does not read our replies
        self.pauses = 0  # how often it was
        self._bound_seen = False
        self.handler = handler
        self.on_open = on_open  # False: the connection is refused and closed at once
        self.on_close = on_close
        # called after a read whose answers freed room in our window, before the loop turns:
        # a sender parked on wait_for_window would wake a turn later
        self.on_window_room: Callable[[], object] | None = None
        self.transport: asyncio.Transport | None = None
        self.peername: Any = None
        self.closed = self.loop.create_future()
        self.context: dict[str, Any] = {}  # for the handler: account, bind type, ...
        self._waiters: dict[int, asyncio.Future[Response]] = {}
        self._window_waiters: list[asyncio.Future[None]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._outgoing: list[bytes] = []  # encoded PDUs awaiting flush, in send order
        self._bind_timer: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it
        self.transport = cast(asyncio.Transport, transport)
        self.peername = transport.get_extra_info("peername")
        self.problems.prefix = str(self.peername)
        if self.on_open is not None and not self.on_open(self):
            transport.close()
            return
        set_nodelay(transport)
        limits = self.limits
        if self.back_pressure:
            self.transport.set_write_buffer_limits(high=limits.write_high, low=limits.write_low)
        if limits.bind_timeout is not None and self.session.role is Role.SMSC:
            self._bind_timer = self.loop.call_later(limits.bind_timeout, self._bind_deadline)
        self._schedule_tick()

    def data_received(self, data: bytes) -> None:
        session = self.session
        outstanding = session.outstanding
        session.receive_data(data, self.loop.time())
        self._drain()
        if (
            self.on_window_room is not None
            and session.outstanding < outstanding
            and session.window_free
        ):
            self.on_window_room()

    def eof_received(self) -> bool:
        return False

    def pause_writing(self) -> None:
        # the peer does not read what we answer: stop reading what it asks until it does
        if not self.back_pressure:
            return
        self.reading_paused = True
        self.pauses += 1
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if not self.reading_paused:
            return
        self.reading_paused = False
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    @property
    def buffered_bytes(self) -> int:
        """What this connection holds in memory for its peer: unsent replies and unread input."""
        pending = sum(len(chunk) for chunk in self._outgoing) + self.session.buffered_bytes
        if self.transport is not None:
            pending += self.transport.get_write_buffer_size()
        return pending

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._bind_timer is not None:
            self._bind_timer.cancel()
        self.problems.flush()
        self.session.close()
        error = ConnectionLostError("connection lost")
        for waiter in self._waiters.values():
            if not waiter.done():
                waiter.set_exception(error)
        self._waiters.clear()
        self._wake_window_waiters()
        if not self.closed.done():
            self.closed.set_result(None)
        if self.on_close is not None:
            self.on_close(self)

    # -- sending -------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.transport is not None and not self.transport.is_closing()

    def send(self, pdu: Pdu) -> None:
        """Send a response, or a request whose answer is not awaited."""
        if not self.is_open:
            raise SessionError("connection is closed")
        outgoing = self._outgoing
        outgoing.append(self.session.send(pdu, self.loop.time()))
        if len(outgoing) == 1:
            self.loop.call_soon(self.flush)
        if not self._bound_seen and self.session.is_bound:
            self._bound_seen = True
            self.rate.bound(self.loop.time())

    def flush(self) -> None:
        """Write what was sent so far now, not at the end of the loop's turn: for a sender
        that knows it sends nothing more for now."""
        outgoing, self._outgoing = self._outgoing, []
        if outgoing and self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"".join(outgoing))

    def request(self, pdu: Request) -> "asyncio.Future[Response]":
        """Send a request; the future gets its response (or SmppRequestError). The window must
        have room: see wait_for_window."""
        self.send(pdu)
        future: asyncio.Future[Response] = self.loop.create_future()
        self._waiters[pdu.sequence_number] = future
        return future

    async def call(self, pdu: Request) -> Response:
        """Send a request when the window has room and return its successful response."""
        await self.wait_for_window()
        response = await self.request(pdu)
        if response.command_status != 0:
            raise SmppRequestError(
                f"{pdu.name} answered {status_name(response.command_status)}", response
            )
        return response

    async def wait_for_window(self) -> None:
        while self.session.window_free == 0:
            if not self.is_open:
                raise ConnectionLostError("connection lost")
            waiter: asyncio.Future[None] = self.loop.create_future()
            self._window_waiters.append(waiter)
            await waiter

    async def unbind_and_close(self, timeout: float = 5.0) -> None:
        """Unbind politely when bound, then close the socket."""
        if self.is_open and self.session.is_bound:
            with contextlib.suppress(SmppRequestError, SessionError, TimeoutError):
                await asyncio.wait_for(self.request(Unbind()), timeout)
        self.close()
        await self.closed

    def close(self) -> None:
        self.flush()  # what was sent before closing still goes out, e.g. a last generic_nack
        if self.transport is not None:
            self.transport.close()

    # -- events --------------------------------------------------------------------------------

    def _drain(self) -> None:
        session = self.session
        while True:
            event = session.next_event()
            if event is NEED_DATA:
                return
            if isinstance(event, Request):
                self._on_request(event)
            elif isinstance(event, ResponseReceived):
                self._resolve(event.response.sequence_number, event.response)
            elif isinstance(event, ProtocolError):
                self._on_protocol_error(event)
            elif isinstance(event, ResponseTimeout):
                if isinstance(event.request, EnquireLink):
                    # The keep-alive went unanswered: the link is dead even if TCP has not
                    # noticed, and closing is what lets the requests in flight be re-queued.
                    log.warning("%s: enquire_link unanswered, closing", self.peername)
                    self.close()
                    return
                self._fail(event.request.sequence_number, f"{event.request.name} timed out")
            elif isinstance(event, EnquireLinkDue):
                if session.is_bound or session.state is State.OPEN:
                    self.send(EnquireLink())
            elif isinstance(event, IdleTimeout):
                log.info("%s: idle, closing", self.peername)
                if session.is_bound:
                    self.send(Unbind())
                self.close()
            elif isinstance(event, UnmatchedResponse):
                self.problems.note("unmatched response", str(event.response))
            elif isinstance(event, ConnectionClosed):
                self.close()
                return
            if not self.is_open:
                return

    def _on_request(self, pdu: Request) -> None:
        if not isinstance(pdu, Unbind) and not self.rate.admit(self.loop.time()):
            self._throttle(pdu)
        elif isinstance(pdu, EnquireLink):
            self.send(pdu.response())
        elif isinstance(pdu, Unbind):
            self.send(pdu.response())
            self.close()
        else:
            self.handler(self, pdu)

    def _throttle(self, pdu: Request) -> None:
        """A request past the connection's rate: answered ESME_RTHROTTLED, not acted on; a peer
        that ignores that is disconnected."""
        self.problems.note("requests throttled (ESME_RTHROTTLED)", pdu.name)
        if self.rate.flooding:
            log.warning(
                "%s: %d requests throttled, still flooding: closing",
                self.peername,
                self.rate.throttled_total,
            )
            self.close()
        elif pdu.response_class is not None:
            self.send(pdu.response(THROTTLED))

    def _on_protocol_error(self, event: ProtocolError) -> None:
        # a peer can send bad PDUs as fast as it can write: counted, not a line each
        self.problems.note(f"bad PDU answered {status_name(event.status)}", event.reason)
        if event.fatal:
            log.warning("%s: %s, closing", self.peername, event.reason)
        elif not self.rate.admit(self.loop.time()) and self.rate.flooding:
            log.warning("%s: bad PDUs past the rate, still flooding: closing", self.peername)
            self.close()
            return
        if event.reply is not None:
            self.send(event.reply)
        if event.fatal:
            self.close()

    def _resolve(self, seq: int, response: Response) -> None:
        waiter = self._waiters.pop(seq, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(response)
        self._wake_window_waiters()

    def _fail(self, seq: int, reason: str) -> None:
        waiter = self._waiters.pop(seq, None)
        if waiter is not None and not waiter.done():
            waiter.set_exception(ResponseTimeoutError(reason))
        self._wake_window_waiters()

    def _wake_window_waiters(self) -> None:
        waiters, self._window_waiters = self._window_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _bind_deadline(self) -> None:
        self._bind_timer = None
        if self.is_open and not self.session.is_bound:
            log.info("%s: not bound after %s s, closing", self.peername, self.limits.bind_timeout)
            self.close()

    def _schedule_tick(self) -> None:
        now = self.loop.time()
        deadline = self.session.next_deadline()
        delay = _MAX_TICK if deadline is None else min(_MAX_TICK, max(_MIN_TICK, deadline - now))
        self._timer = self.loop.call_later(delay, self._tick)

    def _tick(self) -> None:
        if not self.is_open:
            return
        self.session.poll_timers(self.loop.time())
        self._drain()
        self._schedule_tick()


async def connect(
    host: str,
    port: int,
    bind: Request,
    handler: RequestHandler,
    config: SessionConfig | None = None,
    *,
    ssl: Any = None,
    timeout: float = 10.0,
) -> SmppConnection:
    """Open a connection as an ESME and bind with `bind`; raise SmppRequestError if refused."""
    loop = asyncio.get_running_loop()
    _, connection = await asyncio.wait_for(
        loop.create_connection(
            lambda: SmppConnection(Role.ESME, handler, config), host, port, ssl=ssl
        ),
        timeout,
    )
    try:
        await asyncio.wait_for(connection.call(bind), timeout)
    except BaseException:
        connection.close()
        raise
    return connection
