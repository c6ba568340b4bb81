"""The KDDI Message Cast guide's sample requests replayed whole (path, headers, body), with
only the repairs kddi_guide lists: its two SMS samples are sent and their answers compared
with the guide's; its +message samples get the refusal smsgate gives until it has RCS."""

import asyncio
import base64
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx

from smsgate.domain.account import Account, hash_api_key
from smsgate.domain.status import Status
from smsgate.engine.clock import ManualClock
from tests.api.dialects.kddi_guide import (
    POSTMAN,
    POSTMAN_ANSWER,
    POSTMAN_BOT,
    POSTMAN_USER,
    SMS_31,
    Sample,
)
from tests.api.harness import Running, add_account, running_gateway
from tests.store.backends import StoreBackend

BOT = "bot-0001"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# when the guide's Postman answer was given: the clock stands there
ANSWERED = datetime(2022, 3, 22, 11, 44, 30, 231_000, tzinfo=UTC).timestamp()
NO_RCS = "+message (RCS) is not available"


async def account_with_bot(gw: Running, name: str, bot: str) -> Account:
    assert gw.app.store is not None
    if name not in gw.keys:
        gw.keys[name] = await add_account(gw.app, name)
    found = await gw.app.store.account_by_api_key_hash(hash_api_key(gw.keys[name]))
    assert found is not None
    account = replace(found, bot_id=bot, retention=None)
    await gw.app.store.update_account(account)
    return account


async def replay(gw: Running, sample: Sample, user: str, path: str | None = None) -> httpx.Response:
    """The sample as written, with the Basic auth section 1.1 requires (user: the account's
    name, password: its API key); header values are UTF-8 (the placeholders are Japanese)."""
    token = base64.b64encode(f"{user}:{gw.keys[user]}".encode()).decode()
    headers = [(name, value.encode()) for name, value in sample.headers]
    headers.append(("Authorization", f"Basic {token}".encode()))
    target = path or sample.path.format(aggregator="kddi", botId=BOT)
    return await gw.client.post(target, content=sample.body, headers=headers)


def run(backend: StoreBackend, scenario: Any, start: float | None = None) -> None:
    async def main() -> None:
        clock = ManualClock() if start is None else ManualClock(start)
        async with running_gateway(backend.url, clock) as gw:
            await scenario(gw)

    asyncio.run(main())


def test_the_postman_sample_answered_as_the_guide_shows(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        account = await account_with_bot(gw, POSTMAN_USER, POSTMAN_BOT)
        answer = await replay(gw, POSTMAN, POSTMAN_USER)
        assert (answer.status_code, answer.reason_phrase) == (202, "Accepted"), answer.text
        body = answer.json()
        assert list(body) == list(POSTMAN_ANSWER) and body["Destination"] == "sms"
        sms, guide = body["smsmessage"], POSTMAN_ANSWER["smsmessage"]
        assert isinstance(guide, dict) and list(sms) == list(guide)
        # the ids are this gateway's own; like the guide's, a UUID, the same in both fields
        assert UUID.fullmatch(sms["msgId"]) and sms["orderId"] == sms["msgId"]
        assert (sms["status"], sms["timestamp"]) == (guide["status"], guide["timestamp"])
        # status check by that msgId: dst "1" sent it to au, smsTextEnc's text was sent
        status_path = f"{POSTMAN.path}/{sms['msgId']}/status"
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
        assert stored.text == "【SMSサービス正常性確認開始】\n個人端末から配信試験実施"

    run(backend, scenario, start=ANSWERED)


def test_the_sms_sample_of_section_3_1(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        account = await account_with_bot(gw, "a", BOT)
        answer = await replay(gw, SMS_31, "a")
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
