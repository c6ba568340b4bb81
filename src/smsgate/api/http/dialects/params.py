"""A dialect request's parameters: the query string plus a form or JSON body, as strings."""

from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import Request

from smsgate.api.http.request_body import read_body
from smsgate.domain.errors import GatewayError

MAX_BODY = 64 * 1024


async def request_params(request: Request, limit: int = MAX_BODY) -> dict[str, str]:
    """Query parameters, then the body's (form-urlencoded, or a JSON object) over them.
    JSON numbers and booleans become their JSON text; nested values are refused."""
    params = dict(request.query_params)
    if request.method in ("GET", "HEAD"):
        return params
    body = await read_body(request, limit)
    if not body:
        return params
    if request.headers.get("content-type", "").startswith("application/json"):
        params.update(_json_params(body))
        return params
    try:
        params.update(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True))
    except (UnicodeDecodeError, ValueError):
        raise GatewayError("invalid_request", "the body is not form-urlencoded UTF-8") from None
    return params


def json_object(body: bytes) -> dict[str, Any]:
    """A body that must be a JSON object."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise GatewayError("invalid_request", "the body is not valid JSON") from None
    if not isinstance(document, dict):
        raise GatewayError("invalid_request", "the body must be a JSON object")
    return document


def _json_params(body: bytes) -> dict[str, str]:
    document = json_object(body)
    params: dict[str, str] = {}
    for name, value in document.items():
        if value is None:
            continue
        if isinstance(value, str):
            params[name] = value
        elif isinstance(value, bool | int | float):
            params[name] = orjson.dumps(value).decode()
        else:
            raise GatewayError("invalid_request", f"{name}: a string or a number")
    return params


def required(params: dict[str, str], name: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        raise GatewayError("missing_parameter", f"{name} is required")
    return value
