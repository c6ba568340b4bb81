"""Each channel end to end: the connector sends to the simulated provider over loopback HTTP,
the provider's reports come back through the webhook routes to a recording engine."""

import dataclasses
from typing import Any

import pytest

from smsgate.domain.status import Status
from tests.connectors.providers.harness import (
    SENDER,
    connector_id,
    part,
    rig,
    run,
    simulator_config,
)

# a part of each channel that its provider takes, and the fields its recipient gets
GOOD: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "voice": (
        "Your table is ready",
        {"voice": "w2"},
        {"voice": "w2", "text": "Your table is ready"},
    ),
    "viber": ("Your parcel is on its way", {}, {"text": "Your parcel is on its way"}),
    "telegram": ("", {"code": "482913"}, {"code": "482913"}),
    "bot": (
        "Order 42 shipped",
        {"bot": "@acme_shop_bot"},
        {"bot": "@acme_shop_bot", "text": "Order 42 shipped"},
    ),
    "social": ("See you Friday", {}, {"text": "See you Friday"}),
}
# what a channel's provider reports for a message that reached its recipient
REACHED = {
    "voice": (["answered"], [Status.DELIVERED]),
    "viber": (["delivered", "read"], [Status.DELIVERED, Status.DISPLAYED]),
    "telegram": (["delivered", "read"], [Status.DELIVERED, Status.DISPLAYED]),
    "bot": (["delivered", "read"], [Status.DELIVERED, Status.DISPLAYED]),
    "social": (["delivered"], [Status.DELIVERED]),
}


@pytest.mark.parametrize("channel", sorted(GOOD))
def test_a_part_is_sent_then_reaches_its_recipient(channel: str) -> None:
    async def scenario() -> None:
        async with rig((channel,)) as r:
            text, content, got = GOOD[channel]
            sent = part(1, text=text or "ignored", channel=channel, **content)
            assert r.connector(channel).submit(sent)
            labels, statuses = REACHED[channel]
            assert await r.events.wait_for_labels(sent.key, len(labels)) == labels
            carrier_id = r.events.carrier_id(sent.key)
            assert r.events.accepted_parts == [(sent.key, carrier_id, connector_id(channel))]
            assert carrier_id.startswith(channel + "-")
            reports = r.events.reports(carrier_id)
            assert [x.status for x in reports] == statuses
            assert {x.error for x in reports} == {"000"}
            assert {c for c, _ in r.events.receipts} == {connector_id(channel)}
            assert not r.events.failures
            (received,) = r.simulator.received("79161234567")
            assert (received.channel, received.id) == (channel, carrier_id)
            assert received.fields == {"from": SENDER, **got}
            assert r.connector(channel).stats.receipts == len(labels)

    run(scenario)


@pytest.mark.parametrize("channel", sorted(GOOD))
def test_a_number_that_fails_is_reported_undelivered_with_its_error(channel: str) -> None:
    async def scenario() -> None:
        async with rig((channel,)) as r:
            text, content, _ = GOOD[channel]
            sent = part(1, "79011234567", text or "x", channel, **content)  # failing_prefixes
            assert r.connector(channel).submit(sent)
            assert await r.events.wait_for_labels(sent.key, 1) == ["failed"]
            (report,) = r.events.reports(r.events.carrier_id(sent.key))
            assert (report.status, report.error) == (Status.UNDELIVERED, "006")
            assert r.simulator.received("79011234567") == []

    run(scenario)


@pytest.mark.parametrize("channel", sorted(GOOD))
def test_a_number_without_an_account_fails_the_part_for_good(channel: str) -> None:
    async def scenario() -> None:
        async with rig((channel,)) as r:
            text, content, _ = GOOD[channel]
            sent = part(1, "79001234567", text or "x", channel, **content)  # unreachable
            assert r.connector(channel).submit(sent)
            error, detail, permanent = await r.events.wait_for_failure(sent.key)
            assert (error, permanent) == ("undeliverable", True)
            assert "HTTP 404" in detail and channel in detail
            assert not r.events.accepted_parts
            assert r.connector(channel).is_up  # a refusal is an answer

    run(scenario)


def test_a_call_nobody_answers_is_undelivered() -> None:
    async def scenario() -> None:
        async with rig(("voice",)) as r:
            sent = part(1, "79021234567", "Your table is ready", "voice")  # no_answer_prefixes
            assert r.connector("voice").submit(sent)
            assert await r.events.wait_for_labels(sent.key, 1) == ["no_answer"]
            (report,) = r.events.reports(r.events.carrier_id(sent.key))
            assert (report.status, report.error) == (Status.UNDELIVERED, "006")
            assert r.simulator.received("79021234567") == []

    run(scenario)


def test_a_call_reads_a_code_out_in_the_default_voice() -> None:
    async def scenario() -> None:
        async with rig(("voice",)) as r:
            sent = part(1, text="code", channel="voice", code="5521")
            assert r.connector("voice").submit(sent)
            assert await r.events.wait_for_labels(sent.key, 1) == ["answered"]
            (received,) = r.simulator.received("+79161234567")
            assert received.fields == {"from": SENDER, "voice": "m", "code": "5521"}

    run(scenario)


def test_a_telegram_code_may_come_as_the_text() -> None:
    async def scenario() -> None:
        async with rig(("telegram",)) as r:
            sent = part(1, text=" 12345678 ", channel="telegram")
            assert r.connector("telegram").submit(sent)
            await r.events.wait_for_labels(sent.key, 1)
            (received,) = r.simulator.received("79161234567")
            assert received.fields["code"] == "12345678"

    run(scenario)


def test_unread_messages_stay_delivered() -> None:
    async def scenario() -> None:
        async with rig(("viber",), simulator_config(read_share=0.0)) as r:
            sent = part(1)
            assert r.connector().submit(sent)
            assert await r.events.wait_for_labels(sent.key, 1) == ["delivered"]
            # whether a message is read is decided as it is delivered: later messages only
            r.simulator.config.read_share = 1.0
            other = part(2)
            assert r.connector().submit(other)
            assert await r.events.wait_for_labels(other.key, 2) == ["delivered", "read"]
            # one lane per number, in order: the first message's read would have come first
            assert r.events.labels(r.events.carrier_id(sent.key)) == ["delivered"]

    run(scenario)


REFUSED = [
    ("telegram", "", {"code": "123"}, "the code must be 4 to 8 digits"),
    ("telegram", "", {"code": "123456789"}, "the code must be 4 to 8 digits"),
    ("telegram", "your code is 1234", {}, "the code must be 4 to 8 digits"),
    (
        "telegram",
        "",
        {"code": "\uff11\uff12\uff13\uff14"},
        "the code must be 4 to 8 digits",
    ),  # not ASCII digits
    ("bot", "hello", {}, "no bot"),
    ("bot", "hello", {"bot": "acme_bot"}, "is not a bot's @name"),
    ("bot", "hello", {"bot": "@ab"}, "is not a bot's @name"),
    ("voice", "hello", {"voice": "x9"}, "unknown voice"),
    ("voice", "hello", {"voice": 3}, "voice must be a string"),
    ("voice", "hello", {"code": "12a4"}, "the code must be 4 to 8 digits"),
    ("viber", " \n", {}, "the text is empty"),
    ("viber", "x" * 1001, {}, "at most 1000 are allowed"),
    ("social", "x" * 1001, {}, "at most 1000 are allowed"),
]


@pytest.mark.parametrize(("channel", "text", "content", "said"), REFUSED)
def test_fields_the_channel_refuses_fail_the_part_before_sending(
    channel: str, text: str, content: dict[str, Any], said: str
) -> None:
    async def scenario() -> None:
        async with rig((channel,)) as r:
            sent = part(1, text=text, channel=channel, **content)
            assert r.connector(channel).submit(sent)
            error, detail, permanent = await r.events.wait_for_failure(sent.key)
            assert (error, permanent) == ("invalid_channel_content", True)
            assert said in detail
            assert r.simulator.counters["accepted"] == 0
            assert r.connector(channel).stats.refused_fields == 1

    run(scenario)


def test_a_destination_that_is_not_a_number_fails_before_sending() -> None:
    async def scenario() -> None:
        async with rig(("viber",)) as r:
            sent = part(1, destination="someone@example.com")
            assert r.connector().submit(sent)
            error, detail, permanent = await r.events.wait_for_failure(sent.key)
            assert (error, permanent) == ("invalid_destination", True)
            assert "someone@example.com" in detail
            assert r.simulator.counters["accepted"] == 0

    run(scenario)


def test_five_channels_share_one_provider_and_one_webhook_route() -> None:
    async def scenario() -> None:
        async with rig(tuple(GOOD)) as r:
            parts = []
            for n, (channel, (text, content, _)) in enumerate(sorted(GOOD.items())):
                sent = part(n, f"7916000000{n}", text or "x", channel, **content)
                assert r.connector(channel).submit(sent)
                parts.append((channel, sent))
            for channel, sent in parts:
                labels, _ = REACHED[channel]
                assert await r.events.wait_for_labels(sent.key, len(labels)) == labels
            by_connector = {c for c, _ in r.events.receipts}
            assert by_connector == {connector_id(channel) for channel in GOOD}

    run(scenario)


def test_a_parts_validity_goes_with_it() -> None:
    async def scenario() -> None:
        async with rig(("social",)) as r:
            sent = dataclasses.replace(part(1, channel="social"), valid_until=1_900_000_000.5)
            assert r.connector("social").submit(sent)
            await r.events.wait_for_labels(sent.key, 1)
            (received,) = r.simulator.received("79161234567")
            assert received.fields["valid_until"] == 1_900_000_000

    run(scenario)
