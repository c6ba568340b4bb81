"""The Zettai Reach! SMS p5 dialect against a whole gateway over real HTTP, on both store
backends, checked against the platform's OpenAPI specification (v1.4.7): mt.json with the
specification's example request, status.json, the reservation endpoints, every responseCode
with its responseMessage, and the DLR push."""

import itertools
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

import orjson

from smsgate.bench.receiver import CallbackReceiver
from smsgate.domain.account import Account, hash_api_key
from smsgate.domain.inbound import InboundNumber
from smsgate.domain.message import Message
from smsgate.domain.status import Status
from smsgate.engine.clock import ManualClock
from tests.api.dialects.clocked import run_clocked
from tests.api.harness import Running, add_account
from tests.store.backends import StoreBackend

API = "/p5/api"
JST = timezone(timedelta(hours=9))
_serial = itertools.count()
STATUS_ITEM = [
    "dateTime",
    "phoneNumber",
    "message",
    "smsCode",
    "carrierId",
    "carrierName",
    "statusId",
    "clientTag",
    "detailedStatusId",
    "separatedSuccessCount",
]
RESERVATION_ITEM = ["scheduleTime", "phoneNumber", "message", "smsCode", "clientTag"]
DLR_ITEM = [
    "type",
    "dateTime",
    "messageId",
    "phoneNumber",
    "smsCode",
    "carrierId",
    "carrierName",
    "messageText",
    "clientId",
    "clientTag",
    "statusId",
    "statusDescription",
    "detailedStatusId",
    "separatedSuccessCount",
]


def credentials(gw: Running, account: str = "a") -> dict[str, str]:
    return {"token": gw.keys[account], "clientId": account}


async def call(gw: Running, endpoint: str, account: str = "a", **form: str) -> dict[str, Any]:
    answer = await gw.client.post(f"{API}/{endpoint}", data={**credentials(gw, account), **form})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    return dict(answer.json())


async def mt(gw: Running, account: str = "a", **form: str) -> dict[str, Any]:
    form.setdefault("smsCode", "12345")
    # a text of its own each time: the same text to the same number is an identical request
    form.setdefault("message", f"ご予約の確認です。{next(_serial)}")
    form.setdefault("phoneNumber", "09012345678")
    return await call(gw, "mt.json", account, **form)


def japan(seconds: float, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return datetime.fromtimestamp(seconds, UTC).astimezone(JST).strftime(pattern)


async def stored(gw: Running, client_tag: str, account: str = "a") -> Message:
    assert gw.app.store is not None
    owner = await account_of(gw, account)
    message = await gw.app.store.message_by_client_ref(owner.id, client_tag)
    assert message is not None
    return message


async def account_of(gw: Running, name: str = "a") -> Account:
    assert gw.app.store is not None
    account = await gw.app.store.account_by_api_key_hash(hash_api_key(gw.keys[name]))
    assert account is not None
    return account


def test_the_specification_example_sent_and_followed_to_delivered(
    backend: StoreBackend,
) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        # the specification's example request with our credentials, without its scheduleTime
        # (long past) and with a clientTag to follow the send
        example = {
            "smsCode": "12345",
            "message": "example message",
            "phoneNumber": "+819012345678",
            "groupTag": "20230101_groupA",
            "clientTag": "example tag",
        }
        sent = await call(gw, "mt.json", **example)
        assert sent == {
            "responseCode": 0,
            "responseMessage": "Success.",
            "phoneNumber": "+819012345678",
            "smsMessage": "example message",
        }
        message = await stored(gw, "example tag")
        assert (message.tag, message.source, message.destination) == (
            "20230101_groupA",
            "12345",
            "819012345678",
        )
        await gw.wait_final([message.id])
        answer = await call(gw, "status.json", clientTag="example tag")
        assert list(answer) == ["responseCode", "responseMessage", "status"]
        assert (answer["responseCode"], answer["responseMessage"]) == (0, "Success.")
        (item,) = answer["status"]
        assert list(item) == STATUS_ITEM
        assert re.fullmatch(r"\d{8} \d{9}", item["dateTime"])  # yyyyMMdd HHmmSSsss
        assert item["dateTime"][:13] == japan(clock.time(), "%Y%m%d %H%M")
        assert item["phoneNumber"] == "+819012345678" and item["message"] == "example message"
        assert item["smsCode"] == 12345 and item["clientTag"] == "example tag"
        assert (item["statusId"], item["detailedStatusId"]) == ("2", "2")
        assert item["separatedSuccessCount"] == 1
        # carrierId forces the carrier (101 au, 103 docomo, 105 SoftBank, 106 Rakuten)
        forced = await mt(gw, clientTag="order-2", carrierId="101", phoneNumber="09012345678")
        assert forced["responseCode"] == 0 and forced["phoneNumber"] == "+819012345678"
        message = await stored(gw, "order-2")
        assert message.carrier == "au"
        await gw.wait_final([message.id])
        (item,) = (await call(gw, "status.json", clientTag="order-2"))["status"]
        assert (item["carrierId"], item["carrierName"]) == ("101", "AU")
        # a long message is one send, concatenated: 660 characters in 10 UCS-2 segments
        long = await mt(gw, clientTag="order-3", message="あ" * 660, phoneNumber="07012345678")
        assert long["responseCode"] == 0 and long["smsMessage"] == "あ" * 660
        message = await stored(gw, "order-3")
        await gw.wait_final([message.id])
        (item,) = (await call(gw, "status.json", clientTag="order-3"))["status"]
        assert item["separatedSuccessCount"] == 10 == message.segments
        # by send date (Japan time), with GET and a query string: all three sends
        answer = (
            await gw.client.get(
                f"{API}/status.json",
                params={**credentials(gw), "date": japan(clock.time(), "%Y%m%d")},
            )
        ).json()
        assert {i["clientTag"] for i in answer["status"]} == {"example tag", "order-2", "order-3"}
        # an unknown clientTag: no status
        assert (await call(gw, "status.json", clientTag="nope"))["status"] == []

    run_clocked(backend, scenario)


def test_reservations_checked_and_canceled(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        at = japan(clock.time() + 3600)
        later = japan(clock.time() + 2 * 86_400)
        for n, (group, when) in enumerate([("g1", at), ("g1", at), ("g2", at), ("g1", later)]):
            sent = await mt(gw, clientTag=f"r{n}", groupTag=group, scheduleTime=when)
            assert sent["responseCode"] == 0
        (item,) = (await call(gw, "status.json", clientTag="r0"))["status"]
        assert item["statusId"] == "0" and item["detailedStatusId"] is None
        # by clientTag, by scheduleTime and groupTag, by scheduleDate
        one = await call(gw, "checkreservation.json", smsCode="12345", clientTag="r0")
        assert list(one) == ["responseCode", "responseMessage", "count", "status"]
        assert one["count"] == 1 and list(one["status"][0]) == RESERVATION_ITEM
        assert one["status"][0]["scheduleTime"] == at
        assert one["status"][0]["phoneNumber"] == "+819012345678"
        assert one["status"][0]["smsCode"] == 12345
        group = await call(
            gw, "checkreservation.json", smsCode="12345", scheduleTime=at, groupTag="g1"
        )
        assert {r["clientTag"] for r in group["status"]} == {"r0", "r1"}
        day = japan(clock.time() + 2 * 86_400, "%Y%m%d")
        by_day = await call(gw, "checkreservation.json", smsCode="12345", scheduleDate=day)
        assert [r["clientTag"] for r in by_day["status"]] == ["r3"]
        # one canceled, then again: already not scheduled
        canceled = await call(gw, "cancelreservation.json", clientTag="r2")
        assert canceled == {"responseCode": 0, "responseMessage": "Success.", "clientTag": "r2"}
        again = await call(gw, "cancelreservation.json", clientTag="r2")
        assert again == {"responseCode": 130, "responseMessage": "Already send."}
        # all of a group up to an end date, then every one left
        today = japan(clock.time(), "%Y%m%d")
        answer = await call(gw, "cancelreservationall.json", groupTag="g1", endDate=today)
        assert answer == {"responseCode": 0, "responseMessage": "Success."}
        left = await call(gw, "checkreservation.json", smsCode="12345", scheduleDate=day)
        assert [r["clientTag"] for r in left["status"]] == ["r3"]
        assert await call(gw, "cancelreservationall.json") == answer
        left = await call(gw, "checkreservation.json", smsCode="12345", scheduleDate=day)
        assert left["count"] == 0
        ids = [(await stored(gw, f"r{n}")).id for n in range(4)]
        assert await gw.wait_final(ids) == dict.fromkeys(ids, Status.CANCELED)
        (item,) = (await call(gw, "status.json", clientTag="r0"))["status"]
        assert item["statusId"] == "3" and item["detailedStatusId"] == "90904"
        assert item["separatedSuccessCount"] == 0  # canceled before it went out

    run_clocked(backend, scenario)


def test_every_response_code_with_its_message(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        cases: list[tuple[dict[str, str], int, str]] = [
            ({"message": ""}, 100, "Required message."),
            ({"phoneNumber": ""}, 100, "Required phoneNumber."),
            ({"smsCode": ""}, 100, "Required smsCode."),
            ({"carrierId": "1"}, 110, "Invalid carrierId."),
            ({"phoneNumber": "0312345678"}, 110, "Invalid phoneNumber."),
            ({"phoneNumber": "+14155550100"}, 110, "Invalid phoneNumber."),
            ({"smsCode": "12"}, 110, "Invalid smsCode."),
            ({"scheduleTime": "2026/01/01 10:00"}, 110, "Invalid scheduleTime."),
            ({"scheduleTime": japan(clock.time() - 60)}, 110, "Invalid scheduleTime."),
            ({"scheduleTime": japan(clock.time() + 40 * 86_400)}, 110, "Invalid scheduleTime."),
            ({"smsCode": "1234567"}, 120, "smsCode too long."),
            ({"message": "x" * 661}, 120, "message too long."),
            ({"clientTag": "t" * 201}, 120, "clientTag too long."),
            ({"groupTag": "g" * 201}, 120, "groupTag too long."),
        ]
        for form, code, message in cases:
            answer = await mt(gw, **form)
            assert answer == {"responseCode": code, "responseMessage": message}, form
        assert (await mt(gw, clientTag="dup"))["responseCode"] == 0
        duplicate = {"responseCode": 400, "responseMessage": "Duplicate client tag."}
        assert await mt(gw, clientTag="dup") == duplicate
        # the reservation endpoints: 100, 120, 130 (already sent), 140 (past)
        check = "checkreservation.json"
        assert (await call(gw, check, smsCode="12345"))["responseMessage"] == "Required clientTag."
        assert (await call(gw, check, smsCode="12345", clientTag="dup")) == {
            "responseCode": 130,
            "responseMessage": "Already send.",
        }
        past = japan(clock.time() - 120)
        assert await call(gw, check, smsCode="12345", scheduleTime=past) == {
            "responseCode": 140,
            "responseMessage": "Past scheduleTime.",
        }
        yesterday = japan(clock.time() - 86_400, "%Y%m%d")
        assert (await call(gw, check, smsCode="12345", scheduleDate=yesterday))[
            "responseMessage"
        ] == "Past scheduleDate."
        assert (await call(gw, "cancelreservation.json", clientTag="nope")) == {
            "responseCode": 110,
            "responseMessage": "Invalid clientTag.",
        }
        answer = await call(gw, "cancelreservationall.json", startDate="2026-01-01")
        assert answer == {"responseCode": 110, "responseMessage": "Invalid startDate."}
        assert (await call(gw, "status.json"))["responseMessage"] == "Required clientTag."
        # credentials: missing, wrong, another account's id, a disabled account
        for form, message in (
            ({"clientId": "a"}, "Required token."),
            ({"token": gw.keys["a"]}, "Required clientId."),
            ({"token": "sg_wrong", "clientId": "a"}, "Invalid token."),
            ({"token": gw.keys["a"], "clientId": "b"}, "Invalid token."),
        ):
            answer = (await gw.client.post(f"{API}/mt.json", data=form)).json()
            assert answer == {
                "responseCode": 110 if "Invalid" in message else 100,
                "responseMessage": message,
            }
        assert gw.app.store is not None and gw.app.gateway is not None
        await gw.app.store.update_account(replace(await account_of(gw, "b"), enabled=False))
        assert (await mt(gw, "b"))["responseMessage"] == "Invalid clientId."
        # an address outside the account's allow-list (these requests come from 127.0.0.1)
        gw.keys["fenced"] = await add_account(gw.app, "fenced", ip_allow="192.0.2.0/24")
        assert (await mt(gw, "fenced"))["responseMessage"] == "Invalid clientId."
        # a prepaid account without balance: over its sending count
        await gw.app.store.set_balance((await account_of(gw)).id, 0, 0.0)
        await gw.app.gateway.reload_balances()
        over = {"responseCode": 300, "responseMessage": "Exceed sending count."}
        assert await mt(gw) == over
        # a gateway that is not ready (starting or stopping)
        gw.app.gateway.ready.clear()
        try:
            assert await mt(gw) == {"responseCode": 500, "responseMessage": "System error."}
        finally:
            gw.app.gateway.ready.set()

    run_clocked(backend, scenario, prices=[{"per_segment": "0.05", "currency": "EUR"}])


def test_dlr_pushed_as_a_json_form_field_for_sends_with_a_client_tag(
    backend: StoreBackend,
) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        receiver = CallbackReceiver()
        base = await receiver.start()
        try:
            assert gw.app.store is not None
            account = await account_of(gw)
            await gw.app.store.update_account(
                replace(account, callback_url=f"{base}/dlr", callback_format="p5")
            )
            assert (await mt(gw))["responseCode"] == 0  # no clientTag: never pushed
            sent = await mt(gw, clientTag="dlr-1", carrierId="103")
            assert sent["responseCode"] == 0
            await receiver.wait_for(3, 20)
        finally:
            await receiver.stop()
        message = await stored(gw, "dlr-1")
        forms = [dict(parse_qsl(r.body.decode())) for r in receiver.received]
        assert all(list(form) == ["json"] for form in forms)
        assert all(
            r.headers["content-type"] == "application/x-www-form-urlencoded"
            for r in receiver.received
        )
        pushes = [orjson.loads(form["json"])["eventNotifications"] for form in forms]
        assert all(len(push) == 1 for push in pushes)
        items = [push[0] for push in pushes]
        assert [(i["statusId"], i["statusDescription"]) for i in items] == [
            ("0", "Unknown"),
            ("1", "Message is Sending"),
            ("2", "Message delivered"),
        ]
        for item in items:
            assert list(item) == DLR_ITEM
            assert item["type"] == "DLR" and item["messageId"] == message.id
            assert item["dateTime"] == japan(clock.time(), "%Y/%m/%d %H:%M:%S")
            assert (item["phoneNumber"], item["smsCode"]) == ("+819012345678", "12345")
            assert (item["carrierId"], item["carrierName"]) == ("103", "Docomo")
            assert item["messageText"] == message.text[:20]
            assert (item["clientId"], item["clientTag"]) == (account.id, "dlr-1")
        assert (items[2]["detailedStatusId"], items[2]["separatedSuccessCount"]) == (2, 1)
        assert items[0]["detailedStatusId"] is None

    run_clocked(backend, scenario)


def test_replies_from_handsets_pushed_as_forms_to_the_inbound_url(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        receiver = CallbackReceiver()
        base = await receiver.start()
        try:
            store, simulator = gw.app.store, gw.app.simulator
            assert store is not None and simulator is not None
            account = await account_of(gw)
            await store.update_account(
                replace(account, inbound_url=f"{base}/mo", callback_format="p5")
            )
            await store.add_inbound_number(InboundNumber("8112345", "", account.id, 0.0))
            answer = await simulator.send_mo("smsgate", "819011112222", "8112345", "Hai")
            assert answer.command_status == 0
            await receiver.wait_for(1, 20)
        finally:
            await receiver.stop()
        (request,) = receiver.received
        assert request.path == "/mo"
        assert dict(parse_qsl(request.body.decode())) == {
            "phoneNumber": "+819011112222",
            "smsCode": "8112345",
            "message": "Hai",
            "receiveTime": japan(clock.time(), "%Y/%m/%d %H:%M:%S"),
        }

    run_clocked(backend, scenario)
