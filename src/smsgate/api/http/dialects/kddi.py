"""KDDI Message Cast (`/{aggregator}/v1/fallback/rcs/bot/v1/{botId}/...`): send by SMS, by
+message (RCS) or by +message with SMS fallback, the status check, the capability check of a
number and the bot's subscriber list, translated into the engine's commands and queries
(docs/dialects/kddi.md). `POST /v1/rcs/messages` is the RCS API's own send path (section 3.7
of the guide), with the API key in X-Auth-Token.

A request passes, in this order: Basic auth (the account's id or name and API key), the source
address allow-list, the bot (the account's own); a send then X-Fallback (the channels) and the
three X-Plusmsg authorisations (kddi_request).
"""

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.api.http.auth import ApiKeyAuth, check_address, client_address
from smsgate.api.http.dialects import kddi_bot
from smsgate.api.http.dialects.endpoint import Endpoint, answering
from smsgate.api.http.dialects.kddi_request import (
    CARRIER_HEADERS,
    SMS_ONLY,
    channels,
    plus_message_tokens,
    send_command,
)
from smsgate.api.http.dialects.kddi_values import message_id
from smsgate.api.http.dialects.kddi_view import accepted, checked_status, error_response
from smsgate.api.http.dialects.params import json_object
from smsgate.api.http.request_body import read_body
from smsgate.api.http.responses import JsonResponse
from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.engine.gateway import Gateway

__all__ = ["BOT_PREFIX", "CARRIER_HEADERS", "PREFIX", "RCS_PATH", "SMS_ONLY", "routes"]

BOT_PREFIX: Final = "/{aggregator}/v1/fallback/rcs/bot/v1/{bot_id}"
PREFIX: Final = BOT_PREFIX + "/messages"
RCS_PATH: Final = "/v1/rcs/messages"
MAX_BODY: Final = 64 * 1024

Handler = Callable[[Request, Account], Awaitable[Response]]


def routes(gateway: Gateway, auth: ApiKeyAuth) -> list[BaseRoute]:

    def endpoint(handler: Handler) -> Endpoint:
        async def run(request: Request) -> Response:
            return await handler(request, await _account(auth, request))

        return answering("KDDI", error_response, run)

    async def submit(request: Request, account: Account, plan: tuple[str, ...]) -> Response:
        command = send_command(json_object(await read_body(request, MAX_BODY)), plan)
        (result,) = await gateway.accept(account, [command])
        if isinstance(result, GatewayError):
            raise result
        return JsonResponse(accepted(result), status_code=202)

    async def send(request: Request, account: Account) -> Response:
        plan = channels(request.headers)
        for token in plus_message_tokens(request.headers, plan):
            await _check_token(auth, token, account, client_address(request))
        return await submit(request, account, plan)

    async def send_rcs(request: Request) -> Response:
        # the RCS API's own path: the API key in X-Auth-Token names the account and its bot
        key = request.headers.get("x-auth-token", "").strip()
        if not key:
            raise GatewayError("unauthorized", "the X-Auth-Token header is required")
        address = client_address(request)
        account = await auth.by_key(key, address)
        check_address(account, address)
        if account.bot_id is None:
            raise GatewayError("forbidden", "the account has no bot")
        return await submit(request, account, channels(request.headers))

    async def status(request: Request, account: Account) -> Response:
        wanted = message_id(request.path_params["msg_id"])
        message, history = await gateway.queries.message_with_history(account.id, wanted)
        return JsonResponse(checked_status(message, history))

    async def capability(request: Request, account: Account) -> Response:
        return JsonResponse(await kddi_bot.capability(gateway, request, account))

    async def subscribers(request: Request, account: Account) -> Response:
        return JsonResponse(await kddi_bot.subscribers(gateway, request, account))

    return [
        Route(PREFIX, endpoint(send), methods=["POST"]),
        Route(PREFIX + "/{msg_id}/status", endpoint(status), methods=["GET"]),
        Route(BOT_PREFIX + "/contactCapabilities", endpoint(capability), methods=["GET", "POST"]),
        Route(BOT_PREFIX + "/subscribers", endpoint(subscribers), methods=["GET"]),
        Route(RCS_PATH, answering("KDDI", error_response, send_rcs), methods=["POST"]),
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


async def _check_token(auth: ApiKeyAuth, token: str, account: Account, address: str | None) -> None:
    """A +message token is one of the account's live API keys (any of them, as Basic auth's
    password): looked up as every key is, through the key cache. 401 otherwise."""
    refused = GatewayError("unauthorized", "the +message token is not this account's")
    if not token:
        raise refused
    try:
        owner = await auth.by_key(token, address)
    except GatewayError as error:
        if error.code in ("unauthorized", "forbidden"):
            raise refused from None
        raise
    if owner.id != account.id:
        auth.failed(address)
        raise refused


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
