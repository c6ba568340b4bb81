"""`POST /v1/messages` answered by the HTTP protocol itself (api/http/direct.py), over raw
sockets: kept-alive and closing connections, pipelined requests, and the requests it leaves to
uvicorn and Starlette (a chunked body, HTTP/1.0, Expect: 100-continue). The answers themselves
are compared with the route's in test_shortcut.py."""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

from smsgate.api.http.direct import direct_request
from tests.api.harness import Running, add_account, running_gateway
from tests.api.http.test_head_with_body import read_response

WAIT = 10.0


def post(gw: Running, ref: str, *extra: str, version: str = "1.1") -> bytes:
    body = orjson.dumps({"to": "+819012345678", "text": "hi", "client_ref": ref})
    head = [
        f"POST /v1/messages HTTP/{version}",
        "Host: x",
        f"Authorization: Bearer {gw.keys['a']}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *extra,
    ]
    return "\r\n".join(head).encode() + b"\r\n\r\n" + body


Writer = asyncio.StreamWriter
Scenario = Callable[[Running, asyncio.StreamReader, Writer], Awaitable[None]]


async def connect(gw: Running) -> tuple[asyncio.StreamReader, Writer]:
    assert gw.app.http is not None
    return await asyncio.open_connection("127.0.0.1", gw.app.http.port)


def on_connection(tmp_path: Path, scenario: Scenario, **settings: Any) -> None:
    """`scenario` on a raw connection to a gateway of its own, which it may prepare first."""

    async def main() -> None:
        async with running_gateway(str(tmp_path / "gateway.db"), **settings) as gw:
            reader, writer = await connect(gw)
            try:
                await scenario(gw, reader, writer)
            finally:
                writer.close()

    asyncio.run(main())


def accepted(answer: tuple[bytes, bytes], ref: str) -> None:
    head, body = answer
    assert head.startswith(b"HTTP/1.1 202 Accepted\r\n"), head
    assert orjson.loads(body)["client_ref"] == ref


def test_a_kept_alive_connection_then_one_asking_to_close(tmp_path: Path) -> None:
    async def scenario(gw: Running, reader: asyncio.StreamReader, writer: Writer) -> None:
        for ref in ("k1", "k2"):
            writer.write(post(gw, ref))
            head, body = await read_response(reader)
            accepted((head, body), ref)
            # uvicorn's default headers, as on every other answer
            assert b"\r\ndate: " in head and b"\r\nserver: " in head
            assert b"connection: close" not in head
        writer.write(post(gw, "k3", "Connection: close"))
        head, body = await read_response(reader)
        accepted((head, body), "k3")
        assert b"\r\nconnection: close\r\n" in head
        assert await asyncio.wait_for(reader.read(), WAIT) == b""  # the server closed it

    on_connection(tmp_path, scenario)


def test_pipelined_requests_are_answered_in_order(tmp_path: Path) -> None:
    async def scenario(gw: Running, reader: asyncio.StreamReader, writer: Writer) -> None:
        # the second waits behind the first (uvicorn queues it), then a GET behind that
        writer.write(post(gw, "p1") + post(gw, "p2") + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        accepted(await read_response(reader), "p1")
        accepted(await read_response(reader), "p2")
        head, body = await read_response(reader)
        assert head.startswith(b"HTTP/1.1 200") and orjson.loads(body)["status"] == "ready"

    on_connection(tmp_path, scenario)


def test_what_it_leaves_to_the_route_is_answered_there(tmp_path: Path) -> None:
    async def scenario(gw: Running, reader: asyncio.StreamReader, writer: Writer) -> None:
        body = orjson.dumps({"to": "+819012345678", "text": "hi", "client_ref": "c1"})
        chunked = (
            b"POST /v1/messages HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: Bearer {gw.keys['a']}\r\n".encode()
            + b"Transfer-Encoding: chunked\r\n\r\n"
            + f"{len(body):x}\r\n".encode()
            + body
            + b"\r\n0\r\n\r\n"
        )
        writer.write(chunked)
        accepted(await read_response(reader), "c1")
        writer.write(post(gw, "e1", "Expect: 100-continue")[: -len(body)])
        head, _ = await read_response(reader)
        assert head.startswith(b"HTTP/1.1 100 Continue")
        writer.write(post(gw, "e1")[-len(body) :])
        accepted(await read_response(reader), "e1")
        # HTTP/1.0 ends its connection with the answer
        writer.write(post(gw, "h1", version="1.0"))
        accepted(await read_response(reader), "h1")
        assert await asyncio.wait_for(reader.read(), WAIT) == b""

    on_connection(tmp_path, scenario)


def test_a_client_gone_before_its_answer_still_has_its_message(tmp_path: Path) -> None:
    async def main() -> None:
        async with running_gateway(str(tmp_path / "gateway.db")) as gw:
            _, writer = await connect(gw)
            writer.write(post(gw, "gone"))
            await writer.drain()
            writer.transport.abort()
            found = None
            for _ in range(200):
                found = await gw.client.get(
                    "/v1/messages/count?client_ref=gone", headers=gw.headers()
                )
                if found.json()["total"]:
                    break
                await asyncio.sleep(0.02)
            assert found is not None and found.json()["total"] == 1
            # and the gateway answers on
            accepted_later = await gw.send(client_ref="after")
            assert accepted_later.status_code == 202

    asyncio.run(main())


def test_which_heads_it_takes() -> None:
    headers = [(b"authorization", b"Bearer k"), (b"content-length", b"10")]
    taken = direct_request(b"POST", b"/v1/messages", headers, True)
    assert taken is not None and taken.authorization == "Bearer k" and taken.keep_alive
    assert direct_request(b"POST", b"/v1/messages", [(b"content-length", b"0")], False)
    refused = [
        (b"GET", b"/v1/messages", headers),
        (b"POST", b"/v1/messages?x=1", headers),
        (b"POST", b"/v1/messages/batch", headers),
        (b"POST", b"/v1/messages", [*headers, (b"idempotency-key", b"k")]),
        (b"POST", b"/v1/messages", [*headers, (b"transfer-encoding", b"chunked")]),
        (b"POST", b"/v1/messages", [(b"authorization", b"Bearer k")]),  # no length
        (b"POST", b"/v1/messages", [(b"content-length", b"65537")]),  # past the route's limit
        (b"POST", b"/v1/messages", [(b"content-length", b"1"), (b"content-length", b"1")]),
    ]
    for method, url, refusing in refused:
        assert direct_request(method, url, refusing, True) is None, (method, url, refusing)


def test_each_pipelined_request_is_judged_by_its_own_headers(tmp_path: Path) -> None:
    async def scenario(gw: Running, reader: asyncio.StreamReader, writer: Writer) -> None:
        gw.keys["a"] = await add_account(gw.app, "fenced", ip_allow="198.51.100.7")
        # the first names the allowed client through the proxy, the second does not; both
        # arrive in one read, so the second's head is parsed before the first is answered
        writer.write(
            post(gw, "allowed", "X-Forwarded-For: 198.51.100.7")
            + post(gw, "refused", "X-Forwarded-For: 203.0.113.9")
        )
        accepted(await read_response(reader), "allowed")
        head, _ = await read_response(reader)
        assert head.startswith(b"HTTP/1.1 403"), head

    on_connection(tmp_path, scenario, http_trusted_proxies="127.0.0.1")
