"""Logging in and out."""

import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from smsgate.api.console.pages import render
from smsgate.api.console.visitors import COOKIE, LOGIN_COOKIE, Visitors
from smsgate.domain.errors import GatewayError


def _safe_next(value: str) -> str:
    """Only a path of the console: never another site (an open redirect)."""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/console/") or "\\" in value:
        return "/console/"
    return value[:2000]


def login_routes(visitors: Visitors) -> list[Route]:
    def form(request: Request, error: GatewayError | None = None) -> Response:
        token = secrets.token_urlsafe(32)
        response = render(
            request,
            "login.html",
            None,
            status_code=error.http_status if error else 200,
            csrf=token,
            error=error,
            next=_safe_next(request.query_params.get("next", "/console/")),
        )
        visitors.set_cookie(request, response, LOGIN_COOKIE, token)
        return response

    async def show(request: Request) -> Response:
        return form(request)

    async def login(request: Request) -> Response:
        fields = await visitors.form(request, None)
        name, password = str(fields.get("name", "")), str(fields.get("password", ""))
        try:
            cookie = await visitors.login(request, name.strip(), password)
        except GatewayError as error:
            if error.code in ("unauthorized", "address_blocked", "forbidden"):
                return form(request, error)
            raise
        response = RedirectResponse(_safe_next(str(fields.get("next", ""))), status_code=303)
        visitors.set_cookie(request, response, COOKIE, cookie)
        response.delete_cookie(LOGIN_COOKIE, path="/console")
        return response

    async def logout(request: Request) -> Response:
        visitor = await visitors.visitor(request)
        await visitors.form(request, visitor)
        await visitors.admin.end_session(request.cookies.get(COOKIE, ""))
        response = RedirectResponse("/console/login", status_code=303)
        response.delete_cookie(COOKIE, path="/console")
        return response

    return [
        Route("/login", show, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
    ]
