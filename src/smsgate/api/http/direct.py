"""`POST /v1/messages` answered by the HTTP protocol itself, below ASGI.

For one message per request, uvicorn's cycle around the endpoint (the scope, an event and a task
per request, the ASGI receive and two sends, Starlette's response object writing its head) cost
about as much as the endpoint. The connection's protocol (`connection.guarded_protocol`) takes a
request this module accepts as it parses it: it keeps the body, then asks
`SendShortcut.reply` (the same authentication, model, command and answer as the route) and
writes the whole response in one write. Anything it does not accept goes the ASGI way, as
before: another path or method, an Idempotency-Key, a body without a Content-Length or larger
than the route's limit (which the route refuses in its own words), `Expect: 100-continue`,
HTTP/1.0, a request pipelined behind one still being answered.

`DirectRequest` stands in for uvicorn's cycle while it is answered, with the attributes
uvicorn's own callbacks read of one: a pipelined request waits for `response_complete`, a
shutdown clears `keep_alive`, a lost connection sets `disconnected` and the message event."""

from http import HTTPStatus
from typing import Final

from starlette.responses import Response

from smsgate.api.http.shortcut import PATH, head_fields
from smsgate.api.http.v1 import MAX_BODY

_PATH: Final = PATH.encode()
_STATUS_LINES: Final = {
    status.value: f"HTTP/1.1 {status.value} {status.phrase}\r\n".encode() for status in HTTPStatus
}


class DirectRequest:
    __slots__ = (
        "authorization",
        "body",
        "disconnected",
        "headers",
        "keep_alive",
        "response_complete",
    )

    def __init__(
        self, authorization: str | None, headers: list[tuple[bytes, bytes]], keep_alive: bool
    ) -> None:
        self.authorization = authorization
        # its own: a request pipelined behind it gets a new list before it is answered
        self.headers = headers
        self.body = bytearray()
        self.keep_alive = keep_alive
        self.response_complete = False
        self.disconnected = False

    @property
    def message_event(self) -> "DirectRequest":
        return self  # nothing waits on it: its body is read as it comes

    def set(self) -> None:
        pass


def direct_request(
    method: bytes, url: bytes, headers: list[tuple[bytes, bytes]], keep_alive: bool
) -> DirectRequest | None:
    """A DirectRequest for a request head the protocol may answer itself, else None. `headers`
    are uvicorn's: names lower-cased, in order."""
    if method != b"POST" or url != _PATH:
        return None
    authorization, length, plain = head_fields(headers)
    if not plain or length is None or not length.isdigit() or int(length) > MAX_BODY:
        return None
    return DirectRequest(authorization, headers, keep_alive)


def response_bytes(
    response: Response, default_headers: list[tuple[bytes, bytes]], keep_alive: bool
) -> bytes:
    """The whole HTTP/1.1 response, as uvicorn writes one: its default headers (date, server)
    first, then the response's own, `connection: close` when the connection ends with it."""
    lines: list[bytes | memoryview] = [_STATUS_LINES[response.status_code]]
    lines += [b"%s: %s\r\n" % header for header in default_headers]
    lines += [b"%s: %s\r\n" % header for header in response.raw_headers]
    if not keep_alive:
        lines.append(b"connection: close\r\n")
    lines += [b"\r\n", response.body]
    return b"".join(lines)
