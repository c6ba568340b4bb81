"""JSON responses (orjson) and the error shape shared by the native API."""

from typing import Any

import orjson
from starlette.responses import Response

from smsgate.domain.errors import GatewayError


class JsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error_body(error: GatewayError) -> dict[str, Any]:
    return {
        "code": error.code,
        "message": error.entry.message,
        "detail": error.detail or None,
    }


def error_response(error: GatewayError) -> JsonResponse:
    headers = {"Retry-After": "1"} if error.http_status in (429, 503) else None
    return JsonResponse(
        {"error": error_body(error)}, status_code=error.http_status, headers=headers
    )
