"""uvicorn's httptools protocol with the limits a public server needs: a connection must finish
its request head in time (from connecting, or from a request's first byte) and within a size,
and past a number of open connections a new one is answered 503 and closed at once, so idle or
slowly dripping sockets cannot use up the process's file descriptors (which SMPP binds and the
carrier links share)."""

import asyncio
import logging

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from smsgate.api.http.responses import error_body
from smsgate.api.http.settings import HttpSettings
from smsgate.api.http.throttled_log import ThrottledLog
from smsgate.domain.errors import GatewayError

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
    refused = ThrottledLog(log, logging.WARNING, "HTTP connections refused (too many open)")
    too_large = ThrottledLog(log, logging.WARNING, "HTTP requests refused (head too large)")
    timed_out = ThrottledLog(log, logging.INFO, "HTTP connections closed (request head too slow)")

    class GuardedHttpProtocol(HttpToolsProtocol):
        _head_bytes: int | None = 0  # bytes of the request head so far; None: in the body
        _tail = b""  # the last bytes seen, for a head end split across reads
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > settings.max_connections:
                refused.note(self.client[0] if self.client else None)
                self._refuse(GatewayError("too_many_connections"))
                return
            self._start_head_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_head_timer()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._head_bytes is not None:
                seen = self._tail + data
                end = seen.find(_HEAD_END)
                self._head_bytes += len(data) if end < 0 else end + len(_HEAD_END) - len(self._tail)
                self._tail = seen[-3:]
                if self._head_bytes > settings.max_header_bytes:
                    too_large.note(self.client[0] if self.client else None)
                    self._refuse(GatewayError("headers_too_large"))
                    return
            super().data_received(data)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._start_head_timer()

        def on_headers_complete(self) -> None:
            self._stop_head_timer()
            self._head_bytes, self._tail = None, b""
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._head_bytes = 0  # what comes next is the next request's head
            super().on_message_complete()

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
                timed_out.note(self.client[0] if self.client else None)
                self.transport.close()

        def _refuse(self, error: GatewayError) -> None:
            self._stop_head_timer()
            self.transport.write(refusal(error))
            self.transport.close()

    return GuardedHttpProtocol
