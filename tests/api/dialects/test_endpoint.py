import asyncio

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from smsgate.api.http.dialects.endpoint import answering
from smsgate.domain.errors import GatewayError


def shaped(error: GatewayError) -> Response:
    return PlainTextResponse(f"dialect says {error.code}", status_code=error.http_status)


async def refuses(request: Request) -> Response:
    raise GatewayError("not_found", "no such message")


async def breaks(request: Request) -> Response:
    raise RuntimeError("a bug")


def test_refusals_and_failures_are_answered_in_the_dialects_shape() -> None:
    app = Starlette(
        routes=[
            Route("/refuses", answering("test", shaped, refuses)),
            Route("/breaks", answering("test", shaped, breaks)),
        ]
    )

    async def ask(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)

    refused = asyncio.run(ask("/refuses"))
    assert (refused.status_code, refused.text) == (404, "dialect says not_found")
    broken = asyncio.run(ask("/breaks"))
    assert (broken.status_code, broken.text) == (500, "dialect says internal")
