"""The HTTP application: the native v1 API, health, metrics and API documents."""

import hmac
import logging
from collections.abc import Callable, Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from smsgate.api.console import console_routes
from smsgate.api.http import api_reference, dialects, inbound, opt_outs, v1
from smsgate.api.http.address_guard import AddressGuard
from smsgate.api.http.auth import ApiKeyAuth, client_address
from smsgate.api.http.forwarded import ForwardedFor
from smsgate.api.http.openapi import IMPLIED, openapi_document
from smsgate.api.http.responses import JsonResponse, error_response
from smsgate.api.http.settings import HttpSettings
from smsgate.api.http.shortcut import SendShortcut
from smsgate.domain.allow_list import address_allowed
from smsgate.domain.errors import GatewayError
from smsgate.engine.gateway import Gateway
from smsgate.store import unreachable

log = logging.getLogger(__name__)


class HttpApp(Starlette):
    """The Starlette application, with `POST /v1/messages` (one message, the busiest request)
    answered by `shortcut` before Starlette's layers when it takes the request."""

    shortcut: SendShortcut | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.shortcut is not None and self.shortcut.takes(scope):
            await self.shortcut(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(
    gateway: Gateway,
    metrics: Callable[[], str],
    settings: HttpSettings | None = None,
    connector_routes: Sequence[BaseRoute] = (),
) -> HttpApp:
    """The HTTP application; `connector_routes` are the connectors' own (an RCS platform's
    webhooks), outside the OpenAPI document."""
    settings = settings or HttpSettings()
    failures = AddressGuard(gateway.clock, settings.auth_failures, settings.auth_window)
    auth = ApiKeyAuth(gateway.queries, failures)
    gateway.config_watch.on_change("accounts", auth.forget)

    async def healthz(request: Request) -> Response:
        if gateway.ready.is_set():
            return JsonResponse({"status": "ready"})
        return JsonResponse({"status": "starting"}, status_code=503)

    async def readyz(request: Request) -> Response:
        # a load balancer's check: 503 while the node starts, drains or is cut off from
        # the database
        state = gateway.node.state.value
        if gateway.ready.is_set() and gateway.node.ready:
            return JsonResponse({"ready": True, "state": state, "node": gateway.node.id})
        return JsonResponse(
            {"ready": False, "state": state, "node": gateway.node.id}, status_code=503
        )

    async def prometheus(request: Request) -> Response:
        check_metrics_access(request, settings, auth)
        return PlainTextResponse(metrics(), media_type="text/plain; version=0.0.4")

    async def openapi(request: Request) -> Response:
        return JsonResponse(document)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "invalid_request"}.get(exc.status_code, "invalid_request")
        response = error_response(GatewayError(code, exc.detail))
        response.status_code = exc.status_code
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:
            response.headers["Allow"] = allowed(routes, request.url.path)
        return response

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GatewayError)
        return error_response(exc)

    async def crash(request: Request, exc: Exception) -> Response:
        if unreachable(exc):  # the database is restarting or cut off: retry later
            path = request.url.path
            log.warning("%s %s: the store is unreachable (%r)", request.method, path, exc)
            return error_response(GatewayError("unavailable", "the store is unreachable"))
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(GatewayError("internal"))

    routes: list[BaseRoute] = [
        *v1.routes(gateway, auth),
        *inbound.routes(gateway, auth),
        *opt_outs.routes(gateway, auth),
        *dialects.routes(gateway, auth),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", prometheus, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        *api_reference.routes(),
    ]
    document = openapi_document([*routes, *connector_routes])
    # the web console (and `/` sending a browser to it): pages, not part of the API document
    routes += console_routes(gateway, failures)
    app = HttpApp(
        routes=[*routes, *connector_routes],
        # without trusted proxies every request's address is its peer's: no layer to pass
        middleware=[Middleware(ForwardedFor, trusted_proxies=settings.trusted_proxies)]
        if settings.trusted_proxies.strip()
        else [],
        # the native API's refusals; each dialect answers its own in its own shape
        exception_handlers={HTTPException: http_error, GatewayError: refused, Exception: crash},
    )
    forwarded = ForwardedFor(app.router, trusted_proxies=settings.trusted_proxies)
    app.shortcut = SendShortcut(gateway, auth, forwarded)
    return app


def allowed(routes: list[BaseRoute], path: str) -> str:
    """The methods any route serves at `path`: Starlette's own 405 names only those of the first
    route that matched the path, and a path may have a route per method."""
    methods: set[str] = set()
    for route in routes:
        if isinstance(route, Route) and route.path_regex.match(path):
            methods |= route.methods or set()
    if "GET" in methods:
        methods |= IMPLIED
    return ", ".join(sorted(methods))


def check_metrics_access(request: Request, settings: HttpSettings, auth: ApiKeyAuth) -> None:
    """/metrics shows volumes and connector ids: open to the addresses of `metrics_allow`,
    else only with `metrics_token` as a bearer token (a wrong one counts as an authentication
    failure of the address)."""
    address = client_address(request)
    if settings.metrics_allow.strip() and address_allowed(settings.metrics_allow, address):
        return
    if settings.metrics_token is None:
        raise GatewayError("forbidden", f"/metrics is not open to {address}")
    auth.failures.check(address)
    given = request.headers.get("authorization", "")
    expected = f"Bearer {settings.metrics_token}"
    if not hmac.compare_digest(given.encode(), expected.encode()):
        auth.failed(address)
        raise GatewayError("unauthorized", "/metrics needs 'Authorization: Bearer TOKEN'")
