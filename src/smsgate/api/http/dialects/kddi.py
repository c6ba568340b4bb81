"""KDDI Message Cast, SMS part (`/{aggregator}/v1/fallback/rcs/bot/v1/{botId}/messages`):
send and status check, translated into the engine's commands (docs/dialects/kddi.md).

A request passes, in this order: Basic auth (the account's id or name and API key), the source
address allow-list, the bot (the account's own), X-Fallback (0 and 1, +message, are refused
until RCS exists; 2 is SMS) and the three X-Plusmsg authorisations (`Bearer smsonly` for SMS).
"""

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.api.http.auth import ApiKeyAuth, check_address, client_address
from smsgate.api.http.dialects.endpoint import Endpoint, answering
from smsgate.api.http.dialects.kddi_view import (
    accepted_body,
    error_response,
    message_id,
    status_body,
)
from smsgate.api.http.dialects.params import json_object
from smsgate.api.http.request_body import read_body
from smsgate.api.http.responses import JsonResponse
from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.engine.commands import SendCommand
from smsgate.engine.gateway import Gateway

PREFIX: Final = "/{aggregator}/v1/fallback/rcs/bot/v1/{bot_id}/messages"
MAX_BODY: Final = 64 * 1024
SMS_ONLY: Final = "Bearer smsonly"
CARRIER_HEADERS: Final = (
    "X-Plusmsg-mkn-Authorization",
    "X-Plusmsg-tmt-Authorization",
    "X-Plusmsg-gmp-Authorization",
)
FALLBACK_SMS: Final = "2"
FALLBACK_RCS: Final = ("0", "1")
NO_RCS: Final = (
    f"+message (RCS) is not available; send SMS with X-Fallback 2 and '{SMS_ONLY}' tokens"
)
# dst: which carriers' users the message may go to ("0": all; else that carrier only)
DST_CARRIERS: Final = {"0": None, "1": "au", "2": "docomo", "3": "softbank", "4": "rakuten"}
MAX_TEXT: Final = 660

Handler = Callable[[Request, Account], Awaitable[Response]]


def routes(gateway: Gateway, auth: ApiKeyAuth) -> list[BaseRoute]:

    def endpoint(handler: Handler) -> Endpoint:
        async def run(request: Request) -> Response:
            return await handler(request, await _account(auth, request))

        return answering("KDDI", error_response, run)

    async def send(request: Request, account: Account) -> Response:
        _check_channel(request)
        command = send_command(json_object(await read_body(request, MAX_BODY)))
        (result,) = await gateway.accept(account, [command])
        if isinstance(result, GatewayError):
            raise result
        return JsonResponse(accepted_body(result), status_code=202)

    async def status(request: Request, account: Account) -> Response:
        wanted = message_id(request.path_params["msg_id"])
        message = await gateway.queries.message(account.id, wanted)
        return JsonResponse(status_body(message))

    return [
        Route(PREFIX, endpoint(send), methods=["POST"]),
        Route(PREFIX + "/{msg_id}/status", endpoint(status), methods=["GET"]),
    ]


async def _account(auth: ApiKeyAuth, request: Request) -> Account:
    user, password = _basic_credentials(request.headers.get("authorization"))
    address = client_address(request)
    account = await auth.by_key(password, address)
    if user not in (account.id, account.name):
        auth.failed(address)
        raise GatewayError("unauthorized", "the Basic auth user is not this key's account")
    check_address(account, address)
    bot_id = request.path_params["bot_id"]
    if account.bot_id is None or bot_id != account.bot_id:
        raise GatewayError("forbidden", f"bot {bot_id!r} is not this account's bot")
    return account


def _basic_credentials(authorization: str | None) -> tuple[str, str]:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise GatewayError("unauthorized", "Basic authentication is required")
    try:
        user, colon, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise GatewayError("unauthorized", "the Basic credentials are not base64") from None
    if not colon or not password:
        raise GatewayError("unauthorized", "the Basic credentials have no password")
    return user, password


def _check_channel(request: Request) -> None:
    # a +message request is told so first, whatever its tokens
    fallback = request.headers.get("x-fallback")
    if fallback in FALLBACK_RCS:
        raise GatewayError("invalid_request", f"X-Fallback {fallback}: {NO_RCS}")
    for name in CARRIER_HEADERS:
        value = request.headers.get(name)
        if value is None:
            raise GatewayError("unauthorized", f"the {name} header is missing")
        if value.strip() != SMS_ONLY:
            raise GatewayError("invalid_request", f"{name}: {NO_RCS}")
    if fallback != FALLBACK_SMS:
        raise GatewayError("invalid_request", "X-Fallback must be 2 (SMS)")


def _object(parent: dict[str, Any], name: str) -> dict[str, Any]:
    value = parent.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise GatewayError("invalid_request", f"{name} must be an object")
    return value


def _string(parent: dict[str, Any], name: str) -> str | None:
    value = parent.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise GatewayError("invalid_request", f"{name} must be a string")
    return value


def send_command(document: dict[str, Any]) -> SendCommand:
    """The engine's command for a send request's JSON (RCSMessage is ignored for SMS)."""
    sms = _object(document, "smsmessage")
    if not sms:
        raise GatewayError("missing_parameter", "smsmessage is required")
    # messageContact at the top level (as in the samples) or inside "message"
    contact = _object(document, "messageContact") or _object(
        _object(document, "message"), "messageContact"
    )
    user = _string(contact, "userContact")
    if not user:
        raise GatewayError("missing_parameter", "messageContact.userContact is required")
    if not user.startswith("+81"):
        raise GatewayError("invalid_destination", "userContact must be +81 followed by the number")
    text = _text(sms)
    dst = _string(sms, "dst") or _string(document, "dst") or "0"
    if dst not in DST_CARRIERS:
        raise GatewayError("invalid_request", "dst must be 0 (all), 1 (au), 2 (docomo), 3 or 4")
    return SendCommand(
        to=user,
        text=text,
        sender=_sender(_string(sms, "smsNumber")),
        carrier=DST_CARRIERS[dst],
    )


def _sender(number: str | None) -> str | None:
    """The shown sender; a national number (0 and digits) as +81 (the platform is Japan's)."""
    if not number:
        return None
    if number.startswith("0") and number.isdigit():
        return "+81" + number[1:]
    return number


def _text(sms: dict[str, Any]) -> str:
    text = _string(sms, "smsText")
    encoded = _string(sms, "smsTextEnc")
    if encoded is not None:
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-16-be")
        except (binascii.Error, UnicodeDecodeError):
            raise GatewayError(
                "invalid_text", "smsTextEnc is not base64 of UTF-16BE text"
            ) from None
        # the guide's own sample writes a line break CR LF in smsText and LF in smsTextEnc:
        # the same text; smsTextEnc's is sent
        if text is not None and _lines(text) != _lines(decoded):
            raise GatewayError("invalid_request", "smsText and smsTextEnc differ")
        text = decoded
    if not text:
        raise GatewayError("missing_parameter", "smsmessage.smsText is required")
    if len(text) > MAX_TEXT:
        raise GatewayError("parameter_too_long", f"smsText: at most {MAX_TEXT} characters")
    return text


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n")
