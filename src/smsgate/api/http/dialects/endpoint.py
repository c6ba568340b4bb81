"""Endpoints that answer in their own API's shape whatever happens: a dialect's client would
not understand the native error body."""

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from smsgate.domain.errors import GatewayError

log = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]


def answering(
    api: str, error_response: Callable[[GatewayError], Response], run: Endpoint
) -> Endpoint:
    """`run`, with a refusal answered by `error_response`, and so is an unexpected failure
    (as the catalog's `internal`, logged)."""

    async def endpoint(request: Request) -> Response:
        try:
            return await run(request)
        except GatewayError as error:
            return error_response(error)
        except Exception:
            log.exception("%s %s %s failed", api, request.method, request.url.path)
            return error_response(GatewayError("internal"))

    return endpoint
