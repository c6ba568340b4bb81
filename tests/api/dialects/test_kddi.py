"""KDDI Message Cast (SMS part) against a whole gateway over real HTTP, on both store backends:
the guide's SMS samples' bodies with their answers checked field by field, the status check,
result and MO notifications in the dialect's shape, and every error status the guide lists."""

import asyncio
import base64
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from smsgate.bench.receiver import CallbackReceiver
from smsgate.callbacks.channel import HttpChannel
from smsgate.domain.account import Account, hash_api_key
from smsgate.domain.inbound import InboundNumber
from smsgate.domain.outbox import OutboxItem
from tests.api.harness import Running, add_account, running_gateway
from tests.fixtures.kddi_samples import sample
from tests.store.backends import BACKENDS, StoreBackend, store_backend

BOT = "bot-0001"
PATH = f"/kddi/v1/fallback/rcs/bot/v1/{BOT}/messages"
SMS_HEADERS = {
    "X-Plusmsg-mkn-Authorization": "Bearer smsonly",
    "X-Plusmsg-tmt-Authorization": "Bearer smsonly",
    "X-Plusmsg-gmp-Authorization": "Bearer smsonly",
    "X-Fallback": "2",
}
UTC_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")  # as the guide's answer
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# the guide's 3.1 SMS sample and its Postman sample (bodies only; tests/fixtures/kddi/ lists
# their repairs, test_kddi_guide replays them whole)
SAMPLE_SMS: dict[str, Any] = sample("3.1").body
SAMPLE_POSTMAN: dict[str, Any] = sample("postman").body
SMS_TEXT = "これは、SMSテストメッセージです"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


def run(
    backend: StoreBackend, scenario: Callable[[Running], Awaitable[None]], **settings: Any
) -> None:
    async def main() -> None:
        async with running_gateway(backend.url, **settings) as gw:
            await scenario(gw)

    asyncio.run(main())


async def setup(gw: Running, name: str = "a", **settings: Any) -> Account:
    """Give the account the bot (and the settings)."""
    store = gw.app.store
    assert store is not None
    found = await store.account_by_api_key_hash(hash_api_key(gw.keys[name]))
    assert found is not None
    account = replace(found, bot_id=BOT if name == "a" else f"{BOT}-{name}", **settings)
    await store.update_account(account)
    return account


def basic(account: Account, key: str) -> dict[str, str]:
    token = base64.b64encode(f"{account.id}:{key}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def post(
    gw: Running, account: Account, document: Any, *, path: str = PATH, **headers: str
) -> httpx.Response:
    sent = {**SMS_HEADERS, **basic(account, gw.keys["a"]), **headers}
    content = document if isinstance(document, bytes) else orjson.dumps(document)
    return await gw.client.post(
        path, content=content, headers={"Content-Type": "application/json", **sent}
    )


def test_guide_samples_status_check_and_result_notifications(backend: StoreBackend) -> None:
    async def main() -> None:
        receiver = CallbackReceiver()
        base = await receiver.start()
        try:
            async with running_gateway(backend.url) as gw:
                account = await setup(
                    gw, callback_url=f"{base}/result", callback_format="kddi", retention=None
                )
                answers = [await post(gw, account, s) for s in (SAMPLE_SMS, SAMPLE_POSTMAN)]
                ids = []
                for answer in answers:
                    assert answer.status_code == 202, answer.text
                    body = answer.json()
                    assert list(body) == ["smsmessage", "Destination"]
                    assert body["Destination"] == "sms"
                    sms = body["smsmessage"]
                    assert list(sms) == ["orderId", "status", "msgId", "timestamp"]
                    assert sms["status"] == "pending"
                    # one request, one message: orderId is msgId, a UUID (as the guide's)
                    assert UUID.fullmatch(sms["msgId"]) and sms["orderId"] == sms["msgId"]
                    assert UTC_MS.fullmatch(sms["timestamp"])
                    ids.append(sms["msgId"])
                await gw.wait_final([i.replace("-", "") for i in ids])

                status = await gw.client.get(
                    f"{PATH}/{ids[0]}/status", headers=basic(account, gw.keys["a"])
                )
                assert status.status_code == 200
                sms = status.json()["smsmessage"]
                assert status.json()["Destination"] == "sms"
                assert sms["msgId"] == ids[0]
                assert sms["orderId"] == answers[0].json()["smsmessage"]["orderId"]
                assert sms["status"] == "delivered"
                assert sms["userContact"] == "+819012345678"
                assert sms["smsNumber"] == "0123456789"
                assert sms["errorCode"] is None and sms["errorMessage"] is None
                assert UTC_MS.fullmatch(sms["timestamp"])
                second = await gw.client.get(
                    f"{PATH}/{ids[1]}/status", headers=basic(account, gw.keys["a"])
                )
                assert second.json()["smsmessage"]["carrier"] == "au"  # dst 1 forces au
                stored = await gw.app.gateway.queries.message(account.id, ids[0].replace("-", ""))  # type: ignore[union-attr]
                assert stored.text == SMS_TEXT
                await receiver.wait_for(6, 20)
        finally:
            await receiver.stop()
        seen: dict[str, list[str]] = {}
        for request in receiver.received:
            assert request.path == "/result"
            note = orjson.loads(request.body)
            assert list(note) == ["smsmessage", "Destination"]
            sms = note["smsmessage"]
            assert UTC_MS.fullmatch(sms["timestamp"]) and sms["orderId"] == sms["msgId"]
            seen.setdefault(sms["msgId"], []).append(sms["status"])
        assert seen == {i: ["pending", "sent", "delivered"] for i in ids}

    asyncio.run(main())


def test_mo_notification_to_the_bots_mo_url(backend: StoreBackend) -> None:
    async def main() -> None:
        receiver = CallbackReceiver()
        base = await receiver.start()
        try:
            async with running_gateway(backend.url) as gw:
                account = await setup(gw, inbound_url=f"{base}/mo", callback_format="kddi")
                store, simulator = gw.app.store, gw.app.simulator
                assert store is not None and simulator is not None
                await store.add_inbound_number(InboundNumber("81312345678", "", account.id, 0.0))
                answer = await simulator.send_mo("smsgate", "819011112222", "81312345678", "Yes")
                assert answer.command_status == 0
                await receiver.wait_for(1, 20)
        finally:
            await receiver.stop()
        (request,) = receiver.received
        note = orjson.loads(request.body)
        assert request.path == "/mo"
        assert note["Destination"] == "sms"
        sms = note["smsmessage"]
        assert sms["userContact"] == "+819011112222"
        assert sms["smsNumber"] == "0312345678"
        assert sms["smsText"] == "Yes"
        assert UTC_MS.fullmatch(sms["timestamp"])

    asyncio.run(main())


def test_result_notifications_time_out_in_half_a_second_and_are_retried_three_times(
    backend: StoreBackend,
) -> None:
    async def main() -> None:
        receiver = CallbackReceiver(delay=1.0)  # answers after the format's half second
        base = await receiver.start()
        try:
            async with running_gateway(backend.url) as gw:
                worker = gw.app.callbacks
                assert worker is not None and isinstance(worker.channel, HttpChannel)
                worker.channel.config.timeout = 5.0  # the KDDI format's own half second applies
                worker.policy = replace(worker.policy, first_delay=0.01, factor=1.0)
                worker.config.poll_interval = 0.01
                outcomes: list[str] = []
                first: list[OutboxItem] = []
                done = asyncio.Event()

                def on_settled(item: OutboxItem, outcome: str) -> None:
                    if not first:
                        first.append(item)  # the first notification ("pending")
                    if item.id == first[0].id:
                        outcomes.append(outcome)
                        if outcome == "abandoned":
                            done.set()

                worker.on_settled = on_settled
                account = await setup(gw, callback_url=f"{base}/result", callback_format="kddi")
                answer = await post(gw, account, SAMPLE_SMS)
                assert answer.status_code == 202
                store = gw.app.store
                assert store is not None
                await asyncio.wait_for(done.wait(), 20)
                item = await store.outbox_item(first[0].id)
        finally:
            await receiver.stop()
        assert outcomes == ["retried", "retried", "retried", "abandoned"]
        assert item is not None and item.attempts == 4  # the first and three retries
        assert item.last_error == "no answer within 0.5 s"

    asyncio.run(main())


def test_refused_requests_with_the_guides_statuses(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        account = await setup(gw)
        creds = basic(account, gw.keys["a"])

        async def refused(answer: httpx.Response, status: int, words: str) -> None:
            assert answer.status_code == status, answer.text
            error = answer.json()["error"]
            assert list(error) == ["code", "status", "message", "reason"]
            assert error["code"] == status
            assert words in error["message"]

        # 400: the body, the text, the channel
        await refused(await post(gw, account, b"{not json"), 400, "not valid JSON")
        mismatch = orjson.loads(orjson.dumps(SAMPLE_SMS))
        mismatch["smsmessage"]["smsText"] = "something else"
        await refused(await post(gw, account, mismatch), 400, "smsText and smsTextEnc differ")
        garbled = orjson.loads(orjson.dumps(SAMPLE_SMS))
        garbled["smsmessage"]["smsTextEnc"] = "%%%"
        await refused(await post(gw, account, garbled), 400, "not base64")
        await refused(await post(gw, account, {"smsmessage": {"smsText": "x"}}), 400, "userContact")
        national = {**SAMPLE_POSTMAN, "messageContact": {"userContact": "09012345678"}}
        await refused(await post(gw, account, national), 400, "+81")
        no_text = {**SAMPLE_SMS, "smsmessage": {"smsNumber": "0312345678"}}
        await refused(await post(gw, account, no_text), 400, "smsText is required")
        bad_dst = {**SAMPLE_SMS, "smsmessage": {"smsText": "x", "dst": "9"}}
        await refused(await post(gw, account, bad_dst), 400, "dst")
        too_long = {**SAMPLE_SMS, "smsmessage": {"smsText": "あ" * 661}}
        await refused(await post(gw, account, too_long), 400, "660")
        # +message (X-Fallback 0, 1) with the SMS tokens; SMS with another token
        for fallback in ("0", "1"):
            answer = await post(gw, account, SAMPLE_SMS, **{"X-Fallback": fallback})
            await refused(answer, 400, "'Bearer smsonly' is for SMS")
        rcs_token = {"X-Plusmsg-gmp-Authorization": f"Bearer {gw.keys['a']}"}
        answer = await post(gw, account, SAMPLE_SMS, **rcs_token)
        await refused(answer, 400, "X-Fallback 2 (SMS only) takes 'Bearer smsonly'")
        for fallback in ("3", ""):
            answer = await post(gw, account, SAMPLE_SMS, **{"X-Fallback": fallback})
            await refused(answer, 400, "X-Fallback must be 0")
        # 401: Basic auth and the carriers' authorisation headers
        no_auth = await gw.client.post(PATH, json=SAMPLE_SMS, headers=SMS_HEADERS)
        await refused(no_auth, 401, "Basic")
        assert no_auth.headers["www-authenticate"].startswith("Basic")
        wrong_key = basic(account, "sg_wrong")
        await refused(await post(gw, account, SAMPLE_SMS, **wrong_key), 401, "unknown API key")
        wrong_user = {
            "Authorization": "Basic " + base64.b64encode(f"b:{gw.keys['a']}".encode()).decode()
        }
        await refused(await post(gw, account, SAMPLE_SMS, **wrong_user), 401, "Basic auth user")
        headers = {**SMS_HEADERS, **creds}
        del headers["X-Plusmsg-tmt-Authorization"]
        missing = await gw.client.post(PATH, json=SAMPLE_SMS, headers=headers)
        await refused(missing, 401, "X-Plusmsg-tmt-Authorization")
        # 403: another account's bot, a source address outside the allow-list
        other_bot = PATH.replace(BOT, f"{BOT}-b")
        await refused(await post(gw, account, SAMPLE_SMS, path=other_bot), 403, "not this account")
        # (accounts are cached for a while: each allow-list on an account not used yet)
        fenced = await setup(gw, "b", ip_allow="192.0.2.0/24")
        fenced_path = PATH.replace(BOT, f"{BOT}-b")
        outside = await post(
            gw, fenced, SAMPLE_SMS, path=fenced_path, **basic(fenced, gw.keys["b"])
        )
        await refused(outside, 403, "127.0.0.1")
        gw.keys["c"] = await add_account(gw.app, "c")
        inside = await setup(gw, "c", ip_allow="127.0.0.1 192.0.2.0/24")
        inside_path = PATH.replace(BOT, f"{BOT}-c")
        answer = await post(gw, inside, SAMPLE_SMS, path=inside_path, **basic(inside, gw.keys["c"]))
        assert answer.status_code == 202
        # 404: a status check for a message the account does not have
        unknown = await gw.client.get(f"{PATH}/{'0' * 32}/status", headers=creds)
        await refused(unknown, 404, "No such message")

    run(backend, scenario)


def test_over_the_bots_tps_and_gateway_states(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        account = await setup(gw, rate_limit=1.0)
        answers = [await post(gw, account, SAMPLE_SMS) for _ in range(3)]
        assert answers[0].status_code == 202
        over = answers[-1]
        assert over.status_code == 503
        assert over.headers["retry-after"] == "1"
        assert over.json()["error"]["reason"] == "throttled"
        await setup(gw)
        gateway = gw.app.gateway
        assert gateway is not None
        gateway.ready.clear()  # starting or stopping: 502
        down = await post(gw, account, SAMPLE_SMS)
        gateway.ready.set()
        assert down.status_code == 502
        assert down.json()["error"]["reason"] == "unavailable"

    run(backend, scenario)


def test_a_full_queue_answers_504_and_a_failure_500(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        account = await setup(gw)
        answer = await post(gw, account, SAMPLE_SMS)
        assert answer.status_code == 504
        assert answer.json()["error"]["reason"] == "queue_full"
        # 500: an unexpected failure (here the store is gone) in this API's shape
        assert gw.app.store is not None
        await gw.app.store.close()
        creds = basic(account, gw.keys["a"])
        broken = await gw.client.get(f"{PATH}/{'0' * 32}/status", headers=creds)
        assert broken.status_code == 500
        assert broken.json()["error"]["reason"] == "internal"

    run(backend, scenario, queue_capacity=0)
