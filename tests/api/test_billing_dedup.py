"""Prices, prepaid balances, max_price, Idempotency-Key, the identical-request window and campaign
tags through the whole gateway (HTTP and SMPP on loopback), on both store backends."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from smsgate.api.http.schemas import BalanceView, CampaignCanceled, MessageCounts
from smsgate.domain.account import Account, hash_api_key, new_api_key
from smsgate.domain.ids import new_id
from smsgate.domain.pricing import to_micros
from smsgate.engine.clock import ManualClock
from smsgate.smpp.constants import CommandStatus
from tests.api.harness import TIMEOUT, Running, running_gateway
from tests.api.smpp_server.customers import Customer, add_smpp_account, smpp_port, submit
from tests.store.backends import BACKENDS, StoreBackend, store_backend

PRICES = [
    {"per_segment": "0.05", "currency": "EUR"},
    {"per_segment": "0.07", "currency": "EUR", "country": "JP", "carrier": "docomo"},
]
CALLBACK = "https://client.example/status"

Scenario = Callable[[Running, ManualClock], Awaitable[None]]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


def run(backend: StoreBackend, scenario: Scenario, **settings: Any) -> None:
    async def main() -> None:
        clock = ManualClock()
        settings.setdefault("prices", PRICES)
        async with running_gateway(backend.url, clock, **settings) as gw:
            await scenario(gw, clock)

    asyncio.run(main())


async def account_of(gw: Running, name: str = "a") -> Account:
    assert gw.app.store is not None
    account = await gw.app.store.account_by_api_key_hash(hash_api_key(gw.keys[name]))
    assert account is not None
    return account


async def prepay(gw: Running, amount: str, name: str = "a") -> str:
    """Give the account a balance (as the CLI does, in the store) and let the gateway see it."""
    assert gw.app.store is not None and gw.app.gateway is not None
    account = await account_of(gw, name)
    await gw.app.store.set_balance(account.id, to_micros(Decimal(amount)), 0.0)
    await gw.app.gateway.reload_balances()
    return account.id


async def balance(gw: Running, name: str = "a") -> Any:
    reply = await gw.client.get("/v1/balance", headers=gw.headers(name))
    assert reply.status_code == 200
    return reply.json()


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


async def drained(gw: Running) -> None:
    assert gw.app.gateway is not None
    await gw.app.gateway.writer.drain()


def test_fifty_parallel_clients_get_exactly_the_hundred_messages_paid_for(
    backend: StoreBackend,
) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        await prepay(gw, "5.00")  # 100 messages at 0.05
        base = str(gw.client.base_url)
        clients = [httpx.AsyncClient(base_url=base, timeout=TIMEOUT) for _ in range(50)]

        async def client(number: int, http: httpx.AsyncClient) -> list[int]:
            codes = []
            for attempt in range(4):
                reply = await http.post(
                    "/v1/messages",
                    json={"to": f"+4915112{number:03d}{attempt:03d}", "text": f"m {attempt}"},
                    headers=gw.headers(),
                )
                codes.append(reply.status_code)
                if reply.status_code == 402:
                    assert reply.json()["error"]["code"] == "insufficient_balance"
            return codes

        try:
            answers = await asyncio.gather(*(client(i, c) for i, c in enumerate(clients)))
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
        codes = [code for codes in answers for code in codes]
        assert codes.count(202) == 100 and codes.count(402) == 100
        assert (await balance(gw))["balance"] == "0"
        assert gw.app.store is not None
        assert await gw.app.store.count_messages((await account_of(gw)).id) == 100
        # a top-up (another process writes the store) is seen by the next request
        assert gw.app.store is not None
        await gw.app.store.add_balance((await account_of(gw)).id, 50_000, 1.0)
        clock.advance(2)
        assert (await gw.send(to="+4915199999999")).status_code == 202

    run(backend, scenario)


def test_price_fixed_at_acceptance_and_given_back_when_never_at_a_carrier(
    backend: StoreBackend,
) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        await prepay(gw, "1.00")
        assert (await balance(gw)) == {
            "prepaid": True,
            "balance": "1",
            "currency": "EUR",
            "updated_at": "1970-01-01T00:00:00.000Z",
        }
        later = iso(clock.time() + 600)
        # two segments of GSM-7 to a German number: 2 x 0.05
        long = (await gw.send(to="+4915112345678", text="x" * 200, scheduled_at=later)).json()
        assert (long["price"], long["price_unit"], long["segments"]) == ("0.10", "EUR", 2)
        short = (await gw.send(to="+4915112345679", scheduled_at=later, validity=60)).json()
        assert (await balance(gw))["balance"] == "0.85"
        # canceled: given back
        canceled = await gw.client.post(f"/v1/messages/{long['id']}/cancel", headers=gw.headers())
        assert canceled.json()["status"] == "canceled"
        await drained(gw)
        assert (await balance(gw))["balance"] == "0.95"
        # expired before it was sent: given back
        assert gw.app.gateway is not None
        clock.advance(700)
        gw.app.gateway.dispatcher.wake()
        assert await gw.wait_final([short["id"]]) == {short["id"]: "expired"}
        await drained(gw)
        assert (await balance(gw))["balance"] == "1"
        # delivered: paid
        sent = (await gw.send(to="+4915112345670")).json()
        assert await gw.wait_final([sent["id"]]) == {sent["id"]: "delivered"}
        await drained(gw)
        assert (await balance(gw))["balance"] == "0.95"
        # refused by the carrier (so never at it): given back
        assert gw.app.simulator is not None
        gw.app.simulator.config.reject_destinations = ("4915112345666",)
        refused = (await gw.send(to="+4915112345666")).json()
        assert await gw.wait_final([refused["id"]]) == {refused["id"]: "failed"}
        await drained(gw)
        assert (await balance(gw))["balance"] == "0.95"
        # a postpaid account is never refused and has no balance
        assert (await balance(gw, "b"))["prepaid"] is False
        assert (await gw.send("b", to="+4915112345671")).status_code == 202

    run(backend, scenario)


def test_max_price_fails_the_message_with_a_callback(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        await prepay(gw, "1.00")
        reply = await gw.send(to="+4915112345678", max_price="0.04", callback_url=CALLBACK)
        assert reply.status_code == 202
        failed = reply.json()
        assert failed["status"] == "failed" and failed["error_code"] == "price_exceeded"
        assert "0.04" in failed["error_detail"]
        await drained(gw)
        assert gw.app.store is not None
        items, _ = await gw.app.store.list_outbox(
            (await account_of(gw)).id, subject_id=failed["id"]
        )
        assert [(i.event, i.payload["error_code"]) for i in items] == [("failed", "price_exceeded")]
        assert (await balance(gw))["balance"] == "1"  # nothing reserved
        ok = (await gw.send(to="+4915112345678", max_price="0.05")).json()
        assert ok["status"] == "queued" and ok["price"] == "0.05"
        bad = await gw.send(to="+4915112345678", max_price="-1")
        assert bad.status_code == 400

    run(backend, scenario)


def test_a_prepaid_account_is_refused_an_unpriced_destination(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        await add_account(gw, "yen", currency="JPY")  # the price list has no yen
        assert (await gw.send("yen", to="+4915112345678")).status_code == 202  # postpaid
        await prepay(gw, "100", "yen")
        reply = await gw.send("yen", to="+4915112345679")
        assert reply.status_code == 422 and reply.json()["error"]["code"] == "no_price"
        assert (await balance(gw, "yen"))["currency"] == "JPY"

    run(backend, scenario)


async def add_account(gw: Running, name: str, **fields: Any) -> None:
    assert gw.app.store is not None
    key = new_api_key()
    await gw.app.store.create_account(
        Account(id=new_id(), name=name, api_key_hash=hash_api_key(key), rate_limit=1000, **fields)
    )
    gw.keys[name] = key


def test_idempotency_key_replays_the_first_answer_and_survives_a_restart(
    backend: StoreBackend,
) -> None:
    async def main() -> None:
        clock = ManualClock()
        headers: dict[str, str] = {}
        async with running_gateway(backend.url, clock) as gw:
            headers = {**gw.headers(), "Idempotency-Key": "order-7/try"}
            body = {"to": "+4915112345678", "text": "Your code is 1234"}
            first = await gw.client.post("/v1/messages", json=body, headers=headers)
            again = await gw.client.post("/v1/messages", json=body, headers=headers)
            assert first.status_code == again.status_code == 202
            assert again.content == first.content
            assert again.headers["idempotent-replayed"] == "true"
            assert "idempotent-replayed" not in first.headers
            # the same key with another request is an error, not a replay
            other = await gw.client.post(
                "/v1/messages", json={**body, "text": "other"}, headers=headers
            )
            assert other.status_code == 422
            assert other.json()["error"]["code"] == "idempotency_key_reused"
            # the key belongs to its account
            theirs = await gw.client.post(
                "/v1/messages",
                json=body,
                headers={**gw.headers("b"), "Idempotency-Key": "order-7/try"},
            )
            assert theirs.status_code == 202 and theirs.json()["id"] != first.json()["id"]
            # a batch: the whole answer, mixed outcomes included
            batch_headers = {**gw.headers(), "Idempotency-Key": "batch-1"}
            batch = {
                "messages": [{"to": "+4915112345670", "text": "a"}, {"to": "nope", "text": "b"}]
            }
            one = await gw.client.post("/v1/messages/batch", json=batch, headers=batch_headers)
            two = await gw.client.post("/v1/messages/batch", json=batch, headers=batch_headers)
            assert one.status_code == two.status_code == 202 and one.content == two.content
            assert one.json()["accepted"] == 1
            # a request that accepted nothing keeps no answer: it acts again when retried
            nothing_headers = {**gw.headers(), "Idempotency-Key": "nothing"}
            bad = {"to": "nope", "text": "x"}
            assert (
                await gw.client.post("/v1/messages", json=bad, headers=nothing_headers)
            ).status_code == 422
            good = await gw.client.post(
                "/v1/messages", json={"to": "+4915112345677", "text": "x"}, headers=nothing_headers
            )
            assert good.status_code == 202
            assert gw.app.store is not None
            account = await gw.app.store.account_by_api_key_hash(hash_api_key(gw.keys["a"]))
            assert account is not None
            assert await gw.app.store.count_messages(account.id) == 3
            key_a = gw.keys["a"]
        # a restart: the answer is still there (it was written with the message)
        async with running_gateway(backend.url, clock) as gw:
            gw.keys["old"] = key_a
            headers = {**gw.headers("old"), "Idempotency-Key": "order-7/try"}
            after = await gw.client.post("/v1/messages", json=body, headers=headers)
            assert after.status_code == 202 and after.content == first.content
            # 24 hours later the key is free again
            clock.advance(86_401)
            fresh = await gw.client.post("/v1/messages", json=body, headers=headers)
            assert fresh.status_code == 202 and fresh.json()["id"] != first.json()["id"]

    asyncio.run(main())


def test_identical_requests_are_refused_within_the_window(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        first = await gw.send(text="Your code is 1234")
        assert first.status_code == 202
        again = await gw.send(text="Your code is 1234")
        assert again.status_code == 409 and again.json()["error"]["code"] == "identical"
        # another text, number or account is not the same request
        assert (await gw.send(text="Your code is 1235")).status_code == 202
        assert (await gw.send(to="+819012345679", text="Your code is 1234")).status_code == 202
        assert (await gw.send("b", text="Your code is 1234")).status_code == 202
        # a batch refuses its own repeats one by one
        batch = {"messages": [{"to": "+4915112345678", "text": "t"}] * 2}
        reply = await gw.client.post("/v1/messages/batch", json=batch, headers=gw.headers())
        results = reply.json()["results"]
        assert "message" in results[0] and results[1]["error"]["code"] == "identical"
        # the window passes on the engine's clock
        clock.advance(59)
        assert (await gw.send(text="Your code is 1234")).status_code == 409
        clock.advance(1)
        assert (await gw.send(text="Your code is 1234")).status_code == 202
        metrics = (await gw.client.get("/metrics")).text
        assert 'smsgate_messages_refused_total{code="identical"} 3' in metrics
        assert "smsgate_identical_window_entries " in metrics
        # an account may turn it off
        await add_account(gw, "repeats", dedup_window=0.0)
        assert (await gw.send("repeats")).status_code == 202
        assert (await gw.send("repeats")).status_code == 202

        # SMPP customers get the same check, as ESME_RSUBMITFAIL
        await add_smpp_account(gw.app, "alice")
        connection = await Customer().bind(smpp_port(gw.app), "alice")
        answers = [await connection.request(submit("Same again")) for _ in range(2)]
        assert [a.command_status for a in answers] == [
            CommandStatus.ESME_ROK,
            CommandStatus.ESME_RSUBMITFAIL,
        ]
        await connection.unbind_and_close()

    run(backend, scenario, identical_window=60.0)


def test_campaign_tag_lists_counts_and_cancels_a_bulk(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        await prepay(gw, "1.00")
        later = iso(clock.time() + 3600)
        spring = [
            (await gw.send(to=f"+49151123456{i:02d}", tag="spring", scheduled_at=later)).json()
            for i in range(3)
        ]
        assert all(m["tag"] == "spring" for m in spring)
        other = (await gw.send(to="+4915112345699", tag="autumn", scheduled_at=later)).json()
        listed = await gw.client.get("/v1/messages", params={"tag": "spring"}, headers=gw.headers())
        assert {m["id"] for m in listed.json()["messages"]} == {m["id"] for m in spring}
        count = await gw.client.get(
            "/v1/messages/count", params={"tag": "spring"}, headers=gw.headers()
        )
        assert count.json() == {"total": 3, "by_status": {"scheduled": 3}}
        assert (await balance(gw))["balance"] == "0.8"
        canceled = await gw.client.post(
            "/v1/messages/cancel", params={"tag": "spring"}, headers=gw.headers()
        )
        assert canceled.json() == {"tag": "spring", "canceled": 3, "not_cancelable": 0}
        count = await gw.client.get(
            "/v1/messages/count", params={"tag": "spring"}, headers=gw.headers()
        )
        assert count.json() == {"total": 3, "by_status": {"canceled": 3}}
        await drained(gw)
        assert (await balance(gw))["balance"] == "0.95"
        # the other campaign and other accounts are untouched
        kept = await gw.client.get(f"/v1/messages/{other['id']}", headers=gw.headers())
        assert kept.json()["status"] == "scheduled"
        theirs = await gw.client.post(
            "/v1/messages/cancel", params={"tag": "autumn"}, headers=gw.headers("b")
        )
        assert theirs.json()["canceled"] == 0
        missing = await gw.client.post("/v1/messages/cancel", headers=gw.headers())
        assert missing.status_code == 400

    run(backend, scenario)


def test_the_new_answers_match_the_published_document(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        document = (await gw.client.get("/openapi.json")).json()
        for path in ("/v1/balance", "/v1/messages/count", "/v1/messages/cancel"):
            assert path in document["paths"]
        send = document["paths"]["/v1/messages"]["post"]
        assert send["parameters"][0]["name"] == "Idempotency-Key"
        await prepay(gw, "2")
        BalanceView.model_validate(await balance(gw))
        BalanceView.model_validate(await balance(gw, "b"))
        await gw.send(tag="t")
        count = await gw.client.get("/v1/messages/count", params={"tag": "t"}, headers=gw.headers())
        assert MessageCounts.model_validate(count.json()).total == 1
        cancel = await gw.client.post(
            "/v1/messages/cancel", params={"tag": "t"}, headers=gw.headers()
        )
        CampaignCanceled.model_validate(cancel.json())

    run(backend, scenario)


def test_smpp_customers_pay_from_the_same_balance(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        assert gw.app.store is not None and gw.app.gateway is not None
        account = await add_smpp_account(gw.app, "payer")
        await gw.app.store.set_balance(account.id, to_micros(Decimal("0.05")), 0.0)
        await gw.app.gateway.reload_balances()
        connection = await Customer().bind(smpp_port(gw.app), "payer")
        answers = [await connection.request(submit(f"paid {i}")) for i in range(2)]
        assert [a.command_status for a in answers] == [
            CommandStatus.ESME_ROK,
            CommandStatus.ESME_RPROHIBITED,
        ]
        await connection.unbind_and_close()
        assert await gw.app.store.balance(account.id) == (0, clock.time())

    run(backend, scenario)


def test_a_reservation_survives_a_restart_and_is_given_back_after_it(
    backend: StoreBackend,
) -> None:
    async def main() -> None:
        clock = ManualClock()
        async with running_gateway(backend.url, clock, prices=PRICES) as gw:
            await prepay(gw, "1")
            later = iso(clock.time() + 600)
            kept = (await gw.send(to="+4915112345678", scheduled_at=later, validity=60)).json()
            assert (await balance(gw))["balance"] == "0.95"
            key = gw.keys["a"]
        async with running_gateway(backend.url, clock, prices=PRICES) as gw:
            gw.keys["a"] = key
            assert (await balance(gw))["balance"] == "0.95"
            assert gw.app.gateway is not None
            clock.advance(700)
            gw.app.gateway.dispatcher.wake()
            assert await gw.wait_final([kept["id"]]) == {kept["id"]: "expired"}
            await drained(gw)
            assert (await balance(gw))["balance"] == "1"
            # and the balance the restarted gateway holds in memory is the stored one
            assert (await gw.send(to="+4915112345679")).status_code == 202
            assert (await balance(gw))["balance"] == "0.95"

    asyncio.run(main())


def test_the_store_refuses_what_a_stale_balance_in_memory_would_let_through(
    backend: StoreBackend,
) -> None:
    """As when another node spent the money: this gateway's copy still shows it."""

    async def scenario(gw: Running, clock: ManualClock) -> None:
        account_id = await prepay(gw, "1.00")
        assert gw.app.store is not None
        await gw.app.store.set_balance(account_id, to_micros(Decimal("0.02")), 1.0)
        reply = await gw.send(to="+4915112345678")
        assert reply.status_code == 402
        assert reply.json()["error"]["code"] == "insufficient_balance"
        assert await gw.app.store.count_messages(account_id) == 0
        assert await gw.app.store.balance(account_id) == (20_000, 1.0)
        # the gateway reads the balance again: the next message is refused before the store
        clock.advance(2)
        assert (await gw.send(to="+4915112345679")).status_code == 402
        assert gw.app.gateway is not None
        assert gw.app.gateway.billing.balances.available(account_id) == 20_000

    run(backend, scenario)
