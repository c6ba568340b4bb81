"""The native REST API v1: send, batch send, fetch, list, count and cancel messages; the
balance."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Final, TypeVar

import orjson
import pydantic
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smsgate.api.http.auth import ApiKeyAuth
from smsgate.api.http.idempotency import HEADER, IdempotencyKeys, fingerprint
from smsgate.api.http.request_body import read_body
from smsgate.api.http.responses import JsonResponse, error_body
from smsgate.api.http.schemas import (
    PRIORITY_BY_NAME,
    SendBatch,
    SendMessage,
    iso_time,
    message_view,
)
from smsgate.domain.account import Account
from smsgate.domain.channels import HLR, PING
from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message
from smsgate.domain.pricing import from_micros
from smsgate.domain.status import Status
from smsgate.engine.commands import SendCommand
from smsgate.engine.gateway import Gateway
from smsgate.store import Change

MAX_BODY: Final = 64 * 1024
MAX_BATCH_BODY: Final = 4 * 1024 * 1024

Handler = Callable[[Request], Awaitable[Response]]
Model = TypeVar("Model", bound=pydantic.BaseModel)


NO_TEXT = (HLR, PING)


def _command(item: SendMessage) -> SendCommand:
    channels = (item.channel,) if isinstance(item.channel, str) else tuple(item.channel)
    if "text" not in item.model_fields_set and item.rcs is None and channels[0] not in NO_TEXT:
        # only RCS content stands in for a text; a lookup and a ping have none
        raise GatewayError("invalid_request", "text: Field required")
    return SendCommand(
        to=item.to,
        text=item.text,
        sender=item.sender,
        encoding=item.encoding,
        priority=PRIORITY_BY_NAME[item.priority],
        client_ref=item.client_ref,
        callback_url=item.callback_url,
        scheduled_at=item.scheduled_at.timestamp() if item.scheduled_at else None,
        validity=item.validity,
        tag=item.tag,
        max_price=item.max_price,
        channels=channels,
        content=item.rcs,
        channel_ttl=item.channel_ttl,
        fields={
            name: value
            for name, value in (("subject", item.subject), ("voice", item.voice), ("bot", item.bot))
            if value is not None
        },
    )


async def parse_json(request: Request, model: type[Model], limit: int) -> Model:
    return _validate(model, await read_body(request, limit))


def _validate(model: type[Model], body: bytes) -> Model:
    try:
        return model.model_validate_json(body)
    except pydantic.ValidationError as exc:
        raise _invalid(exc) from None


def _one(results: list[Message | GatewayError]) -> tuple[int, Any]:
    """The answer to a single send."""
    (result,) = results
    if isinstance(result, GatewayError):
        raise result
    return 202, message_view(result)


def _many(results: list[Message | GatewayError]) -> tuple[int, Any]:
    """The answer to a batch send: each message's outcome by its index."""
    items: list[dict[str, Any]] = []
    accepted = 0
    for index, result in enumerate(results):
        if isinstance(result, GatewayError):
            items.append({"index": index, "error": error_body(result)})
        else:
            accepted += 1
            items.append({"index": index, "message": message_view(result)})
    payload = {"accepted": accepted, "rejected": len(results) - accepted, "results": items}
    return 202 if accepted else 422, payload


def _invalid(exc: pydantic.ValidationError) -> GatewayError:
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    if first["type"] == "extra_forbidden":
        return GatewayError("unknown_field", f"{where} is not a field of this request")
    return GatewayError("invalid_request", f"{where}: {first['msg']}")


async def send_plain(gateway: Gateway, account: Account, body: bytes) -> JsonResponse:
    """The answer to `POST /v1/messages` without an Idempotency-Key, once its account is known
    and its body read: both the route below and `shortcut.SendShortcut` answer with this."""
    status, payload = _one(await gateway.accept(account, [_command(_validate(SendMessage, body))]))
    return JsonResponse(payload, status_code=status)


def routes(gateway: Gateway, auth: ApiKeyAuth) -> list[Route]:
    keys = IdempotencyKeys(gateway.queries, gateway.clock)

    async def send(request: Request) -> Response:
        account = await auth.account(request)
        if HEADER in request.headers:
            body = await read_body(request, MAX_BODY)
            commands = [_command(_validate(SendMessage, body))]
            return await send_once(request, account, body, commands, _one)
        return await send_plain(gateway, account, await read_body(request, MAX_BODY))

    async def send_batch(request: Request) -> Response:
        account = await auth.account(request)
        body = await read_body(request, MAX_BATCH_BODY)
        commands = [_command(m) for m in _validate(SendBatch, body).messages]
        if HEADER in request.headers:
            return await send_once(request, account, body, commands, _many)
        status, payload = _many(await gateway.accept(account, commands))
        return JsonResponse(payload, status_code=status)

    async def send_once(
        request: Request,
        account: Account,
        body: bytes,
        commands: list[SendCommand],
        answer: Callable[[list[Message | GatewayError]], tuple[int, Any]],
    ) -> Response:
        """A send with an Idempotency-Key: the stored answer if there is one, else act and
        store the answer with the messages."""
        key = request.headers[HEADER]
        request_hash = fingerprint(request.method, request.url.path, body)
        replayed = await keys.replay(account.id, key, request_hash)
        if replayed is not None:
            return replayed
        written: list[tuple[int, bytes]] = []

        def record(results: list[Message | GatewayError]) -> Change:
            status, payload = answer(results)
            written.append((status, orjson.dumps(payload)))
            return keys.record(account.id, key, request_hash, *written[-1])

        try:
            results = await gateway.accept(account, commands, record)
        finally:
            keys.release(account.id, key)
        if written:
            status, content = written[-1]
            return Response(content, status, media_type="application/json")
        status, payload = answer(results)  # nothing was accepted: nothing is kept either
        return JsonResponse(payload, status_code=status)

    async def fetch(request: Request) -> JsonResponse:
        account = await auth.account(request)
        message, history = await gateway.queries.message_with_history(
            account.id, request.path_params["message_id"]
        )
        return JsonResponse(message_view(message, details=True, history=history))

    async def cancel_tag(request: Request) -> JsonResponse:
        account = await auth.account(request)
        tag = request.query_params.get("tag")
        if not tag:
            raise GatewayError("invalid_request", "name the campaign: ?tag=...")
        canceled, refused = await gateway.cancel_tag(account, tag)
        return JsonResponse({"tag": tag, "canceled": canceled, "not_cancelable": refused})

    async def count_messages(request: Request) -> JsonResponse:
        account = await auth.account(request)
        query = request.query_params
        counts = await gateway.queries.status_counts(
            account.id, tag=query.get("tag"), client_ref=query.get("client_ref")
        )
        by_status = {status.value: n for status, n in sorted(counts.items())}
        return JsonResponse({"total": sum(counts.values()), "by_status": by_status})

    async def balance(request: Request) -> JsonResponse:
        account = await auth.account(request)
        found = await gateway.queries.balance(account.id)
        currency = gateway.billing.currency_of(account)
        if found is None:
            return JsonResponse({"prepaid": False, "balance": None, "currency": currency})
        return JsonResponse(
            {
                "prepaid": True,
                "balance": str(from_micros(found.micros)),
                "currency": currency,
                "updated_at": iso_time(found.updated_at),
            }
        )

    async def cancel(request: Request) -> JsonResponse:
        account = await auth.account(request)
        message = await gateway.cancel(account, request.path_params["message_id"])
        return JsonResponse(message_view(message))

    async def list_messages(request: Request) -> JsonResponse:
        account = await auth.account(request)
        query = request.query_params
        try:
            status = Status(query["status"]) if "status" in query else None
            limit = int(query.get("limit", "50"))
            after = parse_time(query.get("created_after"))
            before = parse_time(query.get("created_before"))
        except ValueError as exc:
            raise GatewayError("invalid_request", str(exc)) from None
        if not 1 <= limit <= 500:
            raise GatewayError("invalid_request", "limit: 1 to 500")
        destination = query.get("to")
        if destination:
            destination, _ = gateway.router.destination(destination)
        messages, cursor = await gateway.queries.messages(
            account.id,
            status=status,
            destination=destination,
            client_ref=query.get("client_ref"),
            tag=query.get("tag"),
            created_after=after,
            created_before=before,
            limit=limit,
            cursor=query.get("cursor"),
        )
        return JsonResponse(
            {"messages": [message_view(m) for m in messages], "next_cursor": cursor}
        )

    return [
        Route("/v1/messages", send, methods=["POST"]),
        Route("/v1/messages", list_messages, methods=["GET"]),
        Route("/v1/messages/batch", send_batch, methods=["POST"]),
        Route("/v1/messages/count", count_messages, methods=["GET"]),
        Route("/v1/messages/cancel", cancel_tag, methods=["POST"]),
        Route("/v1/balance", balance, methods=["GET"]),
        Route("/v1/messages/{message_id}", fetch, methods=["GET"]),
        Route("/v1/messages/{message_id}/cancel", cancel, methods=["POST"]),
    ]


def parse_time(value: str | None) -> float | None:
    if value is None:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
