"""AI CROSS Zettai Reach! SMS, p5 "CommonMT" API (`/p5/api/...`): send (mt.json), send status
(status.json) and scheduled sends (checkreservation.json, cancelreservation.json,
cancelreservationall.json), translated into the engine's commands (docs/dialects/p5.md).

Parameters come as a form (or a query string); every answer is JSON with a responseCode.
Errors raised here carry the parameter's name as their detail: the responseMessage names it.
"""

import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smsgate.api.http.auth import ApiKeyAuth, check_address, client_address
from smsgate.api.http.dialects.endpoint import Endpoint, answering
from smsgate.api.http.dialects.p5_view import (
    CARRIER_IDS,
    JST,
    answer,
    error_response,
    international,
    reservation,
    send_status,
)
from smsgate.api.http.dialects.params import request_params
from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message
from smsgate.domain.status import Status
from smsgate.engine.commands import SendCommand
from smsgate.engine.gateway import Gateway
from smsgate.engine.queries import MAX_PAGE

PREFIX: Final = "/p5/api"
MAX_MESSAGE: Final = 660
MAX_TAG: Final = 200
# the specification's pattern: 020, 060, 070, 080, 090 numbers (and 14-digit 020 ones)
_PHONE: Final = re.compile(r"(?:\+81|0)([26789]0[1-9][0-9]{7}|20[1-9][0-9]{10})")
_SMS_CODE: Final = re.compile(r"[0-9]{5,6}")
DAY: Final = timedelta(days=1)

Handler = Callable[[dict[str, str], Account], Awaitable[Response]]


def routes(gateway: Gateway, auth: ApiKeyAuth) -> list[BaseRoute]:

    def endpoint(handler: Handler) -> Endpoint:
        async def run(request: Request) -> Response:
            params = await request_params(request)
            return await handler(params, await _account(auth, request, params))

        return answering("p5", error_response, run)

    async def mt(params: dict[str, str], account: Account) -> Response:
        command = send_command(params, gateway.clock.time())
        (result,) = await gateway.accept(account, [command])
        if isinstance(result, GatewayError):
            raise result
        return answer(phoneNumber=international(result.destination), smsMessage=result.text)

    async def status(params: dict[str, str], account: Account) -> Response:
        if params.get("clientTag"):
            tag = _tag(params, "clientTag")
            found = await gateway.queries.message_by_client_ref(account.id, tag or "")
            messages = [found] if found is not None else []
        elif params.get("date"):
            start = _day(params, "date")
            messages, _ = await gateway.queries.messages(
                account.id,
                created_after=start,
                created_before=start + DAY.total_seconds(),
                limit=MAX_PAGE,
            )
        else:
            raise GatewayError("missing_parameter", "clientTag")
        return answer(status=[send_status(m) for m in messages])

    async def check_reservation(params: dict[str, str], account: Account) -> Response:
        _sms_code(params)
        if params.get("clientTag"):
            found = await _by_tag(gateway, account, params)
            if found is not None and found.status not in (Status.SCHEDULED, Status.CANCELED):
                raise GatewayError("not_cancelable", "clientTag")
            scheduled = [found] if found is not None and found.status is Status.SCHEDULED else []
        else:
            start, end = _schedule_window(params, gateway.clock.time())
            scheduled = await _scheduled(gateway, account, params.get("groupTag"), start, end)
        return answer(count=len(scheduled), status=[reservation(m) for m in scheduled])

    async def cancel_reservation(params: dict[str, str], account: Account) -> Response:
        message = await _by_tag(gateway, account, params, needed=True)
        if message is None:
            raise GatewayError("not_found", "clientTag")
        if message.status is not Status.SCHEDULED:
            raise GatewayError("not_cancelable", "clientTag")
        await gateway.cancel(account, message.id)
        return answer(clientTag=message.client_ref)

    async def cancel_all(params: dict[str, str], account: Account) -> Response:
        start = _day(params, "startDate") if params.get("startDate") else None
        end = _day(params, "endDate") + DAY.total_seconds() if params.get("endDate") else None
        group = _tag(params, "groupTag")
        canceled: set[str] = set()
        while batch := [
            m for m in await _scheduled(gateway, account, group, start, end) if m.id not in canceled
        ]:  # a page at a time
            for message in batch:
                canceled.add(message.id)
                try:
                    await gateway.cancel(account, message.id)
                except GatewayError as error:  # it left the schedule meanwhile
                    if error.code != "not_cancelable":
                        raise
        return answer()

    methods = ["GET", "POST"]
    return [
        Route(f"{PREFIX}/mt.json", endpoint(mt), methods=methods),
        Route(f"{PREFIX}/status.json", endpoint(status), methods=methods),
        Route(f"{PREFIX}/checkreservation.json", endpoint(check_reservation), methods=methods),
        Route(f"{PREFIX}/cancelreservation.json", endpoint(cancel_reservation), methods=methods),
        Route(f"{PREFIX}/cancelreservationall.json", endpoint(cancel_all), methods=methods),
    ]


async def _account(auth: ApiKeyAuth, request: Request, params: dict[str, str]) -> Account:
    token, client = _required(params, "token"), _required(params, "clientId")
    try:
        account = await auth.by_user_and_key(client, token, client_address(request))
    except GatewayError as error:
        item = "token" if error.code == "unauthorized" else "clientId"
        raise GatewayError(error.code, item) from None
    check_address(account, client_address(request))
    return account


async def _by_tag(
    gateway: Gateway, account: Account, params: dict[str, str], *, needed: bool = False
) -> Message | None:
    tag = _required(params, "clientTag") if needed else params.get("clientTag", "")
    if len(tag) > MAX_TAG:
        raise GatewayError("parameter_too_long", "clientTag")
    return await gateway.queries.message_by_client_ref(account.id, tag)


async def _scheduled(
    gateway: Gateway, account: Account, group: str | None, start: float | None, end: float | None
) -> list[Message]:
    """The account's scheduled sends (of one groupTag) due in [start, end), a page at most."""
    messages, _ = await gateway.queries.messages(
        account.id, status=Status.SCHEDULED, tag=group or None, limit=MAX_PAGE
    )
    return [
        m
        for m in messages
        if (start is None or (m.scheduled_at or 0) >= start)
        and (end is None or (m.scheduled_at or 0) < end)
    ]


def _schedule_window(params: dict[str, str], now: float) -> tuple[float, float]:
    """checkreservation's scheduleTime (one minute) or scheduleDate (one day), not past."""
    if params.get("scheduleTime"):
        start = _time(params["scheduleTime"], "scheduleTime")
        end, name = start + 60, "scheduleTime"
    elif params.get("scheduleDate"):
        start = _day(params, "scheduleDate")
        end, name = start + DAY.total_seconds(), "scheduleDate"
    else:
        raise GatewayError("missing_parameter", "clientTag")
    if end <= now:
        raise GatewayError("schedule_in_past", name)
    return start, end


def send_command(params: dict[str, str], now: float) -> SendCommand:
    """The engine's command for mt.json, after the platform's own parameter rules."""
    sms_code = _sms_code(params)
    message = _required(params, "message")
    if len(message) > MAX_MESSAGE:
        raise GatewayError("text_too_long", "message")
    phone = _PHONE.fullmatch(_required(params, "phoneNumber"))
    if phone is None:
        raise GatewayError("invalid_destination", "phoneNumber")
    carrier = None
    if params.get("carrierId"):
        carrier = CARRIER_IDS.get(params["carrierId"])
        if carrier is None:
            raise GatewayError("invalid_request", "carrierId")
    scheduled_at = None
    if params.get("scheduleTime"):
        scheduled_at = _time(params["scheduleTime"], "scheduleTime")
        if scheduled_at <= now:  # mt.json has no "past" code: an invalid scheduleTime
            raise GatewayError("invalid_schedule", "scheduleTime")
    return SendCommand(
        to="+81" + phone.group(1),
        text=message,
        sender=sms_code,
        client_ref=_tag(params, "clientTag"),
        scheduled_at=scheduled_at,
        origin="p5",
        tag=_tag(params, "groupTag"),
        carrier=carrier,
    )


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise GatewayError("missing_parameter", name)
    return value


def _sms_code(params: dict[str, str]) -> str:
    code = _required(params, "smsCode")
    if len(code) > 6:
        raise GatewayError("parameter_too_long", "smsCode")
    if not _SMS_CODE.fullmatch(code):
        raise GatewayError("invalid_source", "smsCode")
    return code


def _tag(params: dict[str, str], name: str) -> str | None:
    value = params.get(name) or None
    if value is not None and len(value) > MAX_TAG:
        raise GatewayError("parameter_too_long", name)
    return value


def _time(raw: str, name: str) -> float:
    """`yyyy-MM-dd HH:mm` in Japan time."""
    try:
        return datetime.strptime(raw, "%Y-%m-%d %H:%M").replace(tzinfo=JST).timestamp()
    except (ValueError, OverflowError):
        raise GatewayError("invalid_schedule", name) from None


def _day(params: dict[str, str], name: str) -> float:
    """The start of a `yyyyMMdd` day in Japan time."""
    raw = params.get(name, "")
    try:
        if len(raw) != 8:
            raise ValueError(raw)
        return datetime.strptime(raw, "%Y%m%d").replace(tzinfo=JST).timestamp()
    except (ValueError, OverflowError):
        raise GatewayError("invalid_request", name) from None
