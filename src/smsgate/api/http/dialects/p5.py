"""AI CROSS Zettai Reach! SMS, p5 "CommonMT" API (`/p5/api/...`): send (mt.json), send status
(status.json) and scheduled sends (checkreservation.json, cancelreservation.json,
cancelreservationall.json), translated into the engine's commands (docs/dialects/p5.md).

Parameters come as a form (or a query string); every answer is JSON with a responseCode.
"""

import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.api.http.auth import ApiKeyAuth
from smsgate.api.http.dialects.p5_view import (
    CARRIER_ID_OF,
    CARRIER_IDS,
    JST,
    answer,
    error_response,
    national,
    reservation,
    send_status,
)
from smsgate.api.http.dialects.params import request_params, required
from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message
from smsgate.domain.status import Status
from smsgate.engine.commands import SendCommand
from smsgate.engine.gateway import Gateway
from smsgate.store.base import MAX_PAGE

PREFIX: Final = "/p5/api"
MAX_MESSAGE: Final = 660
MAX_TAG: Final = 200
_PHONE: Final = re.compile(r"(?:0|\+81)([789]0[0-9]{8})")
_SMS_CODE: Final = re.compile(r"[0-9]{5,6}")

Handler = Callable[[dict[str, str], Account], Awaitable[Response]]


def routes(gateway: Gateway) -> list[BaseRoute]:
    auth = ApiKeyAuth(gateway.store)

    def endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                params = await request_params(request)
                return await handler(params, await _account(auth, params))
            except GatewayError as error:
                return error_response(error)

        return run

    async def mt(params: dict[str, str], account: Account) -> Response:
        command = send_command(params, gateway.clock.time())
        (result,) = await gateway.accept(account, [command])
        if isinstance(result, GatewayError):
            raise result
        return answer(
            clientTag=result.client_ref,
            groupTag=result.tag,
            messageId=result.id,
            phoneNumber=national(result.destination),
            carrierId=CARRIER_ID_OF.get(result.carrier or ""),
        )

    async def status(params: dict[str, str], account: Account) -> Response:
        return answer(**send_status(await _by_tag(gateway, account, params)))

    async def check_reservation(params: dict[str, str], account: Account) -> Response:
        scheduled = await _scheduled(gateway, account, params)
        return answer(count=len(scheduled), reservations=[reservation(m) for m in scheduled])

    async def cancel_reservation(params: dict[str, str], account: Account) -> Response:
        message = await _by_tag(gateway, account, params)
        if message.status is not Status.SCHEDULED:
            raise GatewayError("not_cancelable", f"the send is {message.status.value}")
        canceled = await gateway.cancel(account, message.id)
        return answer(**send_status(canceled))

    async def cancel_all(params: dict[str, str], account: Account) -> Response:
        canceled = 0
        while batch := await _scheduled(gateway, account, params):  # a page at a time
            before = canceled
            for message in batch:
                try:
                    await gateway.cancel(account, message.id)
                except GatewayError as error:  # it left the schedule meanwhile
                    if error.code != "not_cancelable":
                        raise
                else:
                    canceled += 1
            if canceled == before:
                break
        return answer(count=canceled)

    methods = ["GET", "POST"]
    return [
        Route(f"{PREFIX}/mt.json", endpoint(mt), methods=methods),
        Route(f"{PREFIX}/status.json", endpoint(status), methods=methods),
        Route(f"{PREFIX}/checkreservation.json", endpoint(check_reservation), methods=methods),
        Route(f"{PREFIX}/cancelreservation.json", endpoint(cancel_reservation), methods=methods),
        Route(f"{PREFIX}/cancelreservationall.json", endpoint(cancel_all), methods=methods),
    ]


async def _account(auth: ApiKeyAuth, params: dict[str, str]) -> Account:
    return await auth.by_user_and_key(params.get("clientId"), params.get("token"))


async def _by_tag(gateway: Gateway, account: Account, params: dict[str, str]) -> Message:
    client_tag = required(params, "clientTag")
    message = await gateway.store.message_by_client_ref(account.id, client_tag)
    if message is None:
        raise GatewayError("not_found", f"no send with clientTag {client_tag!r}")
    return message


async def _scheduled(gateway: Gateway, account: Account, params: dict[str, str]) -> list[Message]:
    messages, _ = await gateway.store.list_messages(
        account.id,
        status=Status.SCHEDULED,
        client_ref=params.get("clientTag") or None,
        tag=params.get("groupTag") or None,
        limit=MAX_PAGE,
    )
    return messages


def send_command(params: dict[str, str], now: float) -> SendCommand:
    """The engine's command for mt.json, after the platform's own parameter rules."""
    sms_code = required(params, "smsCode")
    if not _SMS_CODE.fullmatch(sms_code):
        raise GatewayError("invalid_source", "smsCode: 5 or 6 digits")
    message = required(params, "message")
    if len(message) > MAX_MESSAGE:
        raise GatewayError("message_too_long", f"message: at most {MAX_MESSAGE} characters")
    phone = _PHONE.fullmatch(required(params, "phoneNumber"))
    if phone is None:
        raise GatewayError("invalid_destination", "phoneNumber: 0X0 and 8 digits, or +81...")
    carrier = None
    if params.get("carrierId"):
        carrier = CARRIER_IDS.get(params["carrierId"])
        if carrier is None:
            raise GatewayError("invalid_request", "carrierId: 1 to 4")
    return SendCommand(
        to="+81" + phone.group(1),
        text=message,
        sender=sms_code,
        client_ref=_tag(params, "clientTag"),
        scheduled_at=_schedule(params.get("scheduleTime"), now),
        origin="p5",
        tag=_tag(params, "groupTag"),
        carrier=carrier,
    )


def _tag(params: dict[str, str], name: str) -> str | None:
    value = params.get(name) or None
    if value is not None and len(value) > MAX_TAG:
        raise GatewayError("parameter_too_long", f"{name}: 1 to {MAX_TAG} characters")
    return value


def _schedule(raw: str | None, now: float) -> float | None:
    if not raw:
        return None
    try:
        at = datetime.strptime(raw, "%Y-%m-%d %H:%M").replace(tzinfo=JST).timestamp()
    except ValueError:
        raise GatewayError(
            "invalid_schedule", "scheduleTime: yyyy-MM-dd HH:mm, Japan time"
        ) from None
    if at <= now:
        raise GatewayError("schedule_in_past", "scheduleTime has passed")
    return at
