"""The HLR provider adapter on its own, against a loopback server that answers what each test
scripts: the exact lookup request it writes, what it makes of each kind of answer (a result,
throttled with or without a usable Retry-After, a refused number, a body past the limit, down),
and a provider that does not answer."""

import asyncio
import socket

import orjson
import pytest

from smsgate.connectors.hlr import HttpHlrProvider
from smsgate.connectors.hlr.provider import (
    ProviderRefusedError,
    ProviderThrottledError,
    ProviderUnavailableError,
)
from smsgate.domain.hlr import SubscriberState
from tests.connectors.hlr.harness import DOCOMO, TOKEN, connector_config
from tests.connectors.scripted_platform import ScriptedPlatform, answer, split

TIMEOUT = 10.0
FOUND = {
    "status": "ok",
    "imsi": "440101234567890",
    "msc": 819020000123,
    "mcc": "440",
    "mnc": "10",
    "country": "Japan",
    "network": "NTT DOCOMO",
    "ported": True,
    "error": None,
}


def test_a_lookup_as_written_and_its_result() -> None:
    platform = ScriptedPlatform([answer(200, orjson.dumps(FOUND)), answer(200, b'{"x": 1}')])

    async def main() -> str:
        root = await platform.start()
        provider = HttpHlrProvider(connector_config(f"{root}/v1/"))
        try:
            result = await provider.lookup(DOCOMO)
            assert (result.state, result.imsi, result.msc) == (
                SubscriberState.FOUND,
                "440101234567890",
                "819020000123",
            )
            assert (result.mcc, result.mnc, result.network, result.ported) == (
                "440",
                "10",
                "NTT DOCOMO",
                True,
            )
            # what the caller passes is a query value, whatever its characters
            with pytest.raises(ProviderUnavailableError, match="malformed answer"):
                await provider.lookup("+81 90&x=1")
        finally:
            await provider.close()
            await platform.stop()
        return root

    root = asyncio.run(asyncio.wait_for(main(), TIMEOUT))
    assert platform.connections == 1  # kept alive between the two
    (head, body), (odd, _) = map(split, platform.requests)
    assert head[0] == b"GET /v1/hlr?msisdn=%s HTTP/1.1" % DOCOMO.encode()
    assert set(head[1:]) == {
        b"Host: " + root.removeprefix("http://").encode(),
        b"User-Agent: smsgate-hlr/1",
        b"Authorization: Bearer " + TOKEN.encode(),
    }
    assert body == b""
    assert odd[0] == b"GET /v1/hlr?msisdn=%2B81%2090%26x%3D1 HTTP/1.1"


def test_what_each_answer_means() -> None:
    big = orjson.dumps({**FOUND, "network": "N" * 300})  # past max_answer_bytes: not read
    platform = ScriptedPlatform(
        [
            answer(429, b"", b"Retry-After: 3"),
            answer(429, b"", b"Retry-After: Wed, 21 Oct 2026 07:28:00 GMT"),
            answer(400, b'{"error": "malformed msisdn"}'),
            answer(410, b""),
            answer(200, big),
            answer(403, b'{"error": "bad token"}'),
            answer(503, b""),
        ]
    )

    async def main() -> None:
        provider = HttpHlrProvider(connector_config(await platform.start(), max_answer_bytes=200))
        try:
            with pytest.raises(ProviderThrottledError) as throttled:
                await provider.lookup(DOCOMO)
            assert throttled.value.retry_after == 3.0
            with pytest.raises(ProviderThrottledError) as dated:
                await provider.lookup(DOCOMO)
            assert dated.value.retry_after is None  # the connector's own pause applies
            with pytest.raises(ProviderRefusedError) as invalid:
                await provider.lookup(DOCOMO)
            assert invalid.value.invalid_number
            assert invalid.value.detail == "HTTP 400: malformed msisdn"
            with pytest.raises(ProviderRefusedError) as refused:
                await provider.lookup(DOCOMO)
            assert not refused.value.invalid_number
            with pytest.raises(ProviderUnavailableError, match="malformed answer"):
                await provider.lookup(DOCOMO)  # a 200 whose body was not read
            with pytest.raises(ProviderUnavailableError, match="HTTP 403: bad token"):
                await provider.lookup(DOCOMO)
            with pytest.raises(ProviderUnavailableError, match="HTTP 503"):
                await provider.lookup(DOCOMO)
        finally:
            await provider.close()
            await platform.stop()

    asyncio.run(asyncio.wait_for(main(), TIMEOUT))
    assert len(platform.requests) == 7
    assert platform.connections == 2  # closed after the body left unread


def test_a_provider_that_does_not_answer_is_unavailable() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{unused.getsockname()[1]}"
    silent = ScriptedPlatform([None])

    async def main() -> None:
        refused = HttpHlrProvider(connector_config(closed))
        waiting = HttpHlrProvider(connector_config(await silent.start(), request_timeout=0.2))
        try:
            with pytest.raises(ProviderUnavailableError, match="ConnectionRefusedError"):
                await refused.lookup(DOCOMO)
            with pytest.raises(ProviderUnavailableError, match=r"no answer within 0\.2 s"):
                await waiting.lookup(DOCOMO)
        finally:
            await refused.close()
            await waiting.close()
            await silent.stop()

    asyncio.run(asyncio.wait_for(main(), TIMEOUT))
