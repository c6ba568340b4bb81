"""Reach (TalkyLabs) messaging API v1 (`/rest/messaging/v1/...`): create, fetch, list,
unschedule, update and delete, translated into the engine's commands (docs/dialects/reach.md).

The checks here are Reach's own rules for its parameters (E.164 addresses, 1,600 characters,
a schedule 15 minutes to 5 days ahead, validity up to 4 hours, callback host names); the
engine then validates and persists as for any other interface.
"""

import math
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Final
from urllib.parse import unquote, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.api.http.auth import ApiKeyAuth, check_address, client_address
from smsgate.api.http.dialects.endpoint import Endpoint, answering
from smsgate.api.http.dialects.params import request_params, required
from smsgate.api.http.dialects.reach_view import error_response, message_item
from smsgate.api.http.responses import JsonResponse
from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.engine.commands import SendCommand
from smsgate.engine.gateway import Gateway

PREFIX: Final = "/rest/messaging/v1"
MAX_BODY_CHARS: Final = 1600
MIN_SCHEDULE_AHEAD: Final = 15 * 60.0
MAX_SCHEDULE_AHEAD: Final = 5 * 86_400.0
MAX_VALIDITY: Final = 14_400
DEFAULT_PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 1000
# far past any account's messages; bounded so that the page (echoed in the answer, a 64-bit JSON
# integer) and the offset stay numbers the store and the client can hold
MAX_PAGE: Final = 1_000_000_000
MAX_BULK_ID: Final = 200

_E164: Final = re.compile(r"\+[1-9][0-9]{6,14}")
_ALPHANUMERIC: Final = re.compile(r"[A-Za-z0-9 ]{1,11}")
_HOST_LABEL: Final = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")

Handler = Callable[[Request, Account], Awaitable[Response]]


def routes(gateway: Gateway, auth: ApiKeyAuth) -> list[BaseRoute]:

    def endpoint(handler: Handler) -> Endpoint:
        async def run(request: Request) -> Response:
            return await handler(request, await _account(auth, request))

        return answering("Reach", error_response, run)

    async def create(request: Request, account: Account) -> Response:
        params = await request_params(request)
        command = send_command(params, gateway.clock.time())
        (result,) = await gateway.accept(account, [command])
        if isinstance(result, GatewayError):
            raise result
        return JsonResponse(message_item(result, account.id), status_code=201)

    async def fetch(request: Request, account: Account) -> Response:
        message_id = required(dict(request.query_params), "messageId")
        message = await gateway.queries.message(account.id, message_id)
        return JsonResponse(message_item(message, account.id))

    async def list_messages(request: Request, account: Account) -> Response:
        query = dict(request.query_params)
        page = _integer(query, "page", 0, 0, MAX_PAGE, "invalid_page")
        size = _integer(query, "pageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE, "invalid_page_size")
        after, before = _sent_window(query)
        dest = query.get("dest")
        src = query.get("src")
        messages, total = await gateway.queries.message_page(
            account.id,
            destination=_e164(dest, "dest", "invalid_destination")[1:] if dest else None,
            source=src.removeprefix("+") if src else None,
            tag=query.get("bulkIdentifier") or None,
            created_after=after,
            created_before=before,
            offset=page * size,
            limit=size,
        )
        pages = math.ceil(total / size)
        return JsonResponse(
            {
                "page": page,
                "pageSize": size,
                "totalMessages": total,
                "totalPages": pages,
                "outOfPageRange": page >= pages,
                "messages": [message_item(m, account.id) for m in messages],
            }
        )

    async def unschedule(request: Request, account: Account) -> Response:
        message_id = required(await request_params(request), "messageId")
        message = await gateway.queries.message(account.id, message_id)
        if message.scheduled_at is None:
            raise GatewayError("not_cancelable", "the message is not scheduled")
        return JsonResponse(message_item(await gateway.cancel(account, message_id), account.id))

    async def update(request: Request, account: Account) -> Response:
        params = await request_params(request)
        message_id = required(params, "messageId")
        if "body" not in params:
            raise GatewayError("missing_parameter", "body is required (empty redacts)")
        message = await gateway.set_text(account, message_id, params["body"])
        return JsonResponse(message_item(message, account.id))

    async def delete(request: Request, account: Account) -> Response:
        message_id = required(await request_params(request), "messageId")
        await gateway.delete(account, message_id)
        return Response(status_code=204)

    return [
        Route(f"{PREFIX}/create", endpoint(create), methods=["POST"]),
        Route(f"{PREFIX}/fetch", endpoint(fetch), methods=["GET"]),
        Route(f"{PREFIX}/list", endpoint(list_messages), methods=["GET"]),
        Route(f"{PREFIX}/unschedule", endpoint(unschedule), methods=["POST"]),
        Route(f"{PREFIX}/update", endpoint(update), methods=["POST"]),
        # the docs name DELETE and show their example with POST: both are served
        Route(f"{PREFIX}/delete", endpoint(delete), methods=["DELETE", "POST"]),
    ]


async def _account(auth: ApiKeyAuth, request: Request) -> Account:
    user, key = request.headers.get("apiuser"), request.headers.get("apikey")
    if not user or not key:  # Reach tells missing headers (20002) from wrong ones (20003)
        raise GatewayError("missing_credentials", "the ApiUser and ApiKey headers are required")
    account = await auth.by_user_and_key(user, key, client_address(request))
    check_address(account, client_address(request))
    return account


def send_command(params: dict[str, str], now: float) -> SendCommand:
    """The engine's command for a create request, after Reach's own parameter rules."""
    dest = _e164(required(params, "dest"), "dest", "invalid_destination")
    src = required(params, "src")
    if src.startswith("+"):
        _e164(src, "src", "invalid_source")
    elif not _ALPHANUMERIC.fullmatch(src):
        raise GatewayError("invalid_source", "src: E.164 or an alphanumeric sender id")
    body = required(params, "body")
    if len(body) > MAX_BODY_CHARS:
        raise GatewayError("text_too_long", f"body: at most {MAX_BODY_CHARS} characters")
    bulk = params.get("bulkIdentifier") or None
    if bulk is not None and len(bulk) > MAX_BULK_ID:
        raise GatewayError("parameter_too_long", f"bulkIdentifier: at most {MAX_BULK_ID}")
    callback = params.get("statusCallback") or None
    if callback is not None:
        _check_callback(callback)
    raw_price = params.get("maxPrice")
    max_price = _positive_decimal(raw_price, "maxPrice") if raw_price else None
    validity = _integer(params, "validityPeriod", MAX_VALIDITY, 1, MAX_VALIDITY, "invalid_validity")
    return SendCommand(
        to=dest,
        text=body,
        sender=src,
        callback_url=callback,
        scheduled_at=_schedule(params.get("scheduledTime"), now),
        validity=float(validity),
        origin="reach",
        tag=bulk,
        max_price=max_price,
    )


def _e164(value: str, name: str, code: str) -> str:
    if not _E164.fullmatch(value):
        raise GatewayError(code, f"{name}: E.164, as +819012345678")
    return value


def _integer(
    params: dict[str, str],
    name: str,
    default: int,
    low: int,
    high: int | None,
    code: str = "invalid_request",
) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise GatewayError(code, f"{name}: an integer") from None
    if value < low or (high is not None and value > high):
        upper = f" to {high}" if high is not None else " or more"
        raise GatewayError(code, f"{name}: {low}{upper}")
    return value


def _positive_decimal(raw: str, name: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise GatewayError("invalid_max_price", f"{name}: a number") from None
    if not value.is_finite() or value <= 0:
        raise GatewayError("invalid_max_price", f"{name}: a positive number")
    return value


def _time(raw: str, name: str, code: str = "invalid_request") -> datetime:
    # Reach's own curl example passes the time already percent-encoded to --data-urlencode
    # (2016-08-31T01%3A23%3A45Z), so it arrives encoded once more than the form needs
    text = unquote(raw) if "%" in raw else raw
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise GatewayError(code, f"{name}: ISO 8601, as 2026-01-15T08:00:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _schedule(raw: str | None, now: float) -> float | None:
    if not raw:
        return None
    at = _time(raw, "scheduledTime", "invalid_schedule").timestamp()
    if at <= now:
        raise GatewayError("schedule_in_past", "scheduledTime has passed")
    if not now + MIN_SCHEDULE_AHEAD <= at <= now + MAX_SCHEDULE_AHEAD:
        raise GatewayError("invalid_schedule", "scheduledTime: 15 minutes to 5 days ahead")
    return at


def _check_callback(url: str) -> None:
    parts = urlsplit(url)
    host = parts.hostname or ""
    labels = host.split(".")
    if (
        parts.scheme not in ("http", "https")
        or not host
        or "_" in host
        or not all(_HOST_LABEL.fullmatch(label) for label in labels)
    ):
        raise GatewayError(
            "invalid_callback_url", "statusCallback: http(s) with a valid host name (no '_')"
        )


def _sent_window(query: dict[str, str]) -> tuple[float | None, float | None]:
    """(after, before) of the list's sentAt (that whole UTC day), sentAfter and sentBefore."""
    after = before = None
    if query.get("sentAt"):
        try:
            day = _time(query["sentAt"], "sentAt").astimezone(UTC)
            start = day.replace(hour=0, minute=0, second=0, microsecond=0)
            after, before = start.timestamp(), (start + timedelta(days=1)).timestamp()
        except OverflowError:  # the first or the last day datetime holds
            raise GatewayError(
                "invalid_request", "sentAt: a day between years 1 and 9999"
            ) from None
    if query.get("sentAfter"):
        value = _time(query["sentAfter"], "sentAfter").timestamp()
        after = value if after is None else max(after, value)
    if query.get("sentBefore"):
        value = _time(query["sentBefore"], "sentBefore").timestamp()
        before = value if before is None else min(before, value)
    return after, before
