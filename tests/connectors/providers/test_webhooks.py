"""The provider webhook routes over real HTTP: what a report becomes, and the refusals."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest

from smsgate.connectors.providers import CHANNELS, HttpProvider, ProviderConnector, webhook_paths
from smsgate.domain.errors import GatewayError
from smsgate.domain.status import Status
from smsgate.engine.ports import DeliveryReport
from tests.connectors.providers.harness import (
    TIMEOUT,
    WEBHOOK_TOKEN,
    Recorder,
    WebhookServer,
    connector_config,
    run,
)

AUTH = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}


def parse(channel: str, body: Any) -> DeliveryReport:
    provider = HttpProvider(CHANNELS[channel], connector_config(channel, "http://127.0.0.1:9"))
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return provider.parse_event(raw)


@pytest.mark.parametrize(
    ("channel", "word", "status"),
    [
        ("viber", "sent", Status.SENT),
        ("viber", "delivered", Status.DELIVERED),
        ("viber", "read", Status.DISPLAYED),
        ("viber", "failed", Status.UNDELIVERED),
        ("viber", "expired", Status.EXPIRED),
        ("viber", "rejected", Status.FAILED),
        ("telegram", "read", Status.DISPLAYED),
        ("bot", "READ", Status.DISPLAYED),
        ("voice", "answered", Status.DELIVERED),
        ("voice", "no_answer", Status.UNDELIVERED),
        ("voice", "busy", Status.UNDELIVERED),
        ("voice", "read", None),  # a call is not read: a word this channel does not know
        ("social", "read", None),
        ("social", "delivered", Status.DELIVERED),
    ],
)
def test_a_providers_word_becomes_a_status(channel: str, word: str, status: Status | None) -> None:
    report = parse(channel, {"id": "x1", "status": word, "error": "000"})
    assert report == DeliveryReport(("x1",), status, word, "000")


def test_an_error_code_given_as_a_number_is_written_with_three_digits() -> None:
    assert parse("viber", {"id": "x1", "status": "failed", "error": 6}).error == "006"
    assert parse("viber", {"id": "x1", "status": "delivered"}).error == ""


@pytest.mark.parametrize(
    ("body", "said"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        ({"status": "delivered"}, "id must be"),
        ({"id": "", "status": "delivered"}, "id must be"),
        ({"id": "x" * 201, "status": "delivered"}, "id must be"),
        ({"id": "x1"}, "status must be"),
        ({"id": "x1", "status": 3}, "status must be"),
        ({"id": "x1", "status": "failed", "error": ["006"]}, "error must be"),
        ({"id": "x1", "status": "failed", "error": True}, "error must be"),
    ],
)
def test_a_body_that_is_not_a_report_is_refused(body: Any, said: str) -> None:
    with pytest.raises(GatewayError) as refused:
        parse("viber", body)
    assert refused.value.code == "invalid_request"
    assert said in refused.value.detail


@asynccontextmanager
async def served(
    **fields: Any,
) -> AsyncIterator[tuple[httpx.AsyncClient, ProviderConnector, Recorder]]:
    """A started viber connector (its provider never asked: the probe fails quietly) behind
    the webhook routes on loopback."""
    webhooks = WebhookServer()
    base = await webhooks.start()
    connector = ProviderConnector(connector_config("viber", "http://127.0.0.1:9", **fields))
    webhooks.connectors[connector.id] = connector
    events = Recorder()
    await connector.start(events)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as client:
            yield client, connector, events
    finally:
        await connector.stop(0.1)
        await webhooks.stop()


PATH = "/connectors/viber/viber1/events"
REPORT = {"id": "viber-abc", "status": "read", "error": "000"}


def test_a_report_is_answered_200_once_the_engine_took_it() -> None:
    async def scenario() -> None:
        async with served() as (client, connector, events):
            taken = asyncio.Event()
            release = asyncio.Event()

            async def slow_engine(report: DeliveryReport) -> None:
                taken.set()
                await release.wait()

            events.hook = slow_engine
            post = asyncio.create_task(client.post(PATH, json=REPORT, headers=AUTH))
            await asyncio.wait_for(taken.wait(), TIMEOUT)
            assert not post.done()  # not acknowledged before the engine persisted it
            release.set()
            answer = await post
            assert answer.status_code == 200
            assert events.receipts == [
                ("viber1", DeliveryReport(("viber-abc",), Status.DISPLAYED, "read", "000"))
            ]
            assert connector.stats.receipts == 1

    run(scenario)


@pytest.mark.parametrize(
    ("headers", "path", "body", "status", "code"),
    [
        ({}, PATH, REPORT, 401, "unauthorized"),
        ({"Authorization": "Bearer wrong"}, PATH, REPORT, 401, "unauthorized"),
        ({"Authorization": f"Basic {WEBHOOK_TOKEN}"}, PATH, REPORT, 401, "unauthorized"),
        (AUTH, PATH, b"{oops", 400, "invalid_request"),
        (AUTH, PATH, {"id": "x"}, 400, "invalid_request"),
        (AUTH, PATH, {"id": "x", "status": "read", "pad": "x" * 2000}, 413, "request_too_large"),
        (AUTH, "/connectors/viber/nobody/events", REPORT, 404, "not_found"),
        (AUTH, "/connectors/voice/viber1/events", REPORT, 404, "not_found"),  # another channel
    ],
)
def test_refusals(headers: dict[str, str], path: str, body: Any, status: int, code: str) -> None:
    async def scenario() -> None:
        async with served(max_webhook_bytes=1024) as (client, _, events):
            raw = body if isinstance(body, bytes) else orjson.dumps(body)
            answer = await client.post(path, content=raw, headers=headers)
            assert answer.status_code == status
            assert answer.json()["error"]["code"] == code
            assert events.receipts == []

    run(scenario)


def test_an_oversize_body_sent_in_chunks_is_refused() -> None:
    async def scenario() -> None:
        async with served(max_webhook_bytes=1024) as (client, connector, _):

            async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: read and counted
                for _ in range(8):
                    yield b" " * 200

            answer = await client.post(PATH, content=chunks(), headers=AUTH)
            assert answer.status_code == 413
            assert connector.stats.webhooks_refused == 1

    run(scenario)


def test_a_report_the_engine_could_not_take_is_answered_503() -> None:
    async def scenario() -> None:
        async with served(inbound_timeout=0.05) as (client, _, events):

            async def failing(report: DeliveryReport) -> None:
                raise RuntimeError("the store is down")

            events.hook = failing
            answer = await client.post(PATH, json=REPORT, headers=AUTH)
            assert (answer.status_code, answer.headers["retry-after"]) == (503, "1")
            stuck = asyncio.Event()

            async def slow(report: DeliveryReport) -> None:
                await stuck.wait()

            events.hook = slow
            answer = await client.post(PATH, json=REPORT, headers=AUTH)
            assert answer.status_code == 503
            assert events.receipts == []

    run(scenario)


def test_a_stopped_connector_answers_503() -> None:
    async def scenario() -> None:
        async with served() as (client, connector, _):
            await connector.stop(0.1)
            answer = await client.post(PATH, json=REPORT, headers=AUTH)
            assert answer.status_code == 503
            assert answer.json()["error"]["code"] == "unavailable"

    run(scenario)


def test_the_routes_leave_other_connectors_paths_alone() -> None:
    paths = webhook_paths()
    assert paths == [f"/connectors/{kind}/{{connector_id}}/events" for kind in CHANNELS]
    assert not any(path.startswith("/connectors/rcs/") for path in paths)
