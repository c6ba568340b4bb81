"""`POST /v1/messages` answered in front of Starlette (over real HTTP: by the protocol's direct
path, api/http/direct.py, or the shortcut for a body it leaves) gives the very answers the
Starlette route gives to the same requests (status, headers, body); an Idempotency-Key and
every other request still go to Starlette."""

import asyncio
from pathlib import Path
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from smsgate.api.http.app import HttpApp
from smsgate.api.http.shortcut import SendShortcut
from tests.api.harness import Running, running_gateway

NUMBER = "+819012345678"
# (body, extra headers) of requests whose answers do not depend on time or ids
REFUSED: list[tuple[bytes, dict[str, str]]] = [
    (b'{"to": "+819012345678", "text": "hi"}', {"Authorization": "Basic abc"}),
    (b'{"to": "+819012345678", "text": "hi"}', {"Authorization": "Bearer wrong-key"}),
    (b"{not json", {}),
    (b"", {}),
    (b'{"to": "+819012345678", "text": "hi", "colour": "red"}', {}),
    (b'{"to": "+819012345678"}', {}),
    (b'{"to": "not a number", "text": "hi"}', {}),
    (b'{"to": "+819012345678", "text": "hi", "priority": "bogus"}', {}),
    (b'{"to": "+819012345678", "text": "' + b"x" * 70_000 + b'"}', {}),
]
# headers a response carries that differ from one request to the next
VARYING = {"date", "server"}


def starlette_only(app: HttpApp) -> Any:
    """The same application with the shortcut passed by: the route answers."""

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        await Starlette.__call__(app, scope, receive, send)

    return route


def answer(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in response.headers.items() if k not in VARYING}
    return response.status_code, headers, response.content


def gateway_app(gw: Running) -> HttpApp:
    assert gw.app.http is not None
    app = gw.app.http.config.app
    assert isinstance(app, HttpApp) and app.shortcut is not None
    return app


def test_refusals_are_the_routes_own(tmp_path: Path) -> None:
    async def main() -> None:
        async with running_gateway(str(tmp_path / "gateway.db")) as gw:
            transport = httpx.ASGITransport(app=starlette_only(gateway_app(gw)))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as route:
                for body, extra in REFUSED:
                    headers = {**gw.headers("a"), "Content-Type": "application/json", **extra}
                    fast = await gw.client.post("/v1/messages", content=body, headers=headers)
                    slow = await route.post("/v1/messages", content=body, headers=headers)
                    assert fast.status_code >= 400, body[:60]
                    assert answer(fast) == answer(slow), body[:60]

    asyncio.run(main())


def test_an_accepted_message_is_answered_as_by_the_route(tmp_path: Path) -> None:
    async def main() -> None:
        async with running_gateway(str(tmp_path / "gateway.db")) as gw:
            transport = httpx.ASGITransport(app=starlette_only(gateway_app(gw)))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as route:
                sent = {"to": NUMBER, "text": "hello", "tag": "t"}
                # a client_ref is unique per account: each request its own
                fast = await gw.client.post(
                    "/v1/messages", json={**sent, "client_ref": "r1"}, headers=gw.headers()
                )
                slow = await route.post(
                    "/v1/messages", json={**sent, "client_ref": "r2"}, headers=gw.headers()
                )
            assert fast.status_code == slow.status_code == 202
            assert fast.headers["content-type"] == slow.headers["content-type"]
            mine, theirs = fast.json(), slow.json()
            assert mine.keys() == theirs.keys()
            assert mine["id"] != theirs["id"]
            varying = ("id", "status", "client_ref", "created_at", "updated_at", "valid_until")
            same = {k: v for k, v in mine.items() if k not in varying}
            assert same == {k: theirs[k] for k in same}
            assert mine["client_ref"] == "r1" and same["to"] == NUMBER
            stored = await gw.client.get(f"/v1/messages/{mine['id']}", headers=gw.headers())
            assert stored.status_code == 200 and stored.json()["client_ref"] == "r1"

    asyncio.run(main())


def test_an_idempotency_key_still_goes_to_the_route(tmp_path: Path) -> None:
    async def main() -> None:
        async with running_gateway(str(tmp_path / "gateway.db")) as gw:
            headers = {**gw.headers(), "Idempotency-Key": "k-1"}
            sent = {"to": NUMBER, "text": "once"}
            first = await gw.client.post("/v1/messages", json=sent, headers=headers)
            again = await gw.client.post("/v1/messages", json=sent, headers=headers)
            assert first.status_code == again.status_code == 202
            assert again.headers["idempotent-replayed"] == "true"
            assert orjson.loads(again.content) == orjson.loads(first.content)

    asyncio.run(main())


def test_what_the_shortcut_takes() -> None:
    def scope(method: str = "POST", path: str = "/v1/messages", **more: Any) -> Scope:
        return {"type": "http", "method": method, "path": path, "headers": [], **more}

    assert SendShortcut.takes(scope())
    assert SendShortcut.takes(scope(headers=[(b"authorization", b"Bearer k")]))
    assert not SendShortcut.takes(scope(headers=[(b"idempotency-key", b"k")]))
    assert not SendShortcut.takes(scope(method="GET"))
    assert not SendShortcut.takes(scope(path="/v1/messages/"))
    assert not SendShortcut.takes(scope(path="/v1/messages/batch"))
    assert not SendShortcut.takes(scope(root_path="/api"))
    assert not SendShortcut.takes({"type": "websocket", "path": "/v1/messages", "headers": []})
