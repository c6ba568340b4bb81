"""The RCS webhook routes over real HTTP: what each event becomes, and the refusals."""

import asyncio
from typing import Any

import httpx
import orjson
import pytest

from smsgate.connectors.rcs import RcsConnector, parse_event
from smsgate.domain.errors import GatewayError
from smsgate.domain.status import Status
from smsgate.engine.ports import DeliveryReport, UserEvent
from tests.connectors.rcs.harness import (
    CONNECTOR_ID,
    TIMEOUT,
    WEBHOOK_TOKEN,
    Recorder,
    WebhookServer,
    connector_config,
    run,
)

CONTACT = {"userContact": "+819012345678"}
AUTH = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}


def status_event(status: str, msg_id: str = "abc") -> dict[str, Any]:
    return {
        "event": "messageStatus",
        "botId": "bot",
        "RCSMessage": {"msgId": msg_id, "status": status, "timestamp": "2026-01-01T00:00:00Z"},
        "messageContact": CONTACT,
    }


@pytest.mark.parametrize(
    ("word", "status"),
    [
        ("sent", Status.SENT),
        ("delivered", Status.DELIVERED),
        ("displayed", Status.DISPLAYED),
        ("failed", Status.UNDELIVERED),
        ("cancelled", Status.REVOKED),
        ("queued", None),  # a word the platform may add later: reported without a status
    ],
)
def test_a_status_becomes_a_delivery_report(word: str, status: Status | None) -> None:
    report = parse_event(orjson.dumps(status_event(word)))
    assert report == DeliveryReport(("abc",), status, word)


def test_user_events_become_user_events() -> None:
    text = {"msgId": "u1", "textMessage": "Hello", "timestamp": "t"}
    place = {"msgId": "u2", "geolocationPushMessage": {"type": "geo", "label": "Home"}}
    tap = {
        "msgId": "u3",
        "suggestedResponse": {
            "response": {"action": {"displayText": "Call us", "postback": {"data": "call"}}}
        },
    }
    cases = [
        ("message", text, UserEvent("message", "bot", "819012345678", text, "u1", "Hello")),
        ("message", place, UserEvent("message", "bot", "819012345678", place, "u2", "")),
        ("response", tap, UserEvent("response", "bot", "819012345678", tap, "u3", "Call us")),
    ]
    for kind, message, expected in cases:
        body = {"event": kind, "botId": "bot", "RCSMessage": message, "messageContact": CONTACT}
        assert parse_event(orjson.dumps(body)) == expected
    new_user = {"event": "newUser", "botId": "bot", "messageContact": {"userContact": "tel:+8190"}}
    assert parse_event(orjson.dumps(new_user)) == UserEvent("newUser", "bot", "8190")


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (orjson.dumps({"event": "other"}), "event must be"),
        (orjson.dumps({"event": "messageStatus", "RCSMessage": {"msgId": "a"}}), "status"),
        (orjson.dumps({"event": "messageStatus", "RCSMessage": {"status": "sent"}}), "msgId"),
        (orjson.dumps({"event": "newUser", "messageContact": CONTACT}), "botId"),
        (
            orjson.dumps(
                {"event": "newUser", "botId": "b", "messageContact": {"userContact": "x"}}
            ),
            "E.164",
        ),
        (
            orjson.dumps(
                {
                    "event": "message",
                    "botId": "b",
                    "RCSMessage": {"msgId": "m", "audio": 1},
                    "messageContact": CONTACT,
                }
            ),
            "none of textMessage",
        ),
        (
            orjson.dumps(
                {
                    "event": "response",
                    "botId": "b",
                    "RCSMessage": {"msgId": "m", "suggestedResponse": {"response": {}}},
                    "messageContact": CONTACT,
                }
            ),
            "reply or an action",
        ),
    ],
)
def test_a_malformed_event_is_refused_with_what_is_wrong(body: bytes, named: str) -> None:
    with pytest.raises(GatewayError) as error:
        parse_event(body)
    assert error.value.code == "invalid_request"
    assert named in error.value.detail


def test_the_route_answers_only_once_the_engine_took_the_event() -> None:
    async def scenario() -> None:
        server = WebhookServer()
        base = await server.start()
        connector = RcsConnector(connector_config("http://127.0.0.1:9", max_webhook_bytes=1024))
        server.connectors[CONNECTOR_ID] = connector
        url = server.url(base)
        events = Recorder()
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                # not started: the platform must send it again later
                answer = await client.post(url, json=status_event("sent"), headers=AUTH)
                assert answer.status_code == 503
                await connector.start(events)

                order: list[str] = []

                async def slow_engine(_: object) -> None:
                    await asyncio.sleep(0.05)  # the write's time
                    order.append("persisted")

                events.hook = slow_engine
                answer = await client.post(url, json=status_event("delivered"), headers=AUTH)
                order.append(f"answered {answer.status_code}")
                assert order == ["persisted", "answered 200"]
                assert events.receipts == [DeliveryReport(("abc",), Status.DELIVERED, "delivered")]

                async def failing_engine(_: object) -> None:
                    raise RuntimeError("the store is closed")

                events.hook = failing_engine
                answer = await client.post(url, json=status_event("displayed"), headers=AUTH)
                assert answer.status_code == 503
                assert answer.json()["error"]["code"] == "unavailable"
                assert len(events.receipts) == 1

                events.hook = None
                refusals = [
                    (None, 401),
                    ({"Authorization": "Bearer wrong"}, 401),
                    ({"Authorization": f"Basic {WEBHOOK_TOKEN}"}, 401),
                ]
                for headers, status in refusals:
                    answer = await client.post(url, json=status_event("sent"), headers=headers)
                    assert answer.status_code == status
                    assert answer.json()["error"]["code"] == "unauthorized"
                answer = await client.post(url, content=b"{", headers=AUTH)
                assert answer.status_code == 400
                assert answer.json()["error"]["detail"] == "the body is not JSON"
                big = status_event("sent", msg_id="x" * 2000)
                answer = await client.post(url, json=big, headers=AUTH)
                assert answer.status_code == 413
                assert answer.json()["error"]["code"] == "request_too_large"
                answer = await client.post(
                    server.url(base, "other"), json=status_event("sent"), headers=AUTH
                )
                assert answer.status_code == 404
                assert len(events.receipts) == 1  # none of the refused ones reached the engine
                assert connector.stats.webhooks_refused == 7
        finally:
            await connector.stop(1.0)
            await server.stop()

    run(scenario)


def test_an_oversized_body_without_a_length_is_cut_off() -> None:
    async def scenario() -> None:
        server = WebhookServer()
        base = await server.start()
        connector = RcsConnector(connector_config("http://127.0.0.1:9", max_webhook_bytes=1024))
        server.connectors[CONNECTOR_ID] = connector
        events = Recorder()
        await connector.start(events)

        async def chunks() -> Any:
            for _ in range(10):
                yield b"x" * 512

        try:
            async with httpx.AsyncClient(timeout=TIMEOUT) as client:
                answer = await client.post(server.url(base), content=chunks(), headers=AUTH)
                assert answer.status_code == 413
        finally:
            await connector.stop(1.0)
            await server.stop()

    run(scenario)
