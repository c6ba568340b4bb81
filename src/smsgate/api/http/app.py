"""The HTTP application: the native v1 API, health, metrics and API documents."""

import logging
from collections.abc import Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from smsgate.api.http import dialects, inbound, opt_outs, v1
from smsgate.api.http.auth import ApiKeyAuth
from smsgate.api.http.openapi import docs_page, openapi_document
from smsgate.api.http.responses import JsonResponse, error_response
from smsgate.domain.errors import GatewayError
from smsgate.engine.gateway import Gateway

log = logging.getLogger(__name__)


def create_app(gateway: Gateway, metrics: Callable[[], str]) -> Starlette:
    auth = ApiKeyAuth(gateway.queries)
    document = openapi_document()
    page = docs_page(document)

    async def healthz(request: Request) -> Response:
        if gateway.ready.is_set():
            return JsonResponse({"status": "ready"})
        return JsonResponse({"status": "starting"}, status_code=503)

    async def prometheus(request: Request) -> Response:
        return PlainTextResponse(metrics(), media_type="text/plain; version=0.0.4")

    async def openapi(request: Request) -> Response:
        return JsonResponse(document)

    async def docs(request: Request) -> Response:
        return HTMLResponse(page)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "invalid_request"}.get(exc.status_code, "invalid_request")
        response = error_response(GatewayError(code, exc.detail))
        response.status_code = exc.status_code
        return response

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GatewayError)
        return error_response(exc)

    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(GatewayError("internal"))

    return Starlette(
        routes=[
            *v1.routes(gateway, auth),
            *inbound.routes(gateway, auth),
            *opt_outs.routes(gateway, auth),
            *dialects.routes(gateway, auth),
            Route("/healthz", healthz),
            Route("/metrics", prometheus),
            Route("/openapi.json", openapi),
            Route("/docs", docs),
        ],
        # the native API's refusals; each dialect answers its own in its own shape
        exception_handlers={HTTPException: http_error, GatewayError: refused, Exception: crash},
    )
