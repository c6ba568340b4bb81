"""The platform's REST client on its own, against a loopback server that answers what each
test scripts: the request it writes, what it makes of Retry-After and of a body too large,
and a platform that does not answer."""

import asyncio
import socket

import orjson
import pytest

from smsgate.connectors.rcs.client import PlatformUnreachableError, RcsClient
from tests.connectors.rcs.harness import connector_config
from tests.connectors.scripted_platform import ScriptedPlatform, answer

TIMEOUT = 10.0


def test_requests_and_what_their_answers_say() -> None:
    big = b'{"x": "' + b"y" * 200 + b'"}'
    platform = ScriptedPlatform(
        [
            answer(202, b'{"RCSMessage": {"msgId": "m-1", "status": "pending"}}'),
            b"HTTP/1.1 429 Too Many\r\nRetry-After: 1.5\r\nContent-Length: 0\r\n\r\n",
            answer(200, big),
            b"HTTP/1.1 409 Conflict\r\nRetry-After: Wed, 21 Oct 2026 07:28:00 GMT\r\n"
            b'Content-Length: 39\r\n\r\n{"RCSMessage": {"status": "delivered"}}',
        ]
    )

    async def main() -> None:
        root = await platform.start()
        client = RcsClient(connector_config(root, max_answer_bytes=100))
        try:
            sent = await client.send("bot 1", "819012345678", {"textMessage": "hi"}, "m-1")
            assert sent.status == 202 and sent.body["RCSMessage"]["msgId"] == "m-1"
            throttled = await client.capabilities("bot 1", "819012345678")
            assert (throttled.status, throttled.retry_after) == (429, 1.5)
            too_big = await client.capabilities("bot 1", "819012345678")
            assert (too_big.status, too_big.body) == (200, {})  # past the limit: no body
            conflict = await client.revoke("bot 1", "m-1")
            assert conflict.retry_after is None  # a date: the connector's own pause applies
            assert conflict.body == {"RCSMessage": {"status": "delivered"}}
        finally:
            await client.close()

    asyncio.run(asyncio.wait_for(main(), TIMEOUT))
    send, caps, _, revoke = platform.requests
    head, body = send.split(b"\r\n\r\n", 1)
    assert head.startswith(b"POST /bot/v1/bot%201/messages HTTP/1.1\r\n")
    assert b"\r\nAuthorization: Bearer " in head and b"\r\nContent-Type: application/json" in head
    assert orjson.loads(body) == {
        "RCSMessage": {"textMessage": "hi", "msgId": "m-1"},
        "messageContact": {"userContact": "+819012345678"},
    }
    assert caps.startswith(
        b"GET /bot/v1/bot%201/contactCapabilities?userContact=%2B819012345678 HTTP/1.1\r\n"
    )
    assert b"content-type" not in caps.lower() and b"content-length" not in caps.lower()
    assert revoke.startswith(b"PUT /bot/v1/bot%201/messages/m-1/status HTTP/1.1\r\n")
    assert revoke.endswith(b'{"RCSMessage":{"status":"cancelled"}}')


def test_a_platform_that_does_not_answer_is_unreachable() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{unused.getsockname()[1]}"
    platform = ScriptedPlatform([None])

    async def main() -> None:
        refused = RcsClient(connector_config(closed))
        silent = RcsClient(connector_config(await platform.start(), request_timeout=0.2))
        try:
            with pytest.raises(PlatformUnreachableError, match="ConnectionRefusedError"):
                await refused.capabilities("bot", "819012345678")
            with pytest.raises(PlatformUnreachableError, match=r"no answer within 0\.2 s"):
                await silent.send("bot", "819012345678", {"textMessage": "hi"}, "m-1")
        finally:
            await refused.close()
            await silent.close()

    asyncio.run(asyncio.wait_for(main(), TIMEOUT))
