"""The web console, served under /console by the HTTP server: server-rendered pages for
operators (every account, connectors, routes, dead letters) and customers (their own
account's messages, compose, inbound, settings). See docs/console.md."""

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from smsgate.api.console import (
    account,
    compose,
    dashboard,
    inbound,
    messages,
    operator,
    tables,
)
from smsgate.api.console.login import login_routes
from smsgate.api.console.pages import STATIC, render
from smsgate.api.console.visitors import LoginRequiredError, Visitors, login_path
from smsgate.api.http.address_guard import AddressGuard
from smsgate.domain.errors import GatewayError
from smsgate.engine.gateway import Gateway

__all__ = ["console_app"]


def console_app(gateway: Gateway, guard: AddressGuard) -> Starlette:
    """The console as an application to mount at /console; `guard` counts failed logins per
    address together with the API's failed keys."""
    visitors = Visitors(gateway.admin, guard)

    async def login_needed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequiredError)
        return RedirectResponse(login_path(exc.next_path), status_code=303)

    async def refused(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GatewayError)
        return render(
            request,
            "error.html",
            None,
            status_code=exc.http_status,
            error=exc,
            back=request.headers.get("referer", "/console/"),
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = "not_found" if exc.status_code == 404 else "invalid_request"
        response = await refused(request, GatewayError(code, exc.detail))
        response.status_code = exc.status_code
        return response

    routes: list[BaseRoute] = [
        *login_routes(visitors),
        *dashboard.routes(gateway, visitors),
        *messages.routes(gateway, visitors),
        *compose.routes(gateway, visitors),
        *inbound.routes(gateway, visitors),
        *account.routes(gateway, visitors),
        *operator.routes(gateway, visitors),
        *tables.routes(gateway, visitors),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={
            LoginRequiredError: login_needed,
            GatewayError: refused,
            HTTPException: http_error,
        },
    )


def console_routes(gateway: Gateway, guard: AddressGuard) -> list[BaseRoute]:
    """The mount at /console and `/` sending a browser there."""

    async def home(request: Request) -> Response:
        return RedirectResponse("/console/", status_code=307)

    return [
        Route("/", home, methods=["GET"]),
        Mount("/console", console_app(gateway, guard)),
    ]
