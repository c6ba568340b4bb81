"""The Zettai Reach! SMS p5 dialect against a whole gateway over real HTTP, on both store
backends: mt.json (national and +81 numbers, the carrier from the prefix table or forced by
carrierId, a long message sent concatenated, Japan-time schedules), status.json, the
reservation endpoints, and every responseCode."""

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl

from smsgate.callbacks.receiver import CallbackReceiver
from smsgate.domain.account import hash_api_key
from smsgate.domain.status import Status
from smsgate.engine.clock import ManualClock
from tests.api.dialects.clocked import run_clocked
from tests.api.harness import Running, add_account
from tests.store.backends import StoreBackend

API = "/p5/api"
JST = timezone(timedelta(hours=9))
_serial = itertools.count()
STATUS_FIELDS = [
    "responseCode",
    "responseMessage",
    "clientTag",
    "groupTag",
    "messageId",
    "phoneNumber",
    "status",
    "carrierId",
    "carrier",
    "scheduleTime",
    "sendTime",
    "receiveTime",
    "errorCode",
    "errorMessage",
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


def japan(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).astimezone(JST).strftime("%Y-%m-%d %H:%M")


def test_send_and_follow_the_status_to_done(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        sent = await mt(gw, clientTag="order-1", groupTag="campaign")
        assert sent["responseCode"] == 0 and sent["responseMessage"] == "Success"
        assert (sent["clientTag"], sent["groupTag"]) == ("order-1", "campaign")
        assert sent["phoneNumber"] == "09012345678"
        await gw.wait_final([sent["messageId"]])
        status = await call(gw, "status.json", clientTag="order-1")
        assert list(status) == STATUS_FIELDS
        assert status["responseCode"] == 0 and status["status"] == "done"
        assert status["errorCode"] is None and status["errorMessage"] is None
        sent_at = datetime.fromtimestamp(clock.time(), UTC).astimezone(JST)
        assert status["sendTime"] == sent_at.strftime("%Y-%m-%d %H:%M:%S")
        assert status["receiveTime"] == status["sendTime"]
        # the carrier comes from the prefix table, or carrierId forces one (2: au)
        assert status["carrier"] is None or status["carrierId"] in ("1", "2", "3", "4")
        forced = await mt(gw, clientTag="order-2", carrierId="2", phoneNumber="+819012345678")
        assert forced["carrierId"] == "2"
        assert gw.app.store is not None
        stored = await gw.app.store.get_message(forced["messageId"])
        assert stored is not None and stored.carrier == "au"
        # a long message is one send, concatenated: 660 characters in 10 UCS-2 segments
        long = await mt(gw, clientTag="order-3", message="あ" * 660)
        assert long["responseCode"] == 0
        stored = await gw.app.store.get_message(long["messageId"])
        assert stored is not None and stored.segments == 10
        # GET with a query string answers the same
        answer = await gw.client.get(
            f"{API}/status.json", params={**credentials(gw), "clientTag": "order-1"}
        )
        assert answer.json()["status"] == "done"

    run_clocked(backend, scenario)


def test_reservations_checked_and_canceled(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        at = japan(clock.time() + 3600)
        for n in range(3):
            group = "g1" if n < 2 else "g2"
            sent = await mt(gw, clientTag=f"r{n}", groupTag=group, scheduleTime=at)
            assert sent["responseCode"] == 0
        status = await call(gw, "status.json", clientTag="r0")
        assert status["status"] == "waiting" and status["scheduleTime"] == at
        reservations = await call(gw, "checkreservation.json", groupTag="g1")
        assert reservations["count"] == 2
        assert {r["clientTag"] for r in reservations["reservations"]} == {"r0", "r1"}
        assert all(r["scheduleTime"] == at for r in reservations["reservations"])
        canceled = await call(gw, "cancelreservation.json", clientTag="r2")
        assert canceled["responseCode"] == 0 and canceled["status"] == "canceled"
        again = await call(gw, "cancelreservation.json", clientTag="r2")
        assert again["responseCode"] == 111
        everything = await call(gw, "cancelreservationall.json", groupTag="g1")
        assert everything["count"] == 2
        assert (await call(gw, "checkreservation.json"))["count"] == 0
        assert gw.app.gateway is not None
        ids = [(await call(gw, "status.json", clientTag=f"r{n}"))["messageId"] for n in range(3)]
        assert await gw.wait_final(ids) == dict.fromkeys(ids, Status.CANCELED)

    run_clocked(backend, scenario)


def test_every_response_code(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        cases: list[tuple[dict[str, str], int]] = [
            ({"message": ""}, 100),
            ({"phoneNumber": ""}, 100),
            ({"carrierId": "9"}, 101),
            ({"phoneNumber": "0312345678"}, 102),
            ({"phoneNumber": "+14155550100"}, 102),
            ({"smsCode": "12"}, 103),
            ({"message": "x" * 661}, 105),
            ({"clientTag": "t" * 201}, 105),
            ({"scheduleTime": japan(clock.time() - 60)}, 106),
            ({"scheduleTime": "2026/01/01 10:00"}, 107),
            ({"scheduleTime": japan(clock.time() + 40 * 86_400)}, 107),
        ]
        for form, code in cases:
            answer = await mt(gw, **form)
            assert answer["responseCode"] == code, (form, answer)
            assert answer["responseMessage"] and answer["responseDetail"]
        assert (await mt(gw, clientTag="dup"))["responseCode"] == 0
        assert (await mt(gw, clientTag="dup"))["responseCode"] == 108
        assert (await call(gw, "status.json", clientTag="nope"))["responseCode"] == 110
        assert (await call(gw, "status.json"))["responseCode"] == 100
        # credentials
        for form in ({"token": "sg_wrong", "clientId": "a"}, {"token": gw.keys["a"]}):
            answer = await gw.client.post(f"{API}/mt.json", data=form)
            assert answer.json()["responseCode"] == 200
        other = await gw.client.post(
            f"{API}/mt.json", data={"token": gw.keys["a"], "clientId": "b"}
        )
        assert other.json()["responseCode"] == 200
        # over the account's rate
        gw.keys["slow"] = await add_account(gw.app, "slow", rate=1.0)
        assert (await mt(gw, "slow"))["responseCode"] == 0
        assert (await mt(gw, "slow"))["responseCode"] == 300
        # a disabled account, then a gateway that is not ready (starting or stopping)
        assert gw.app.store is not None and gw.app.gateway is not None
        account = await gw.app.store.account_by_api_key_hash(hash_api_key(gw.keys["b"]))
        assert account is not None
        await gw.app.store.update_account(replace(account, enabled=False))
        assert (await mt(gw, "b"))["responseCode"] == 201
        gw.app.gateway.ready.clear()
        try:
            assert (await mt(gw))["responseCode"] == 901
        finally:
            gw.app.gateway.ready.set()

    run_clocked(backend, scenario)


def test_delivery_reports_pushed_as_forms_to_the_callback_url(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        receiver = CallbackReceiver()
        base = await receiver.start()
        try:
            assert gw.app.store is not None
            account = await gw.app.store.account_by_api_key_hash(hash_api_key(gw.keys["a"]))
            assert account is not None
            await gw.app.store.update_account(
                replace(account, callback_url=f"{base}/dlr", callback_format="p5")
            )
            sent = await mt(gw, clientTag="dlr-1", groupTag="g")
            assert sent["responseCode"] == 0
            await receiver.wait_for(3, 20)
        finally:
            await receiver.stop()
        reports = [dict(parse_qsl(r.body.decode())) for r in receiver.received]
        assert all(
            r.headers["content-type"] == "application/x-www-form-urlencoded"
            for r in receiver.received
        )
        assert [r["status"] for r in reports] == ["waiting", "sending", "done"]
        for report in reports:
            assert (report["clientTag"], report["groupTag"]) == ("dlr-1", "g")
            assert report["messageId"] == sent["messageId"]
            assert report["phoneNumber"] == "09012345678"
            assert report["statusTime"] == japan(clock.time()) + ":00"
            assert "errorCode" not in report

    run_clocked(backend, scenario)
