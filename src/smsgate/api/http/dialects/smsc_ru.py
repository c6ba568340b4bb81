"""SMSC.ru HTTP API (`/sys/send.php`, `/sys/status.php`, `/sys/balance.php`), GET or POST,
translated into the engine's commands (docs/dialects/smsc_ru.md).

Credentials: `login` (the account's SMPP system_id) and `psw` (its SMPP password), or `apikey`
(its API key). One send to several phones is one message per phone, all with the send's `id`
as their tag; status.php finds the newest message with that id and phone.
"""

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.api.http.address_guard import AddressGuard
from smsgate.api.http.auth import ApiKeyAuth, check_address, client_address
from smsgate.api.http.dialects.smsc_ru_answer import (
    balance_answer,
    error_answer,
    local_date,
    price_text,
    response_format,
    send_answer,
    status_answer,
)
from smsgate.api.http.dialects.smsc_ru_params import (
    CHARSETS,
    DEFAULT_CHARSET,
    address_list,
    decode_params,
    lifetime,
    message_id,
    message_text,
    peek,
    phone_list,
    raw_pairs,
    requested_channel,
    send_time,
)
from smsgate.api.http.request_body import read_body
from smsgate.domain.account import Account, check_password
from smsgate.domain.channels import EMAIL, HLR, PING, email_address
from smsgate.domain.comment import SEPARATORS
from smsgate.domain.errors import GatewayError, dialect_code
from smsgate.domain.message import Message
from smsgate.domain.pricing import from_micros
from smsgate.domain.status import Status
from smsgate.engine.commands import SendCommand
from smsgate.engine.gateway import Gateway
from smsgate.engine.queries import Queries

log = logging.getLogger(__name__)

MAX_BODY: Final = 256 * 1024
_PASSWORD_TTL: Final = 30.0  # seconds a checked login and password stay cached
_MAX_CACHED: Final = 10_000
# status codes of messages on their way
_PENDING: Final = {
    Status.ACCEPTED: -1,
    Status.SCHEDULED: -1,
    Status.QUEUED: -1,
    Status.SENDING: -1,
    Status.SENT: 0,
    Status.DELIVERED: 1,
    Status.DISPLAYED: 2,  # read (a channel that reports reads: RCS, Viber)
}
NOT_FOUND: Final = -3
STATUS_NAMES: Final = {
    -3: "Message not found",
    -2: "Stopped",
    -1: "Waiting to be sent",
    0: "Transferred to the operator",
    1: "Delivered",
    2: "Read",
    3: "Expired",
    20: "Impossible to deliver",
    22: "Invalid number",
    23: "Prohibited",
    24: "Insufficient funds",
    25: "Unavailable number",
}
_ERROR_STATUSES: Final = frozenset({20, 22, 23, 24, 25})

Params = dict[str, str]
Handler = Callable[[Params, str, str, Account], Awaitable[Response]]


class Credentials:
    """login + psw (the SMPP credentials; scrypt, so a checked pair is cached briefly) or
    apikey; then the account's source address allow-list."""

    def __init__(self, queries: Queries, keys: ApiKeyAuth) -> None:
        self.queries = queries
        self.keys = keys
        self._checked: dict[tuple[str, str], tuple[Account | None, float]] = {}

    async def account(self, params: Params, address: str | None) -> Account:
        if params.get("apikey"):
            account = await self.keys.by_key(params["apikey"], address)
        else:
            self.keys.failures.check(address)
            try:
                account = await self._login(params.get("login", ""), params.get("psw", ""))
            except GatewayError as error:
                if error.code == "unauthorized":
                    self.keys.failed(address)
                raise
        check_address(account, address)
        return account

    def forget(self) -> None:
        """Drop the checked logins: an account changed elsewhere (its password, suspended)."""
        self._checked.clear()

    async def _login(self, login: str, password: str) -> Account:
        if not login or not password:
            raise GatewayError("unauthorized", "login and psw, or apikey, are required")
        key = (login, hashlib.sha256(password.encode()).hexdigest())
        now = time.monotonic()
        cached = self._checked.get(key)
        if cached is not None and now - cached[1] < _PASSWORD_TTL:
            found = cached[0]
        else:
            found = await self.queries.account_by_system_id(login)
            stored = found.smpp_password_hash if found else None
            if stored is None or not await asyncio.to_thread(check_password, password, stored):
                found = None
            if len(self._checked) >= _MAX_CACHED:
                self._checked.clear()
            self._checked[key] = (found, now)
        if found is None:
            raise GatewayError("unauthorized", "wrong login or psw")
        if not found.enabled:
            raise GatewayError("forbidden", "the account is disabled")
        return found


def routes(gateway: Gateway, auth: ApiKeyAuth) -> list[BaseRoute]:
    credentials = Credentials(gateway.queries, auth)
    gateway.config_watch.on_change("accounts", credentials.forget)
    guard = AddressGuard(gateway.clock)
    ids = _AutoIds()

    def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            address = client_address(request)
            charset, fmt = DEFAULT_CHARSET, "0"
            params: Params = {}
            try:
                pairs = await _pairs(request)
                fmt = response_format(peek(pairs, "fmt"))
                named = peek(pairs, "charset")
                if named is not None and named in CHARSETS:
                    charset = named
                guard.check(address)
                params, charset = decode_params(pairs)
                account = await credentials.account(params, address)
                return await handler(params, fmt, charset, account)
            except GatewayError as error:
                guard.refused(address)
                return error_answer(error, fmt, charset, params.get("id"))
            except Exception:  # answered in this API's shape, not the native one
                log.exception("SMSC.ru %s failed", request.url.path)
                return error_answer(GatewayError("internal"), fmt, charset)

        return run

    async def send(params: Params, fmt: str, charset: str, account: Account) -> Response:
        channel, fields = requested_channel(params)
        listed = _required(params, "phones")
        phones = address_list(listed) if channel == EMAIL else phone_list(listed)
        if not phones:
            raise GatewayError("missing_parameter", "phones: no number")
        # a lookup or a ping sends no text: `mes` may be left out
        mes = params.get("mes", "") if channel in (HLR, PING) else _required(params, "mes")
        text = message_text(mes, params.get("translit"), params.get("maxsms")) if mes else ""
        now = gateway.clock.time()
        scheduled = send_time(params.get("time"), params.get("tz"), now)
        validity = lifetime(params.get("valid"), gateway.config.max_validity)
        cost_mode = params.get("cost") or "0"
        if cost_mode not in ("0", "1", "2", "3"):
            raise GatewayError("invalid_request", "cost: 0, 1, 2 or 3")
        send_id = message_id(params.get("id")) or ids.next(now)
        params["id"] = send_id  # named in the error answers that carry an id
        commands = [
            SendCommand(
                to=phone,
                text=text,
                sender=params.get("sender") or None,
                scheduled_at=scheduled,
                validity=validity,
                tag=send_id,
                channels=(channel,) if channel else ("sms",),
                fields=fields or None,
            )
            for phone in phones
        ]
        if cost_mode == "1":
            results = [_preview(gateway, account, command) for command in commands]
        else:
            results = await gateway.accept(account, commands)
        messages = [r for r in results if isinstance(r, Message)]
        if not messages:
            raise next(r for r in results if isinstance(r, GatewayError))
        balance = await _balance(gateway, account) if cost_mode == "3" else None
        return send_answer(
            fmt,
            charset,
            send_id,
            sum(m.segments for m in messages),
            cost_mode,
            _total(messages),
            balance,
        )

    async def status(params: Params, fmt: str, charset: str, account: Account) -> Response:
        phone = _required(params, "phone").split(",")[0]
        wanted = _required(params, "id").split(",")[0]
        message = await _find(gateway, account, phone, wanted)
        return status_answer(
            fmt, charset, status_fields(message, gateway.clock.time(), params.get("all"))
        )

    async def balance(params: Params, fmt: str, charset: str, account: Account) -> Response:
        currency = gateway.billing.currency_of(account) if params.get("cur") == "1" else None
        return balance_answer(fmt, charset, await _balance(gateway, account), currency)

    methods = ["GET", "POST"]
    return [
        Route("/sys/send.php", endpoint(send), methods=methods),
        Route("/sys/status.php", endpoint(status), methods=methods),
        Route("/sys/balance.php", endpoint(balance), methods=methods),
    ]


async def _pairs(request: Request) -> list[tuple[bytes, bytes]]:
    """The query string's parameters, then a POST body's."""
    pairs = raw_pairs(request.scope.get("query_string", b""))
    if request.method == "POST":
        content_type = request.headers.get("content-type", "")
        body = await read_body(request, MAX_BODY)
        if body and not content_type.startswith("multipart/"):
            pairs += raw_pairs(body)
    return pairs


def _required(params: Params, name: str) -> str:
    value = params.get(name)
    if value is None or value.strip() == "":
        raise GatewayError("missing_parameter", f"{name} is required")
    return value


def _preview(gateway: Gateway, account: Account, command: SendCommand) -> Message | GatewayError:
    try:
        return gateway.preview(account, command)
    except GatewayError as error:
        return error


def _total(messages: list[Message]) -> Decimal | None:
    priced = [Decimal(m.price) for m in messages if m.price is not None]
    return sum(priced, Decimal(0)) if priced else None


async def _balance(gateway: Gateway, account: Account) -> Decimal | None:
    """The prepaid balance as stored; None for a postpaid account."""
    found = await gateway.queries.balance(account.id)
    return None if found is None else from_micros(found.micros)


async def _find(gateway: Gateway, account: Account, phone: str, wanted: str) -> Message | None:
    try:
        destination = _destination(gateway, phone)
    except GatewayError:
        return None
    if destination is None:
        return None
    found, _ = await gateway.queries.messages(
        account.id, destination=destination, tag=wanted, limit=1
    )
    return found[0] if found else None


def _destination(gateway: Gateway, phone: str) -> str | None:
    """The destination as kept: an e-mail's address (mail=1 sends to one), else the number's
    E.164 digits; None for no number."""
    if "@" in phone:
        return email_address(phone)
    numbers = phone_list(phone)
    return gateway.router.destination(numbers[0])[0] if numbers else None


def status_code(message: Message) -> int:
    if message.status in _PENDING:
        return _PENDING[message.status]
    code = dialect_code(message.error_code or "", "smsc_ru_status")
    if code is not None:
        return int(code)
    return {Status.EXPIRED: 3, Status.CANCELED: -2, Status.REVOKED: -2}.get(message.status, 20)


def network_error(message: Message) -> int:
    """The handset network's error number a receipt gave (err:NNN), else 0."""
    detail = message.error_detail or ""
    _, found, number = detail.rpartition("network error ")
    return int(number) if found and number.isdigit() else 0


def with_comment(text: str, comment: str | None) -> str:
    """The text with its comment after the "~~~" line, as it was sent to us."""
    return text if comment is None else f"{text}{SEPARATORS[0]}{comment}"


def status_fields(
    message: Message | None, now: float, detail: str | None
) -> list[tuple[str, int | str]]:
    """status, last_date, last_timestamp and err; with all=1 the message's details too."""
    if message is None:
        return [
            ("status", NOT_FOUND),
            ("last_date", local_date(now)),
            ("last_timestamp", int(now)),
            ("err", 0),
        ]
    code = status_code(message)
    fields: list[tuple[str, int | str]] = [
        ("status", code),
        ("last_date", local_date(message.updated_at)),
        ("last_timestamp", int(message.updated_at)),
        ("err", network_error(message) if code in _ERROR_STATUSES else 0),
    ]
    if detail in ("1", "2"):
        price = Decimal(message.price) if message.price is not None else None
        fields += [
            ("send_date", local_date(message.created_at)),
            ("send_timestamp", int(message.created_at)),
            ("phone", message.destination),
            ("cost", price_text(price)),
            ("sender_id", message.source),
            ("status_name", STATUS_NAMES.get(code, "")),
            # the text as the client wrote it: its comment shows in the history (SMSC.ru)
            ("message", with_comment(message.text, message.comment)),
            ("sms_cnt", message.segments),
        ]
    return fields


class _AutoIds:
    """Ids for sends that name none: numbers that grow with time (Unix seconds, then one more
    per send within the same second), so they fit this API's 32-bit ids until 2038."""

    def __init__(self) -> None:
        self._last = 0

    def next(self, now: float) -> str:
        self._last = max(self._last + 1, int(now))
        return str(self._last)
