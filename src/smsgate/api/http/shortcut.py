"""`POST /v1/messages` without an Idempotency-Key, answered in front of Starlette.

One message per request is the API's busiest call, and Starlette's layers around its endpoint
(error middleware, router, request and response objects) cost more than the endpoint itself.
This entry takes that one request straight from the ASGI scope and answers it with the same
parts as the route: `ApiKeyAuth.bearer`, the same body limit, `v1.send_plain` (the same model,
command and answer) and the catalog's `error_response`. Everything else, and that request with
an Idempotency-Key, goes to the Starlette application, which still holds the route (for the
OpenAPI document and as the one place its semantics are written)."""

import logging
from collections.abc import AsyncIterator, Awaitable, Iterable

from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from smsgate.api.http.auth import ApiKeyAuth
from smsgate.api.http.forwarded import ForwardedFor
from smsgate.api.http.request_body import check_length, gather
from smsgate.api.http.responses import error_response
from smsgate.api.http.v1 import MAX_BODY, send_plain
from smsgate.domain.errors import GatewayError
from smsgate.engine.gateway import Gateway
from smsgate.store import unreachable

log = logging.getLogger(__name__)

PATH = "/v1/messages"
_IDEMPOTENCY_KEY = b"idempotency-key"
_ROUTED = (_IDEMPOTENCY_KEY, b"transfer-encoding")


class SendShortcut:
    def __init__(self, gateway: Gateway, auth: ApiKeyAuth, forwarded: ForwardedFor) -> None:
        self.gateway = gateway
        self.auth = auth
        self.forwarded = forwarded  # decides the client address, as for every other request

    @staticmethod
    def takes(scope: Scope) -> bool:
        """Whether this entry answers the request: exactly `POST /v1/messages`, mounted at
        the root, with no Idempotency-Key (its replay and locking stay in the route)."""
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            return False
        if scope.get("root_path"):
            return False
        return all(name != _IDEMPOTENCY_KEY for name, _ in scope["headers"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response, error = await self.outcome(self.answer(scope, receive))
        except ClientDisconnect:
            return  # nobody is left to answer
        await response(scope, receive, send)
        if error is not None:
            raise error  # the server logs it and closes the connection

    async def outcome(self, work: Awaitable[Response]) -> tuple[Response, Exception | None]:
        """The response to the request `work` answers, and the error to raise after sending
        it: the catalog's answer to a GatewayError, 503 while the database is unreachable, and
        for anything else, as Starlette's outermost layer does, the catalog's 500 and the
        error, which the server logs before it closes the connection."""
        try:
            return await work, None
        except GatewayError as error:
            return error_response(error), None
        except ClientDisconnect:
            raise
        except Exception as error:
            if unreachable(error):  # the database is restarting or cut off: retry later
                log.warning("POST %s: the store is unreachable (%r)", PATH, error)
                refusal = GatewayError("unavailable", "the store is unreachable")
                return error_response(refusal), None
            log.exception("unhandled error on POST %s", PATH)
            return error_response(GatewayError("internal")), error

    async def reply(self, authorization: str | None, scope: Scope, body: bytes) -> Response:
        """The answer to a request whose body the HTTP protocol has read already (its direct
        path, api/http/direct.py); `scope` holds the client and the headers."""
        account = await self.auth.bearer(authorization, self.forwarded.address_of(scope))
        return await send_plain(self.gateway, account, body)

    async def answer(self, scope: Scope, receive: Receive) -> Response:
        authorization, length, _ = head_fields(scope["headers"])
        account = await self.auth.bearer(authorization, self.forwarded.address_of(scope))
        check_length(None if length is None else length.decode("latin-1"), MAX_BODY)
        body = await gather(_stream(receive), MAX_BODY)
        return await send_plain(self.gateway, account, body)


def head_fields(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str | None, bytes | None, bool]:
    """(the Authorization, the Content-Length, whether nothing else in the head needs the
    route) of a send's head, whose names the server lower-cased. As Starlette's Headers, the
    first of a repeated name counts; a repeated Content-Length, an Idempotency-Key or a
    Transfer-Encoding (a body framed otherwise) are the route's to handle."""
    authorization: str | None = None
    length: bytes | None = None
    plain = True
    for name, value in headers:
        if name == b"authorization":
            if authorization is None:
                authorization = value.decode("latin-1")
        elif name == b"content-length":
            if length is None:
                length = value
            else:
                plain = False
        elif name in _ROUTED:
            plain = False
    return authorization, length, plain


async def _stream(receive: Receive) -> AsyncIterator[bytes]:
    """The request body's chunks, as Starlette's `Request.stream` yields them."""
    while True:
        message = await receive()
        if message["type"] == "http.request":
            body: bytes = message.get("body", b"")
            if body:
                yield body
            if not message.get("more_body", False):
                return
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()
