"""uvicorn's httptools protocol with the limits a public server needs: a connection must finish
its request head in time (from connecting, or from a request's first byte) and within a size,
and past a number of open connections a new one is answered 503 and closed at once, so idle or
slowly dripping sockets cannot use up the process's file descriptors (which SMPP binds and the
carrier links share)."""

import asyncio
import logging

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from smsgate.api.http.direct import DirectRequest, direct_request, response_bytes
from smsgate.api.http.responses import error_body
from smsgate.api.http.settings import HttpSettings
from smsgate.api.http.shortcut import SendShortcut
from smsgate.domain.errors import GatewayError
from smsgate.log_limits import HTTP_LOG_INTERVAL, LogLimiter

log = logging.getLogger(__name__)

_HEAD_END = b"\r\n\r\n"


def refusal(error: GatewayError) -> bytes:
    """A whole HTTP response in the catalog's error shape, for a connection about to close."""
    body = orjson.dumps({"error": error_body(error)})
    reason = {431: "Request Header Fields Too Large", 503: "Service Unavailable"}
    return (
        f"HTTP/1.1 {error.http_status} {reason.get(error.http_status, 'Error')}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        + ("retry-after: 1\r\n" if error.http_status == 503 else "")
        + "connection: close\r\n\r\n"
    ).encode() + body


def guarded_protocol(settings: HttpSettings) -> type[HttpToolsProtocol]:
    """The protocol class for one server, with its settings and its throttled log lines."""
    problems = LogLimiter(log, interval=HTTP_LOG_INTERVAL)

    class GuardedHttpProtocol(HttpToolsProtocol):
        _head_bytes: int | None = 0  # bytes of the request head so far; None: in the body
        _tail = b""  # the last bytes seen, for a head end split across reads
        _head_timer: asyncio.TimerHandle | None = None
        _in_head = False  # between a request's first byte and the end of its head

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > settings.max_connections:
                problems.note("HTTP connections refused (too many open)", self._peer())
                self._refuse(GatewayError("too_many_connections"))
                return
            self._start_head_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_head_timer()
            super().connection_lost(exc)

        def _peer(self) -> str:
            return f"from {self.client[0]}" if self.client else ""

        def data_received(self, data: bytes) -> None:
            if self._head_bytes is not None:
                # where the head ends in `data` (negative: it began in the last read's tail);
                # the chunk is searched in place, not copied: it may carry a large body too
                tail, found = self._tail, None
                if tail:
                    straddle = (tail + data[:3]).find(_HEAD_END)
                    if straddle >= 0:
                        found = straddle - len(tail)
                if found is None and (inside := data.find(_HEAD_END)) >= 0:
                    found = inside
                self._head_bytes += len(data) if found is None else found + len(_HEAD_END)
                self._tail = data[-3:] if len(data) >= 3 else (tail + data)[-3:]
                if self._head_bytes > settings.max_header_bytes:
                    problems.note("HTTP requests refused (head too large)", self._peer())
                    self._refuse(GatewayError("headers_too_large"))
                    return
            super().data_received(data)
            if self._in_head:
                # a head begun but not ended in this read is timed from here; one that ended
                # in the read that began it (nearly every one) needs no timer at all
                self._start_head_timer()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_head = True

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._stop_head_timer()
            self._head_bytes, self._tail = None, b""
            previous: RequestResponseCycle | DirectRequest | None = self.cycle
            if self._direct_takes(previous):
                return
            super().on_headers_complete()
            if self.cycle is not previous and self.cycle is not None:  # not an upgrade
                self.cycle.transport = HeadWithBody(self.transport, self.cycle)

        def _direct_takes(self, previous: RequestResponseCycle | DirectRequest | None) -> bool:
            """Whether this request is answered by the direct path (api/http/direct.py)."""
            shortcut = getattr(self.app, "shortcut", None)
            if shortcut is None or self.root_path or self.expect_100_continue:
                return False
            if previous is not None and not previous.response_complete:
                return False  # pipelined behind a request still being answered: uvicorn queues it
            parser = self.parser
            if parser.get_http_version() != "1.1" or parser.should_upgrade():
                return False
            request = direct_request(
                parser.get_method(), self.url, self.headers, parser.should_keep_alive()
            )
            if request is None:
                return False
            self.cycle = request  # type: ignore[assignment]
            return True

        def on_body(self, body: bytes) -> None:
            request: object = self.cycle
            if type(request) is DirectRequest:
                request.body += body  # at most its Content-Length, which the parser holds it to
            else:
                super().on_body(body)

        def on_message_complete(self) -> None:
            self._head_bytes = 0  # what comes next is the next request's head
            request: object = self.cycle
            if type(request) is DirectRequest:
                # once per request: a request after it has a cycle (or DirectRequest) of its own
                task = self.loop.create_task(self._answer(request))
                task.add_done_callback(self.tasks.discard)
                self.tasks.add(task)  # a graceful shutdown waits for it
                return
            super().on_message_complete()

        async def _answer(self, request: DirectRequest) -> None:
            shortcut: SendShortcut = self.app.shortcut
            scope = {"client": self.client, "headers": request.headers}
            response, error = await shortcut.outcome(
                shortcut.reply(request.authorization, scope, bytes(request.body))
            )
            keep_alive = request.keep_alive and error is None
            request.response_complete = True
            if self.transport.is_closing():
                return  # the client left: what it sent is accepted all the same
            default = self.server_state.default_headers
            self.transport.write(response_bytes(response, default, keep_alive))
            if keep_alive:
                self.on_response_complete()  # uvicorn's: the next pipelined request, keep-alive
            else:
                self.transport.close()

        def _start_head_timer(self) -> None:
            if self._head_timer is None and not self.transport.is_closing():
                self._head_timer = self.loop.call_later(settings.header_timeout, self._too_slow)

        def _stop_head_timer(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _too_slow(self) -> None:
            self._head_timer = None
            if not self.transport.is_closing():
                problems.note(
                    "HTTP connections closed (request head too slow)",
                    self._peer(),
                    level=logging.INFO,
                )
                self.transport.close()

        def _refuse(self, error: GatewayError) -> None:
            self._stop_head_timer()
            self.transport.write(refusal(error))
            self.transport.close()

    return GuardedHttpProtocol


class HeadWithBody(asyncio.Transport):
    """The connection as one response sees it: uvicorn writes a response's head and its body
    as two socket writes (two system calls, and two TCP segments when the peer is quick);
    this holds the head of a response whose length is known until its body comes, and writes
    both at once. A chunked (streamed) response, a HEAD request's and anything written before
    the response starts (100 Continue) pass straight through; closing writes a held head
    first."""

    _MAX_JOINED = 64 * 1024  # a larger body is written apart rather than copied after the head

    def __init__(self, transport: asyncio.Transport, cycle: RequestResponseCycle) -> None:
        super().__init__()
        self._transport = transport
        self._cycle = cycle
        self._head: bytes | None = None
        self._held = False  # a head was held once: each response has one

    def write(self, data: bytes | bytearray | memoryview) -> None:
        head = self._head
        if head is not None:
            self._head = None
            if len(data) <= self._MAX_JOINED:
                self._transport.write(head + bytes(data))
                return
            self._transport.write(head)
        elif self._holds():
            self._held = True
            self._head = bytes(data)
            return
        self._transport.write(data)

    def _holds(self) -> bool:
        # uvicorn sets these before it writes the head: response started, length known
        cycle = self._cycle
        return (
            not self._held
            and cycle.response_started
            and not cycle.response_complete
            and cycle.chunked_encoding is False
            and cycle.scope["method"] != "HEAD"
        )

    def _flush(self) -> None:
        if self._head is not None:
            head, self._head = self._head, None
            self._transport.write(head)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: object = None) -> object:
        return self._transport.get_extra_info(name, default)

    def abort(self) -> None:
        self._head = None
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + len(self._head or b"")
