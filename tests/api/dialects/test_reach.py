"""The Reach (TalkyLabs) dialect against a whole gateway over real HTTP, on both store backends:
the documented requests (send now, schedule; fetch, list, unschedule, update, delete) with
their answers checked field by field, and every error code the dialect lists."""

import itertools
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import httpx

from smsgate.bench.receiver import CallbackReceiver
from smsgate.callbacks.signing import REACH, verify
from smsgate.domain.account import hash_api_key
from smsgate.domain.status import Status
from smsgate.engine.clock import ManualClock
from tests.api.dialects.clocked import run_clocked
from tests.api.harness import Running, add_account
from tests.store.backends import StoreBackend

BASE = "/rest/messaging/v1"
_serial = itertools.count()
ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
ITEM_FIELDS = [
    "appletId",
    "apiVersion",
    "body",
    "dest",
    "src",
    "bulkId",
    "numSegments",
    "numMedia",
    "price",
    "priceUnit",
    "messageId",
    "status",
    "messageType",
    "errorCode",
    "errorMessage",
    "dateCreated",
    "dateSent",
    "dateUpdated",
]
ERROR_FIELDS = ["errorCode", "errorMessage", "errorDetails", "more_info", "status"]


def headers(gw: Running, account: str = "a") -> dict[str, str]:
    return {"ApiUser": account, "ApiKey": gw.keys[account]}


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def create(gw: Running, account: str = "a", **form: str) -> httpx.Response:
    form.setdefault("dest", "+819012345678")
    form.setdefault("src", "+819011112222")
    # a text of its own each time: the same text to the same number is an identical request
    form.setdefault("body", f"Hello World! This is a sms message. {next(_serial)}")
    return await gw.client.post(f"{BASE}/create", data=form, headers=headers(gw, account))


async def fetch(gw: Running, message_id: str) -> httpx.Response:
    return await gw.client.get(
        f"{BASE}/fetch", params={"messageId": message_id}, headers=headers(gw)
    )


def assert_error(response: httpx.Response, status: int, code: int) -> None:
    body = response.json()
    assert list(body) == ERROR_FIELDS, body
    assert (response.status_code, body["status"], body["errorCode"]) == (status, status, code)
    assert body["errorMessage"] and body["more_info"]
    # an object: Reach's Go client decodes errorDetails into a map
    assert isinstance(body["errorDetails"], dict) and body["errorDetails"]["detail"]


def test_send_now_as_documented_then_fetch_it_delivered(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        # a send now with a bulk identifier (the docs' own example: the byte-for-byte replay)
        answer = await create(gw, bulkIdentifier="myBulkGroup")
        assert answer.status_code == 201
        item = answer.json()
        assert list(item) == ITEM_FIELDS
        assert gw.app.store is not None
        account = await gw.app.store.account_by_api_key_hash(hash_api_key(gw.keys["a"]))
        assert account is not None
        assert item["appletId"] == account.id and item["apiVersion"] == "1.0.0"
        assert item["body"].startswith("Hello World! This is a sms message.")
        assert (item["dest"], item["src"]) == ("+819012345678", "+819011112222")
        assert (item["bulkId"], item["numSegments"], item["numMedia"]) == ("myBulkGroup", 1, 0)
        assert (item["status"], item["messageType"]) == ("queued", "outbound")
        assert item["errorCode"] is None and item["errorMessage"] is None
        assert item["price"] is None or isinstance(item["price"], float)
        assert ISO_MS.fullmatch(item["dateCreated"]) and ISO_MS.fullmatch(item["dateUpdated"])
        assert item["dateSent"] is None
        await gw.wait_final([item["messageId"]])
        fetched = (await fetch(gw, item["messageId"])).json()
        assert list(fetched) == ITEM_FIELDS
        assert fetched["status"] == "delivered" and ISO_MS.fullmatch(fetched["dateSent"])
        # a JSON body works the same, and an alphanumeric src comes back as it was sent
        answer = await gw.client.post(
            f"{BASE}/create",
            json={"dest": "+819012345678", "src": "ACME", "body": "Hi", "validityPeriod": 60},
            headers=headers(gw),
        )
        assert answer.status_code == 201 and answer.json()["src"] == "ACME"

    run_clocked(backend, scenario)


def test_schedule_unschedule_redact_and_delete(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        # a send scheduled an hour ahead (the docs' own example: the byte-for-byte replay)
        due = clock.time() + 3600
        item = (await create(gw, scheduledTime=iso(due))).json()
        assert item["status"] == "scheduled"
        message_id = item["messageId"]
        # not final yet: cannot be deleted
        assert_error(
            await gw.client.request(
                "DELETE", f"{BASE}/delete", params={"messageId": message_id}, headers=headers(gw)
            ),
            409,
            400,
        )
        canceled = await gw.client.post(
            f"{BASE}/unschedule", data={"messageId": message_id}, headers=headers(gw)
        )
        assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
        redacted = await gw.client.post(
            f"{BASE}/update", data={"messageId": message_id, "body": ""}, headers=headers(gw)
        )
        assert redacted.status_code == 200
        assert list(redacted.json()) == ITEM_FIELDS and redacted.json()["body"] == ""
        assert (await fetch(gw, message_id)).json()["body"] == ""
        # another account sees none of it
        other = await gw.client.get(
            f"{BASE}/fetch", params={"messageId": message_id}, headers=headers(gw, "b")
        )
        assert_error(other, 404, 404)
        deleted = await gw.client.post(
            f"{BASE}/delete", data={"messageId": message_id}, headers=headers(gw)
        )
        assert deleted.status_code == 204
        assert_error(await fetch(gw, message_id), 404, 404)
        # a message sent at once cannot be unscheduled
        now = (await create(gw)).json()["messageId"]
        refused = await gw.client.post(
            f"{BASE}/unschedule", data={"messageId": now}, headers=headers(gw)
        )
        assert_error(refused, 409, 400)
        assert gw.app.gateway is not None
        assert await gw.wait_final([now]) == {now: Status.DELIVERED}

    run_clocked(backend, scenario)


def test_list_pages_newest_first_with_filters(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        ids = []
        for n in range(5):
            answer = await create(gw, bulkIdentifier="spring", body=f"n{n}")
            ids.append(answer.json()["messageId"])
            clock.advance(10)
        other = (await create(gw, dest="+819087654321", src="SHOP")).json()["messageId"]

        async def listed(**query: Any) -> dict[str, Any]:
            answer = await gw.client.get(f"{BASE}/list", params=query, headers=headers(gw))
            assert answer.status_code == 200
            return dict(answer.json())

        page = await listed(pageSize=2, page=1, bulkIdentifier="spring")
        assert list(page) == [
            "page",
            "pageSize",
            "totalMessages",
            "totalPages",
            "outOfPageRange",
            "messages",
        ]
        assert (page["page"], page["pageSize"], page["totalMessages"], page["totalPages"]) == (
            1,
            2,
            5,
            3,
        )
        assert page["outOfPageRange"] is False
        assert [m["messageId"] for m in page["messages"]] == [ids[2], ids[1]]
        assert list(page["messages"][0]) == ITEM_FIELDS
        beyond = await listed(pageSize=2, page=3, bulkIdentifier="spring")
        assert beyond["outOfPageRange"] is True and beyond["messages"] == []
        everything = await listed()
        assert everything["pageSize"] == 20 and everything["totalMessages"] == 6
        assert everything["messages"][0]["messageId"] == other  # newest first
        assert [m["messageId"] for m in (await listed(dest="+819087654321"))["messages"]] == [other]
        assert (await listed(src="SHOP"))["totalMessages"] == 1
        assert (await listed(src="+819011112222"))["totalMessages"] == 5
        start = clock.time() - 50
        window = await listed(sentAfter=iso(start + 10), sentBefore=iso(start + 30))
        assert [m["messageId"] for m in window["messages"]] == [ids[2], ids[1]]
        assert (await listed(sentAt=iso(start)[:10]))["totalMessages"] == 6
        for query, code in (({"pageSize": 0}, 20006), ({"page": -1}, 20007)):
            answer = await gw.client.get(f"{BASE}/list", params=query, headers=headers(gw))
            assert_error(answer, 400, code)
        assert_error(
            await gw.client.get(f"{BASE}/list", params={"sentAt": "x"}, headers=headers(gw)),
            400,
            400,
        )

    run_clocked(backend, scenario)


def test_every_refusal_has_its_code(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        now = clock.time()
        cases: list[tuple[dict[str, str], int, int]] = [
            ({"dest": ""}, 400, 10002),
            ({"body": ""}, 400, 10002),
            ({"dest": "09012345678"}, 422, 20101),
            ({"src": "+12"}, 422, 20102),
            ({"src": "WAY_TOO_LONG_NAME"}, 422, 20102),
            ({"body": "x" * 1601}, 422, 20103),
            ({"body": "あ" * 700}, 422, 20108),  # 11 UCS-2 segments
            ({"scheduledTime": iso(now + 5 * 60)}, 422, 20104),
            ({"scheduledTime": iso(now + 6 * 86_400)}, 422, 20104),
            ({"scheduledTime": iso(now - 60)}, 422, 20104),
            ({"scheduledTime": "tomorrow"}, 422, 20104),
            ({"validityPeriod": "0"}, 422, 20105),
            ({"validityPeriod": "14401"}, 422, 20105),
            ({"statusCallback": "https://my_host.example/status"}, 422, 20106),
            ({"statusCallback": "ftp://host.example/status"}, 422, 20106),
            ({"maxPrice": "cheap"}, 422, 20109),
            ({"maxPrice": "0"}, 422, 20109),
            ({"bulkIdentifier": "b" * 201}, 400, 400),
        ]
        for form, status, code in cases:
            assert_error(await create(gw, **form), status, code)
        # credentials
        no_user = await gw.client.post(
            f"{BASE}/create", data={"dest": "+819012345678"}, headers={"ApiKey": gw.keys["a"]}
        )
        assert_error(no_user, 401, 20002)
        wrong_user = await gw.client.post(
            f"{BASE}/create", data={}, headers={"ApiUser": "b", "ApiKey": gw.keys["a"]}
        )
        assert_error(wrong_user, 401, 20003)
        bad_key = await gw.client.get(
            f"{BASE}/list", headers={"ApiUser": "a", "ApiKey": "sg_not-a-key"}
        )
        assert_error(bad_key, 401, 20003)
        # an address outside the account's allow-list (these requests come from 127.0.0.1)
        gw.keys["fenced"] = await add_account(gw.app, "fenced", ip_allow="192.0.2.0/24")
        assert_error(await create(gw, "fenced"), 403, 20005)
        # malformed bodies and unknown messages
        broken = await gw.client.post(
            f"{BASE}/create",
            content=b"{not json",
            headers={**headers(gw), "Content-Type": "application/json"},
        )
        assert_error(broken, 400, 400)
        assert_error(await fetch(gw, "0" * 32), 404, 404)
        assert_error(await gw.client.get(f"{BASE}/fetch", headers=headers(gw)), 400, 10002)
        missing_body = await gw.client.post(
            f"{BASE}/update", data={"messageId": "0" * 32}, headers=headers(gw)
        )
        assert_error(missing_body, 400, 10002)
        # over the account's limit: 429
        assert gw.app.store is not None
        gw.keys["slow"] = await add_account(gw.app, "slow", rate=1.0)
        assert (await create(gw, "slow")).status_code == 201
        throttled = await create(gw, "slow")
        assert_error(throttled, 429, 429)
        assert throttled.headers["Retry-After"] == "1"
        # a body past 64 KiB is refused before it is read whole
        assert_error(await create(gw, body="x" * 70_000), 413, 400)
        # a disabled account
        account = await gw.app.store.account_by_api_key_hash(hash_api_key(gw.keys["b"]))
        assert account is not None
        await gw.app.store.update_account(replace(account, enabled=False))
        assert_error(await create(gw, "b"), 403, 20005)
        # a gateway that is not ready (starting or stopping)
        assert gw.app.gateway is not None
        gw.app.gateway.ready.clear()
        try:
            assert_error(await create(gw), 503, 503)
        finally:
            gw.app.gateway.ready.set()

    run_clocked(backend, scenario)


def test_status_callbacks_in_reach_form_signed_with_the_api_key(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        receiver = CallbackReceiver()
        base = await receiver.start()
        try:
            assert gw.app.store is not None
            key = gw.keys["a"]
            account = await gw.app.store.account_by_api_key_hash(hash_api_key(key))
            assert account is not None
            await gw.app.store.update_account(
                replace(account, signature="reach", webhook_secret=key, callback_format="reach")
            )
            url = f"{base}/status?foo=1&bar=2"
            # scheduled, then unscheduled: only "canceled" is POSTed (never "scheduled")
            later = iso(clock.time() + 3600)
            held = (await create(gw, statusCallback=url, scheduledTime=later)).json()
            await gw.client.post(
                f"{BASE}/unschedule", data={"messageId": held["messageId"]}, headers=headers(gw)
            )
            item = (await create(gw, statusCallback=url, bulkIdentifier="bulk-7")).json()
            await receiver.wait_for(4, 20)
        finally:
            await receiver.stop()
        forms = [dict(parse_qsl(r.body.decode())) for r in receiver.received]
        assert [f["status"] for f in forms if f["messageId"] == held["messageId"]] == ["canceled"]
        statuses = []
        for request in receiver.received:
            if dict(parse_qsl(request.body.decode()))["messageId"] == held["messageId"]:
                continue
            assert request.headers["content-type"] == "application/x-www-form-urlencoded"
            form = dict(parse_qsl(request.body.decode()))
            assert verify(key, url, request.headers["x-reach-signature"], REACH, params=form)
            assert form["messageId"] == item["messageId"]
            assert (form["src"], form["dest"]) == ("+819011112222", "+819012345678")
            assert form["body"] == item["body"][:20]
            assert (form["bulkId"], form["numSegments"], form["numMedia"]) == ("bulk-7", "1", "0")
            statuses.append(form["status"])
            assert "errorCode" not in form  # nothing failed
        assert statuses == ["queued", "sent", "delivered"]
        assert re.fullmatch(r"\d{10}", form["dlrDate"])  # YYMMDDhhmm of the final status

    run_clocked(backend, scenario)


def test_price_refusals_and_failures(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        # over maxPrice: accepted (201) as failed, with errorCode 20201
        answer = await create(gw, maxPrice="0.01")
        assert answer.status_code == 201
        assert (answer.json()["status"], answer.json()["errorCode"]) == ("failed", 20201)
        failed = (await fetch(gw, answer.json()["messageId"])).json()
        assert (failed["status"], failed["errorCode"]) == ("failed", 20201)
        assert failed["errorMessage"]
        # a prepaid account without balance: refused with 20202
        assert gw.app.store is not None and gw.app.gateway is not None
        account = await gw.app.store.account_by_api_key_hash(hash_api_key(gw.keys["a"]))
        assert account is not None
        await gw.app.store.set_balance(account.id, 0, 0.0)
        await gw.app.gateway.reload_balances()
        assert_error(await create(gw), 402, 20202)

    run_clocked(backend, scenario, prices=[{"per_segment": "0.05", "currency": "EUR"}])
