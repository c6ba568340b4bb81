"""The native REST API v1: send, batch send, fetch and list messages."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Final, TypeVar

import pydantic
from starlette.requests import Request
from starlette.routing import Route

from smsgate.api.http.auth import ApiKeyAuth
from smsgate.api.http.request_body import read_body
from smsgate.api.http.responses import JsonResponse, error_body, error_response
from smsgate.api.http.schemas import PRIORITY_BY_NAME, SendBatch, SendMessage, message_view
from smsgate.domain.errors import GatewayError
from smsgate.domain.status import Status
from smsgate.engine.commands import SendCommand
from smsgate.engine.gateway import Gateway

MAX_BODY: Final = 64 * 1024
MAX_BATCH_BODY: Final = 4 * 1024 * 1024

Handler = Callable[[Request], Awaitable[JsonResponse]]
Model = TypeVar("Model", bound=pydantic.BaseModel)


def _command(item: SendMessage) -> SendCommand:
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
    )


async def _parse(request: Request, model: type[Model], limit: int) -> Model:
    body = await read_body(request, limit)
    try:
        return model.model_validate_json(body)
    except pydantic.ValidationError as exc:
        raise _invalid(exc) from None


def _invalid(exc: pydantic.ValidationError) -> GatewayError:
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    if first["type"] == "extra_forbidden":
        return GatewayError("unknown_field", f"{where} is not a field of this request")
    return GatewayError("invalid_request", f"{where}: {first['msg']}")


def routes(gateway: Gateway, auth: ApiKeyAuth) -> list[Route]:
    def guarded(handler: Handler) -> Callable[[Request], Awaitable[JsonResponse]]:
        async def endpoint(request: Request) -> JsonResponse:
            try:
                return await handler(request)
            except GatewayError as error:
                return error_response(error)

        return endpoint

    async def send(request: Request) -> JsonResponse:
        account = await auth.account(request.headers.get("authorization"))
        item = await _parse(request, SendMessage, MAX_BODY)
        (result,) = await gateway.accept(account, [_command(item)])
        if isinstance(result, GatewayError):
            raise result
        return JsonResponse(message_view(result), status_code=202)

    async def send_batch(request: Request) -> JsonResponse:
        account = await auth.account(request.headers.get("authorization"))
        batch = await _parse(request, SendBatch, MAX_BATCH_BODY)
        results = await gateway.accept(account, [_command(m) for m in batch.messages])
        items: list[dict[str, Any]] = []
        accepted = 0
        for index, result in enumerate(results):
            if isinstance(result, GatewayError):
                items.append({"index": index, "error": error_body(result)})
            else:
                accepted += 1
                items.append({"index": index, "message": message_view(result)})
        payload = {"accepted": accepted, "rejected": len(results) - accepted, "results": items}
        return JsonResponse(payload, status_code=202 if accepted else 422)

    async def fetch(request: Request) -> JsonResponse:
        account = await auth.account(request.headers.get("authorization"))
        message = await gateway.message(account.id, request.path_params["message_id"])
        history = await gateway.store.history(message.id)
        return JsonResponse(message_view(message, details=True, history=history))

    async def cancel(request: Request) -> JsonResponse:
        account = await auth.account(request.headers.get("authorization"))
        message = await gateway.cancel(account, request.path_params["message_id"])
        return JsonResponse(message_view(message))

    async def list_messages(request: Request) -> JsonResponse:
        account = await auth.account(request.headers.get("authorization"))
        query = request.query_params
        try:
            status = Status(query["status"]) if "status" in query else None
            limit = int(query.get("limit", "50"))
            after = _time(query.get("created_after"))
            before = _time(query.get("created_before"))
        except ValueError as exc:
            raise GatewayError("invalid_request", str(exc)) from None
        if not 1 <= limit <= 500:
            raise GatewayError("invalid_request", "limit: 1 to 500")
        destination = query.get("to")
        if destination:
            destination, _ = gateway.router.destination(destination)
        messages, cursor = await gateway.store.list_messages(
            account.id,
            status=status,
            destination=destination,
            client_ref=query.get("client_ref"),
            created_after=after,
            created_before=before,
            limit=limit,
            cursor=query.get("cursor"),
        )
        return JsonResponse(
            {"messages": [message_view(m) for m in messages], "next_cursor": cursor}
        )

    return [
        Route("/v1/messages", guarded(send), methods=["POST"]),
        Route("/v1/messages", guarded(list_messages), methods=["GET"]),
        Route("/v1/messages/batch", guarded(send_batch), methods=["POST"]),
        Route("/v1/messages/{message_id}", guarded(fetch), methods=["GET"]),
        Route("/v1/messages/{message_id}/cancel", guarded(cancel), methods=["POST"]),
    ]


def _time(value: str | None) -> float | None:
    if value is None:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
