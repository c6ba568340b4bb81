"""The simulated channel provider over real loopback HTTP, driven by a plain HTTP client, with
its reports received by a recording HTTP server."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from smsgate.bench.receiver import CallbackReceiver
from smsgate.simulator.providers import ProvidersSimulator, ProvidersSimulatorConfig, serve

TIMEOUT = 10.0
TOKEN = "sim-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FAST = dict.fromkeys(("voice", "viber", "telegram", "bot", "social"), 0.01)


@dataclass
class Provider:
    simulator: ProvidersSimulator
    client: httpx.AsyncClient
    webhooks: CallbackReceiver
    webhook_base: str

    def reports(self) -> list[tuple[str, dict[str, Any]]]:
        return [(item.path, orjson.loads(item.body)) for item in self.webhooks.received]

    async def send(self, channel: str, to: str = "+79161234567", **fields: Any) -> httpx.Response:
        return await self.client.post(f"/{channel}/send", json={"to": to, **fields})


def config(**fields: Any) -> ProvidersSimulatorConfig:
    defaults: dict[str, Any] = {
        "port": 0,
        "token": TOKEN,
        "webhook_token": "hook-token",
        "delays": FAST,
        "read_delay": 0.01,
        "read_share": 1.0,
        "no_answer_share": 0.0,
        "webhook_retry_delay": 0.02,
    }
    defaults.update(fields)
    return ProvidersSimulatorConfig(**defaults)


@asynccontextmanager
async def provider(**fields: Any) -> AsyncIterator[Provider]:
    webhooks = CallbackReceiver()
    base = await webhooks.start()
    simulator = ProvidersSimulator(config(webhook_url=base + "/hooks/{channel}", **fields))
    await simulator.start()
    client = httpx.AsyncClient(base_url=simulator.base_url, headers=AUTH, timeout=TIMEOUT)
    try:
        yield Provider(simulator, client, webhooks, base)
    finally:
        await client.aclose()
        await simulator.stop()
        await webhooks.stop()


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async def bounded() -> None:
        await asyncio.wait_for(scenario(), 3 * TIMEOUT)

    asyncio.run(bounded())


def test_a_message_is_taken_reported_to_its_channels_url_and_kept() -> None:
    async def scenario() -> None:
        async with provider() as p:
            answer = await p.send("viber", text="Hello", ref="r1", **{"from": "ACME"})
            assert answer.status_code == 200
            found = answer.json()["id"]
            await p.webhooks.wait_for(2, TIMEOUT)
            assert p.reports() == [
                ("/hooks/viber", {"id": found, "status": "delivered", "error": "000"}),
                ("/hooks/viber", {"id": found, "status": "read", "error": "000"}),
            ]
            assert {i.headers["authorization"] for i in p.webhooks.received} == {
                "Bearer hook-token"
            }
            (received,) = p.simulator.received("79161234567")
            assert (received.channel, received.id) == ("viber", found)
            assert received.fields == {"from": "ACME", "text": "Hello"}
            assert p.simulator.received("+79160000000") == []

    run(scenario)


def test_a_call_is_answered_or_not() -> None:
    async def scenario() -> None:
        async with provider() as p:
            # a channel's own URL, over the template, set after start: read at each report
            p.simulator.config.webhook_urls["voice"] = p.webhook_base + "/calls"
            answered = await p.send("voice", text="Hi", voice="w4")
            missed = await p.send("voice", "+79021234567", code="1234")
            await p.webhooks.wait_for(2, TIMEOUT)
            assert {path for path, _ in p.reports()} == {"/calls"}
            by_id = {body["id"]: body["status"] for _, body in p.reports()}
            assert by_id == {
                answered.json()["id"]: "answered",
                missed.json()["id"]: "no_answer",
            }
            assert [r.fields["voice"] for r in p.simulator.received("79161234567")] == ["w4"]
            assert p.simulator.received("79021234567") == []

    run(scenario)


@pytest.mark.parametrize(
    ("channel", "fields", "status", "code"),
    [
        ("viber", {}, 400, "invalid_field"),
        ("viber", {"text": 5}, 400, "invalid_field"),
        ("social", {"text": "  "}, 400, "invalid_field"),
        ("telegram", {"code": "12"}, 400, "invalid_field"),
        ("telegram", {"code": 1234}, 400, "invalid_field"),
        ("bot", {"text": "hi"}, 400, "invalid_field"),
        ("bot", {"text": "hi", "bot": "name"}, 400, "invalid_field"),
        ("voice", {"text": "hi", "voice": "robot"}, 400, "invalid_field"),
        ("voice", {"code": "12345678901"}, 400, "invalid_field"),
        ("viber", {"text": "hi", "ref": "r" * 101}, 400, "invalid_field"),
        ("viber", {"text": "hi", "to": "79161234567"}, 422, "invalid_number"),
        ("viber", {"text": "hi", "to": "+7916 123"}, 422, "invalid_number"),
        ("viber", {"text": "hi", "to": "+79001234567"}, 404, "not_reachable"),
        ("fax", {"text": "hi"}, 404, "unknown_channel"),
    ],
)
def test_refusals(channel: str, fields: dict[str, Any], status: int, code: str) -> None:
    async def scenario() -> None:
        async with provider() as p:
            answer = await p.client.post(f"/{channel}/send", json={"to": "+79161234567", **fields})
            assert answer.status_code == status
            assert answer.json()["error"]["code"] == code
            assert p.simulator.counters["accepted"] == 0

    run(scenario)


def test_token_size_outage_and_rate() -> None:
    async def scenario() -> None:
        async with provider(rate=1.0, max_body_bytes=100) as p:
            body = {"to": "+79161234567", "text": "hi"}
            answer = await p.client.post("/viber/send", json=body, headers={"Authorization": "x"})
            assert answer.status_code == 401
            answer = await p.client.post("/viber/send", json={**body, "text": "x" * 200})
            assert answer.status_code == 413
            assert (await p.client.post("/viber/send", content=b"[")).status_code == 400
            assert (await p.client.get("/viber/health")).json() == {"status": "ok"}
            p.simulator.outage_status = 503
            assert (await p.client.get("/viber/health")).status_code == 503
            assert (await p.client.post("/viber/send", json=body)).status_code == 503
            p.simulator.outage_status = None
            assert (await p.client.post("/viber/send", json=body)).status_code == 200
            limited = await p.client.post("/viber/send", json=body)
            assert limited.status_code == 429
            assert limited.headers["retry-after"] == "1.000"
            # the rate is per channel
            assert (await p.send("social", text="hi")).status_code == 200
            p.simulator.fail_next = 1
            assert (await p.send("bot", text="hi", bot="@acme_bot")).status_code == 500
            counters = p.simulator.counters
            assert (counters["unauthorized"], counters["rate_limited"]) == (1, 1)
            assert (counters["outage"], counters["faults"]) == (2, 1)

    run(scenario)


def test_a_repeated_ref_is_one_message() -> None:
    async def scenario() -> None:
        async with provider() as p:
            first = await p.send("social", text="hi", ref="r1")
            again = await p.send("social", text="hi", ref="r1")
            other = await p.send("viber", text="hi", ref="r1")  # another channel's ref
            assert first.json() == again.json() != other.json()
            await p.webhooks.wait_for(3, TIMEOUT)  # social delivered, viber delivered and read
            assert p.simulator.counters["repeated"] == 1
            assert len(p.simulator.received("79161234567")) == 2

    run(scenario)


def test_ids_and_fates_follow_the_seed_whatever_the_order() -> None:
    async def fates(seed: int, refs: list[str]) -> dict[str, tuple[str, str]]:
        async with provider(seed=seed, failure_share=0.5, no_answer_share=0.3) as p:
            ids = {}
            for ref in refs:
                ids[ref] = (await p.send("voice", text="hi", ref=ref)).json()["id"]
            await p.webhooks.wait_for(len(refs), TIMEOUT)
            status = {body["id"]: body["status"] for _, body in p.reports()}
            return {ref: (found, status[found]) for ref, found in ids.items()}

    async def scenario() -> None:
        refs = [f"r{n}" for n in range(20)]
        first = await fates(7, refs)
        assert await fates(7, refs[::-1]) == first
        assert {status for _, status in first.values()} == {"answered", "no_answer", "failed"}
        assert await fates(8, refs) != first

    run(scenario)


def test_what_a_number_got_is_bounded() -> None:
    async def scenario() -> None:
        async with provider(recipients=2, recipient_messages=2, read_share=0.0) as p:
            for n in range(3):
                await p.send("viber", text=f"to a {n}", to="+7000000001")
            await p.send("viber", text="to b", to="+7000000002")
            await p.send("viber", text="to c", to="+7000000003")
            await p.webhooks.wait_for(5, TIMEOUT)
            assert p.simulator.received("7000000001") == []  # the oldest number forgotten
            assert [r.fields["text"] for r in p.simulator.received("7000000002")] == ["to b"]
            assert len(p.simulator.received("7000000003")) == 1

    run(scenario)


def test_serve_runs_until_told_to_stop(capsys: pytest.CaptureFixture[str]) -> None:
    async def scenario() -> None:
        stop = asyncio.Event()
        stop.set()  # at once: it still starts, names its address, stops and counts
        counters = await asyncio.wait_for(serve(config(), stop), TIMEOUT)
        assert counters["accepted"] == 0

    run(scenario)
    assert capsys.readouterr().out.startswith("simulated channel providers listening on http://")


@pytest.mark.parametrize(
    "fields",
    [
        {"read_share": 1.5},
        {"delays": {"fax": 1.0}},
        {"webhook_urls": {"sms": "http://x"}},
        {"delays": {"voice": -1.0}},
        {"recipients": 0},
        {"rate": 0.0},
    ],
)
def test_a_bad_configuration_is_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ProvidersSimulatorConfig(**fields)
