"""The HTTP provider adapter on its own, against a loopback server that answers what each test
scripts: the exact requests it writes (a send, a health request), what it makes of each kind
of answer (accepted, refused, throttled with or without a usable Retry-After, down, a body
past the limit, chunked), and a provider that does not answer or does not speak HTTP."""

import asyncio
import socket

import orjson
import pytest

from smsgate.connectors.providers import CHANNELS, HttpProvider
from smsgate.connectors.providers.provider import ProviderError, ThrottledError
from tests.connectors.providers.harness import TOKEN, connector_config, part
from tests.connectors.scripted_platform import ScriptedPlatform, answer, split

TIMEOUT = 10.0


def refusal(status: int, code: str) -> bytes:
    return answer(status, orjson.dumps({"error": {"code": code, "message": f"said {code}"}}))


def test_a_send_and_a_health_request_as_written() -> None:
    platform = ScriptedPlatform([answer(202, b'{"id": "p-1"}'), answer(200, b"")])

    async def main() -> str:
        root = await platform.start()
        provider = HttpProvider(CHANNELS["viber"], connector_config("viber", f"{root}/api/v2/"))
        try:
            sent = await provider.send(part(1, "+79161234567", "hi there"), "ref-1")
            assert sent.id == "p-1"
            assert await provider.probe()
        finally:
            await provider.close()
            await platform.stop()
        return root

    root = asyncio.run(asyncio.wait_for(main(), TIMEOUT))
    assert platform.connections == 1  # kept alive between the two
    (send_head, send_body), (health_head, health_body) = map(split, platform.requests)
    assert send_head[0] == b"POST /api/v2/viber/send HTTP/1.1"
    assert set(send_head[1:]) == {
        b"Host: " + root.removeprefix("http://").encode(),
        b"User-Agent: smsgate-providers/1",
        b"Content-Length: %d" % len(send_body),
        b"Authorization: Bearer " + TOKEN.encode(),
        b"Content-Type: application/json",
    }
    assert orjson.loads(send_body) == {
        "ref": "ref-1",
        "to": "+79161234567",
        "from": "ACME",
        "text": "hi there",
    }
    assert health_head[0] == b"GET /api/v2/viber/health HTTP/1.1"
    assert b"Authorization: Bearer " + TOKEN.encode() in health_head
    assert not [line for line in health_head if line.lower().startswith(b"content-")]
    assert health_body == b""


def test_what_each_answer_means() -> None:
    big = b'{"id": "' + b"p" * 300 + b'"}'  # past max_answer_bytes: the body is not read
    chunked = b'{"id": "p-9"}'
    platform = ScriptedPlatform(
        [
            answer(429, b"", b"Retry-After: 2.5"),
            answer(429, b"", b"Retry-After: Wed, 21 Oct 2026 07:28:00 GMT"),
            answer(200, big),
            refusal(400, "invalid_number"),
            refusal(404, "not_reachable"),
            refusal(422, "too_long"),
            answer(503, b'{"error": "maintenance"}'),
            answer(500, b"not json"),
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"%x\r\n%s\r\n0\r\n\r\n" % (len(chunked), chunked),
            answer(401, b""),
        ]
    )

    async def main() -> None:
        root = await platform.start()
        config = connector_config("telegram", root, max_answer_bytes=100)
        provider = HttpProvider(CHANNELS["telegram"], config)

        async def refused() -> ProviderError:
            with pytest.raises(ProviderError) as raised:
                await provider.send(part(1, text="123456", channel="telegram"), "ref-1")
            return raised.value

        try:
            throttled = await refused()
            assert isinstance(throttled, ThrottledError) and throttled.retry_after == 2.5
            dated = await refused()
            assert isinstance(dated, ThrottledError) and dated.retry_after is None
            cut = await refused()  # the id was in the body not read: try again later
            assert (cut.code, cut.permanent, cut.down) == ("carrier_unavailable", False, False)
            assert cut.detail == "HTTP 200 without an id"
            invalid = await refused()
            assert (invalid.code, invalid.permanent) == ("invalid_destination", True)
            assert invalid.detail == "HTTP 400: said invalid_number"
            unreachable = await refused()
            assert (unreachable.code, unreachable.permanent) == ("undeliverable", True)
            other = await refused()
            assert (other.code, other.permanent) == ("carrier_rejected", True)
            down = await refused()
            assert (down.code, down.permanent, down.down) == ("carrier_unavailable", False, True)
            assert down.detail == "HTTP 503: maintenance"
            failing = await refused()
            assert (failing.permanent, failing.down, failing.detail) == (False, False, "HTTP 500")
            sent = await provider.send(part(2, text="123456", channel="telegram"), "ref-2")
            assert sent.id == "p-9"
            assert not await provider.probe()  # 401: the token is refused, nothing goes
        finally:
            await provider.close()
            await platform.stop()

    asyncio.run(asyncio.wait_for(main(), TIMEOUT))
    assert len(platform.requests) == 10
    # one connection closed after the body left unread, the rest kept alive
    assert platform.connections == 2


def test_a_provider_that_does_not_answer_takes_the_connector_down() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{unused.getsockname()[1]}"
    silent, garbled = ScriptedPlatform([None]), ScriptedPlatform([b"SMTP ready\r\n\r\n"])

    async def main() -> None:
        providers = [
            HttpProvider(CHANNELS["voice"], connector_config("voice", closed)),
            HttpProvider(
                CHANNELS["voice"],
                connector_config("voice", await silent.start(), request_timeout=0.2),
            ),
            HttpProvider(CHANNELS["voice"], connector_config("voice", await garbled.start())),
        ]
        said = [
            "provider unreachable: ConnectionRefusedError",
            r"provider unreachable: no answer within 0\.2 s",
            "provider unreachable: not an HTTP answer",
        ]
        try:
            for provider, expected in zip(providers, said, strict=True):
                with pytest.raises(ProviderError, match=expected) as raised:
                    await provider.send(part(1, channel="voice"), "ref-1")
                error = raised.value
                assert (error.code, error.permanent, error.down) == (
                    "carrier_unavailable",
                    False,
                    True,
                )
            assert not await providers[0].probe()
        finally:
            for provider in providers:
                await provider.close()
            await silent.stop()
            await garbled.stop()

    asyncio.run(asyncio.wait_for(main(), TIMEOUT))
