"""The simulated RCS platform over real loopback HTTP, driven by a plain HTTP client, with its
webhooks received by a recording HTTP server."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from smsgate.bench.receiver import CallbackReceiver
from smsgate.simulator.rcs import CAPABILITIES, RcsSimulator, RcsSimulatorConfig
from smsgate.simulator.rcs_handsets import Reach, first_suggestion

TIMEOUT = 10.0
TOKEN = "sim-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Platform:
    simulator: RcsSimulator
    client: httpx.AsyncClient
    webhooks: CallbackReceiver

    def events(self) -> list[dict[str, Any]]:
        return [orjson.loads(item.body) for item in self.webhooks.received]

    def statuses(self, msg_id: str) -> list[str]:
        return [
            e["RCSMessage"]["status"]
            for e in self.events()
            if e["event"] == "messageStatus" and e["RCSMessage"]["msgId"] == msg_id
        ]

    async def send(self, to: str, bot: str = "bot", **content: Any) -> httpx.Response:
        body = {
            "RCSMessage": content or {"textMessage": "hi"},
            "messageContact": {"userContact": to},
        }
        return await self.client.post(f"/bot/v1/{bot}/messages", json=body)


@asynccontextmanager
async def platform(**fields: Any) -> AsyncIterator[Platform]:
    webhooks = CallbackReceiver()
    base = await webhooks.start()
    defaults: dict[str, Any] = {
        "port": 0,
        "token": TOKEN,
        "webhook_url": f"{base}/events",
        "webhook_token": "hook-token",
        "capable_prefixes": ("+8190",),
        "delivery_delay": 0.02,
        "read_delay": 0.02,
        "reply_delay": 0.01,
        "tap_share": 0.0,
        "reply_share": 0.0,
        "webhook_retry_delay": 0.02,
    }
    defaults.update(fields)
    simulator = RcsSimulator(RcsSimulatorConfig(**defaults))
    await simulator.start()
    client = httpx.AsyncClient(base_url=simulator.base_url, headers=AUTH, timeout=TIMEOUT)
    try:
        yield Platform(simulator, client, webhooks)
    finally:
        await client.aclose()
        await simulator.stop()
        await webhooks.stop()


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(scenario(), 3 * TIMEOUT)

    asyncio.run(bounded())


def test_a_message_is_accepted_reported_and_kept_on_the_handset() -> None:
    async def scenario() -> None:
        async with platform() as p:
            answer = await p.send("+819012345678", textMessage="Hello")
            assert answer.status_code == 202
            msg_id = answer.json()["RCSMessage"]["msgId"]
            assert answer.json()["RCSMessage"]["status"] == "pending"
            await p.webhooks.wait_for(4, TIMEOUT)  # sent, newUser, delivered, displayed
            assert [e["event"] for e in p.events()] == [
                "messageStatus",
                "newUser",
                "messageStatus",
                "messageStatus",
            ]
            assert p.statuses(msg_id) == ["sent", "delivered", "displayed"]
            assert all(
                item.headers["authorization"] == "Bearer hook-token" for item in p.webhooks.received
            )
            first = p.events()[0]
            assert first["botId"] == "bot"
            assert first["messageContact"] == {"userContact": "+819012345678"}
            (received,) = p.simulator.handset("819012345678")
            assert received.content == {"textMessage": "Hello"}
            assert p.simulator.message_state(msg_id) == "displayed"

    run(scenario)


def test_refusals() -> None:
    async def scenario() -> None:
        async with platform(max_body_bytes=1000) as p:
            bad_token = await p.client.post(
                "/bot/v1/bot/messages", json={}, headers={"Authorization": "Bearer nope"}
            )
            assert bad_token.status_code == 401
            not_json = await p.client.post("/bot/v1/bot/messages", content=b"{")
            assert not_json.status_code == 400 and "not JSON" in not_json.json()["error"]
            no_content = await p.send("+819012345678", unknown="x")
            assert no_content.status_code == 400
            no_plus = await p.send("819012345678")
            assert no_plus.status_code == 400 and "E.164" in no_plus.json()["error"]
            too_big = await p.send("+819012345678", textMessage="x" * 2000)
            assert too_big.status_code == 413
            not_capable = await p.send("+817012345678")
            assert (
                not_capable.status_code == 404 and "cannot receive" in not_capable.json()["error"]
            )
            assert p.simulator.counters["accepted"] == 0

    run(scenario)


def test_capabilities_follow_the_prefixes_and_a_fixed_share() -> None:
    async def scenario() -> None:
        async with platform(capable_share=0.8, seed=7) as p:
            for number, status in [
                ("+819012345678", 200),
                ("+817012345678", 404),
                ("+818091234567", 200),  # uninstalled: still answers capable
            ]:
                answer = await p.client.get(
                    "/bot/v1/bot/contactCapabilities", params={"userContact": number}
                )
                assert answer.status_code == status
                if status == 200:
                    assert answer.json() == {"capabilities": CAPABILITIES}
            sim = p.simulator
            numbers = [f"+8180{n:08d}" for n in range(2000)]
            reach = [sim.reach(number) for number in numbers]
            share = reach.count(Reach.CAPABLE) / len(numbers)
            assert 0.76 < share < 0.84
            same_seed = RcsSimulator(RcsSimulatorConfig(capable_share=0.8, seed=7))
            assert [same_seed.reach(number) for number in numbers] == reach
            other_seed = RcsSimulator(RcsSimulatorConfig(capable_share=0.8, seed=8))
            assert [other_seed.reach(number) for number in numbers] != reach
            assert sim.reach("818091234567") is Reach.UNINSTALLED

    run(scenario)


def test_an_uninstalled_app_leaves_the_message_sent_and_revoke_takes_it_back() -> None:
    async def scenario() -> None:
        async with platform(read_share=0.0) as p:
            gone = (await p.send("+818091234567")).json()["RCSMessage"]["msgId"]
            here = (await p.send("+819012345678")).json()["RCSMessage"]["msgId"]
            # both were due at the same time: once one is delivered, the other never will be
            await p.webhooks.wait_for(4, TIMEOUT)  # two sent, newUser, one delivered
            assert p.statuses(here) == ["sent", "delivered"]
            assert p.statuses(gone) == ["sent"]
            assert p.simulator.handset("+818091234567") == []
            cancel = {"RCSMessage": {"status": "cancelled"}}
            revoked = await p.client.put(f"/bot/v1/bot/messages/{gone}/status", json=cancel)
            assert revoked.status_code == 204
            assert p.simulator.message_state(gone) == "cancelled"
            late = await p.client.put(f"/bot/v1/bot/messages/{here}/status", json=cancel)
            assert late.status_code == 409
            assert late.json()["RCSMessage"]["status"] == "delivered"
            unknown = await p.client.put("/bot/v1/bot/messages/nope/status", json=cancel)
            assert unknown.status_code == 404
            other_bot = await p.client.put(f"/bot/v1/other/messages/{gone}/status", json=cancel)
            assert other_bot.status_code == 404
            wrong = await p.client.put(
                f"/bot/v1/bot/messages/{gone}/status", json={"RCSMessage": {"status": "x"}}
            )
            assert wrong.status_code == 400

    run(scenario)


def test_a_message_sent_again_under_its_msg_id_is_delivered_once() -> None:
    async def scenario() -> None:
        async with platform(read_share=0.0) as p:
            first = await p.send("+819012345678", textMessage="once", msgId="mine-1")
            again = await p.send("+819012345678", textMessage="once", msgId="mine-1")
            assert first.json()["RCSMessage"]["msgId"] == "mine-1"
            assert again.status_code == 202 and again.json()["RCSMessage"]["msgId"] == "mine-1"
            await p.webhooks.wait_for(3, TIMEOUT)  # sent, newUser, delivered
            assert p.statuses("mine-1") == ["sent", "delivered"]
            assert len(p.simulator.handset("+819012345678")) == 1
            assert p.simulator.counters["repeated"] == 1

    run(scenario)


def test_failures_taps_and_replies() -> None:
    async def scenario() -> None:
        async with platform(failure_share=1.0) as p:
            msg_id = (await p.send("+819012345678")).json()["RCSMessage"]["msgId"]
            await p.webhooks.wait_for(2, TIMEOUT)
            assert p.statuses(msg_id) == ["sent", "failed"]
            assert p.simulator.handset("+819012345678") == []
        chips = {
            "suggestions": [
                {"action": {"displayText": "Open", "postback": {"data": "open:1"}}},
                {"reply": {"displayText": "No", "postback": {"data": "no"}}},
            ]
        }
        async with platform(tap_share=1.0, reply_share=1.0, reply_texts=("Sure",)) as p:
            await p.send("+819012345678", textMessage="Pick", suggestedChipList=chips)
            await p.send("+819087654321", textMessage="Plain")
            await p.webhooks.wait_for(10, TIMEOUT)  # 2 x (sent, newUser, delivered, displayed, +1)
            by_event = {e["event"]: e for e in p.events() if e["event"] in ("response", "message")}
            tapped = by_event["response"]["RCSMessage"]["suggestedResponse"]["response"]
            assert tapped == {"action": {"displayText": "Open", "postback": {"data": "open:1"}}}
            assert by_event["response"]["messageContact"] == {"userContact": "+819012345678"}
            assert by_event["message"]["RCSMessage"]["textMessage"] == "Sure"
            assert by_event["message"]["messageContact"] == {"userContact": "+819087654321"}

    run(scenario)


def test_the_rate_per_bot_is_answered_429() -> None:
    async def scenario() -> None:
        async with platform(rate_per_bot=2.0) as p:
            answers = [(await p.send("+819012345678")).status_code for _ in range(3)]
            assert answers == [202, 202, 429]
            throttled = await p.send("+819012345678")
            assert throttled.status_code == 429
            assert float(throttled.headers["retry-after"]) > 0
            assert (await p.send("+819012345678", bot="other")).status_code == 202

    run(scenario)


def test_webhooks_are_retried_and_the_records_are_bounded() -> None:
    async def scenario() -> None:
        async with platform(
            read_share=0.0, new_user_events=False, handset_messages=2, handsets=2
        ) as p:
            p.webhooks.status = 503
            await p.send("+819012345678", textMessage="m0")
            await p.webhooks.wait_for(1, TIMEOUT)
            p.webhooks.status = 200
            await p.webhooks.wait_for(3, TIMEOUT)  # the refused sent again, then delivered
            assert p.simulator.webhook_counters["retried"] >= 1
            assert p.simulator.webhook_counters["given_up"] == 0
            for n in range(1, 3):
                await p.send("+819012345678", textMessage=f"m{n}")
            await p.webhooks.wait_for(3 + 2 * 2, TIMEOUT)
            kept = [item.content["textMessage"] for item in p.simulator.handset("+819012345678")]
            assert kept == ["m1", "m2"]  # two per number: the oldest went
            await p.send("+819011111111")
            await p.send("+819022222222")
            await p.webhooks.wait_for(3 + 2 * 2 + 2 * 2, TIMEOUT)
            # two numbers kept: the one least recently written to went
            assert p.simulator.handset("+819012345678") == []
            assert len(p.simulator.handset("+819011111111")) == 1

    run(scenario)


def test_first_suggestion_finds_chips_and_card_suggestions() -> None:
    reply = {"reply": {"displayText": "Yes", "postback": {"data": "y"}}}
    card = {
        "richcardMessage": {
            "message": {"generalPurposeCard": {"content": {"title": "t", "suggestions": [reply]}}}
        }
    }
    carousel = {
        "richcardMessage": {
            "message": {"generalPurposeCardCarousel": {"content": [{"suggestions": [reply]}]}}
        }
    }
    assert first_suggestion({"suggestedChipList": {"suggestions": [reply]}}) == reply
    assert first_suggestion(card) == reply
    assert first_suggestion(carousel) == reply
    assert first_suggestion({"textMessage": "no suggestions"}) is None
    assert first_suggestion({"suggestedChipList": {"suggestions": ["junk", {}]}}) is None


def test_the_webhook_url_may_be_set_once_the_gateway_is_up() -> None:
    async def scenario() -> None:
        async with platform(read_share=0.0, new_user_events=False) as p:
            url = p.simulator.config.webhook_url
            p.simulator.config.webhook_url = ""  # not known yet: events are not posted
            first = (await p.send("+819012345678")).json()["RCSMessage"]["msgId"]
            p.simulator.config.webhook_url = url
            second = (await p.send("+819012345678")).json()["RCSMessage"]["msgId"]
            await p.webhooks.wait_for(2, TIMEOUT)
            # whatever of the first message's events came after the URL was set
            await p.webhooks.wait_for(len(p.statuses(first)) + 2, TIMEOUT)
            assert p.statuses(second) == ["sent", "delivered"]
            assert "sent" not in p.statuses(first)

    run(scenario)
