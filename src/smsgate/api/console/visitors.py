"""Who is asking: the session cookie, the CSRF token of every POST, the login lockout per
address, and which account a page is about.

The cookie holds an opaque random id (its hash is the session's key in the store); it is
HttpOnly, SameSite=Strict, scoped to /console, and Secure when the request came over https or
the console is configured to say so (behind a proxy that ends TLS). Every POST carries the
session's CSRF token, in the form (`csrf`) or the `X-CSRF-Token` header, compared in constant
time: SameSite alone leaves out older browsers and same-site subdomains."""

import hmac
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from smsgate.api.http.address_guard import AddressGuard
from smsgate.api.http.auth import client_address
from smsgate.domain.account import Account
from smsgate.domain.console_user import ConsoleSession, ConsoleUser, Role
from smsgate.domain.errors import GatewayError
from smsgate.engine.administration import SESSION_LIFETIME, Administration

COOKIE: Final = "smsgate_console"
MAX_FORM: Final = 4 * 1024 * 1024  # bytes of one POST (a bulk CSV is the largest)
MAX_FIELDS: Final = 200


class LoginRequiredError(Exception):
    """No live session: the browser is sent to the login page, then back to `next_path`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass(frozen=True, slots=True)
class Visitor:
    user: ConsoleUser
    session: ConsoleSession

    @property
    def operator(self) -> bool:
        return self.user.role is Role.OPERATOR

    @property
    def csrf(self) -> str:
        return self.session.csrf_token


class Visitors:
    def __init__(self, admin: Administration, guard: AddressGuard) -> None:
        self.admin = admin
        self.guard = guard  # failed logins per address, as the API's failures are counted

    async def visitor(self, request: Request) -> Visitor:
        """The logged-in visitor; LoginRequiredError otherwise."""
        found = await self.admin.session(request.cookies.get(COOKIE, ""))
        if found is None:
            path = request.url.path
            if request.url.query:
                path += "?" + request.url.query
            raise LoginRequiredError(path)
        return Visitor(found[1], found[0])

    async def operator(self, request: Request) -> Visitor:
        """An operator; a customer gets GatewayError("forbidden")."""
        visitor = await self.visitor(request)
        if not visitor.operator:
            raise GatewayError("forbidden", "this page is for operators")
        return visitor

    async def form(self, request: Request, visitor: Visitor | None) -> FormData:
        """The POST's fields, once its CSRF token is the session's (with `visitor`) or the
        login form's double-submitted cookie (without)."""
        size = request.headers.get("content-length")
        if size is None or not size.isdigit() or int(size) > MAX_FORM:
            raise GatewayError("request_too_large", f"a form is at most {MAX_FORM} bytes")
        form = await request.form(max_files=1, max_fields=MAX_FIELDS, max_part_size=MAX_FORM)
        given = request.headers.get("x-csrf-token") or form.get("csrf")
        expected = visitor.csrf if visitor is not None else request.cookies.get(LOGIN_COOKIE)
        if (
            not isinstance(given, str)
            or not expected
            or not hmac.compare_digest(given.encode(), expected.encode())
        ):
            raise GatewayError("forbidden", "the form's CSRF token is missing or wrong; reload")
        return form

    async def login(self, request: Request, name: str, password: str) -> str:
        """A new session's cookie value for a right password; the address's failures count
        towards its block (address_blocked) as the API's wrong keys do."""
        address = client_address(request)
        self.guard.check(address)
        try:
            user = await self.admin.login(name, password)
        except GatewayError as error:
            if error.code == "unauthorized":
                self.guard.refused(address)
            raise
        cookie, _ = await self.admin.open_session(user)
        return cookie

    def set_cookie(self, request: Request, response: Response, name: str, value: str) -> None:
        response.set_cookie(
            name,
            value,
            max_age=int(SESSION_LIFETIME),
            path="/console",
            # https directly, or as a trusted proxy's X-Forwarded-Proto (api/http/forwarded.py)
            secure=request.url.scheme == "https",
            httponly=True,
            samesite="strict",
        )

    async def account(self, request: Request, visitor: Visitor) -> Account:
        """The account a page is about: a customer's own; for an operator the `account`
        parameter, else the first account."""
        chosen = request.query_params.get("account", "")
        if not visitor.operator:
            assert visitor.user.account_id is not None
            if chosen and chosen != visitor.user.account_id:
                raise GatewayError("forbidden", "this account is not yours")
            return await self.admin.account(visitor.user.account_id)
        if chosen:
            return await self.admin.account(chosen[:64])
        accounts = await self.admin.accounts()
        if not accounts:
            raise GatewayError("not_found", "no account exists yet: create one")
        return accounts[0]


# the login form has no session yet: its token is a random cookie set with the form and echoed
# in it (double submit), which a page on another site can neither read nor set
LOGIN_COOKIE: Final = "smsgate_login"


def login_path(next_path: str) -> str:
    return "/console/login?next=" + quote(next_path, safe="")
