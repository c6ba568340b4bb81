"""The KDDI Message Cast guide's two SMS sample requests (3.1 and the Postman one) replayed whole
(path, headers, body) from tests/fixtures/kddi/, with only the repairs listed there, and their
answers compared with the guide's. Its +message samples are replayed in test_kddi_rcs.py."""

import asyncio
import base64
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from smsgate.domain.account import Account, hash_api_key
from smsgate.domain.status import Status
from smsgate.engine.clock import ManualClock
from tests.api.harness import Running, add_account, running_gateway
from tests.fixtures.kddi_samples import Sample, sample
from tests.store.backends import StoreBackend

BOT = "bot-0001"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# when the guide's Postman answer was given: the clock stands there
ANSWERED = datetime(2022, 3, 22, 11, 44, 30, 231_000, tzinfo=UTC).timestamp()
# 参考資料 (Postman): Basic auth user testUser, its path's bot botId_dummy
POSTMAN_USER = "testUser"
POSTMAN_BOT = "botId_dummy"
# the answer the guide shows for it, with HTTP 202 Accepted
POSTMAN_ANSWER = {
    "smsmessage": {
        "orderId": "05840e5f-fbe3-41c3-8af9-a3e363d5a678",
        "status": "pending",
        "msgId": "05840e5f-fbe3-41c3-8af9-a3e363d5a678",
        "timestamp": "2022-03-22T11:44:30.231Z",
    },
    "Destination": "sms",
}


async def account_with_bot(gw: Running, name: str, bot: str) -> Account:
    assert gw.app.store is not None
    if name not in gw.keys:
        gw.keys[name] = await add_account(gw.app, name)
    found = await gw.app.store.account_by_api_key_hash(hash_api_key(gw.keys[name]))
    assert found is not None
    account = replace(found, bot_id=bot, retention=None)
    await gw.app.store.update_account(account)
    return account


async def replay(
    gw: Running, sample: Sample, user: str, body: dict[str, Any] | None = None
) -> httpx.Response:
    """The sample as written (`body` in place of its own), with the Basic auth section 1.1
    requires (user: the account's name, password: its API key)."""
    token = base64.b64encode(f"{user}:{gw.keys[user]}".encode()).decode()
    headers = {**sample.headers_with(gw.keys[user]), "Authorization": f"Basic {token}"}
    content = orjson.dumps(sample.body if body is None else body)
    return await gw.client.post(sample.target(bot_id=BOT), content=content, headers=headers)


def run(backend: StoreBackend, scenario: Any, start: float | None = None) -> None:
    async def main() -> None:
        clock = ManualClock() if start is None else ManualClock(start)
        async with running_gateway(backend.url, clock) as gw:
            await scenario(gw)

    asyncio.run(main())


def test_the_postman_sample_answered_as_the_guide_shows(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        account = await account_with_bot(gw, POSTMAN_USER, POSTMAN_BOT)
        postman = sample("postman")
        answer = await replay(gw, postman, POSTMAN_USER)
        assert (answer.status_code, answer.reason_phrase) == (202, "Accepted"), answer.text
        body = answer.json()
        assert list(body) == list(POSTMAN_ANSWER) and body["Destination"] == "sms"
        sms, guide = body["smsmessage"], POSTMAN_ANSWER["smsmessage"]
        assert isinstance(guide, dict) and list(sms) == list(guide)
        # the ids are this gateway's own; like the guide's, a UUID, the same in both fields
        assert UUID.fullmatch(sms["msgId"]) and sms["orderId"] == sms["msgId"]
        assert (sms["status"], sms["timestamp"]) == (guide["status"], guide["timestamp"])
        # status check by that msgId: dst "1" sent it to au, smsTextEnc's text was sent
        status_path = f"{postman.path}/{sms['msgId']}/status"
        auth = base64.b64encode(f"{POSTMAN_USER}:{gw.keys[POSTMAN_USER]}".encode()).decode()
        assert gw.app.gateway is not None
        stored = await gw.app.gateway.queries.message(account.id, sms["msgId"].replace("-", ""))
        await gw.wait_final([stored.id])
        checked = await gw.client.get(status_path, headers={"Authorization": f"Basic {auth}"})
        assert checked.status_code == 200
        state = checked.json()["smsmessage"]
        assert (state["msgId"], state["orderId"]) == (sms["msgId"], sms["msgId"])
        assert (state["status"], state["carrier"]) == ("delivered", "au")
        assert (state["userContact"], state["smsNumber"]) == ("+817012345678", "0312345678")
        assert state["timestamp"] == guide["timestamp"]  # the clock has not moved
        assert stored.text == "【SMSサービス正常性確認開始】\r\n個人端末から配信試験実施"
        # the guide's own smsTextEnc writes the line break LF where smsText has CR LF (the
        # fixture's is re-encoded from smsText): the same text, and its LF version is sent
        as_guide = orjson.loads(orjson.dumps(postman.body))
        lf = "【SMSサービス正常性確認開始】\n個人端末から配信試験実施"
        as_guide["smsmessage"]["smsTextEnc"] = base64.b64encode(lf.encode("utf-16-be")).decode()
        again = await replay(gw, postman, POSTMAN_USER, as_guide)
        assert again.status_code == 202, again.text
        msg_id = again.json()["smsmessage"]["msgId"].replace("-", "")
        assert (await gw.app.gateway.queries.message(account.id, msg_id)).text == lf

    run(backend, scenario, start=ANSWERED)


def test_the_sms_sample_of_section_3_1(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        account = await account_with_bot(gw, "a", BOT)
        answer = await replay(gw, sample("3.1"), "a")
        assert answer.status_code == 202, answer.text
        sms = answer.json()["smsmessage"]
        assert sms["status"] == "pending" and sms["orderId"] == sms["msgId"]
        assert gw.app.gateway is not None
        stored = await gw.app.gateway.queries.message(account.id, sms["msgId"].replace("-", ""))
        # RCSMessage is not read for SMS; smsText and smsTextEnc agree
        assert stored.text == "これは、SMSテストメッセージです"
        assert (stored.destination, stored.source) == ("819012345678", "81123456789")
        assert await gw.wait_final([stored.id]) == {stored.id: Status.DELIVERED}

    run(backend, scenario)
