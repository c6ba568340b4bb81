"""Reach's two curl examples (docs: create a message) replayed as the document writes them: the
bytes curl sends for them, and the command lines run with curl, the clock at the examples'
own time; and the percent-encoded scheduledTime of example 2 with today's clock."""

import asyncio
import json
import shutil
from datetime import UTC, datetime
from typing import Any

import pytest

from smsgate.domain.status import Status
from smsgate.engine.clock import ManualClock
from tests.api.dialects.clocked import run_clocked
from tests.api.dialects.test_reach import BASE, ITEM_FIELDS, assert_error, headers, iso
from tests.api.harness import Running
from tests.store.backends import StoreBackend

CURL = shutil.which("curl")
# The document's two curl examples, as written (host and credentials aside):
#   curl -X POST https://api.reach.talkylabs.com/rest/messaging/v1/create
#     --data-urlencode "dest=+237671234567" --data-urlencode "src=+237691234567"
#     --data-urlencode "body=Hello World! This is a sms message."
#     [example 2 only: --data-urlencode "scheduledTime=2016-08-31T01%3A23%3A45Z"]
#     -H "ApiUser: $REACH_TALKYLABS_API_USER" -H "ApiKey: $REACH_TALKYLABS_API_KEY"
EXAMPLE_ARGS = [
    "--data-urlencode",
    "dest=+237671234567",
    "--data-urlencode",
    "src=+237691234567",
    "--data-urlencode",
    "body=Hello World! This is a sms message.",
]
SCHEDULE_ARGS = ["--data-urlencode", "scheduledTime=2016-08-31T01%3A23%3A45Z"]
# the bytes curl sends for them: --data-urlencode encodes the "%" the example already wrote,
# so the time arrives as 2016-08-31T01%3A23%3A45Z once the form is decoded
EXAMPLE_1_BODY = (
    b"dest=%2B237671234567&src=%2B237691234567&body=Hello+World%21+This+is+a+sms+message."
)
EXAMPLE_2_BODY = EXAMPLE_1_BODY + b"&scheduledTime=2016-08-31T01%253A23%253A45Z"
# the examples' answers were created at 2016-08-29T09:12:33.001Z: the clock stands there, so
# example 2's time (31 August 2016, 01:23:45 UTC) is 40 hours ahead, as the document meant it
EXAMPLE_CREATED = "2016-08-29T09:12:33.001Z"
EXAMPLE_NOW = datetime(2016, 8, 29, 9, 12, 33, 1000, tzinfo=UTC).timestamp()
EXAMPLE_DUE = datetime(2016, 8, 31, 1, 23, 45, tzinfo=UTC).timestamp()
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def assert_example_answer(item: dict[str, Any], status: str) -> None:
    """The fields the document's answers show that do not depend on its platform: the text,
    the addresses, one segment, no bulk, no error, created at the examples' time. Its price
    (25.0 xaf) comes from its price list; smsgate has none here (null). Example 1's answer
    says "sent": smsgate answers before the carrier has it ("queued"), and the fetch after
    delivery says "delivered"."""
    assert list(item) == ITEM_FIELDS
    assert (item["apiVersion"], item["body"]) == ("1.0.0", "Hello World! This is a sms message.")
    assert (item["dest"], item["src"]) == ("+237671234567", "+237691234567")
    assert (item["bulkId"], item["numSegments"], item["numMedia"]) == (None, 1, 0)
    assert (item["status"], item["messageType"]) == (status, "outbound")
    assert (item["errorCode"], item["errorMessage"]) == (None, None)
    assert (item["price"], item["priceUnit"]) == (None, None)
    assert (item["dateCreated"], item["dateSent"]) == (EXAMPLE_CREATED, None)
    assert item["dateUpdated"] == EXAMPLE_CREATED


def test_the_docs_curl_examples_replayed_byte_for_byte(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        send = {**FORM, **headers(gw)}
        first = await gw.client.post(f"{BASE}/create", content=EXAMPLE_1_BODY, headers=send)
        assert first.status_code == 201, first.text
        assert_example_answer(first.json(), "queued")
        second = await gw.client.post(f"{BASE}/create", content=EXAMPLE_2_BODY, headers=send)
        assert second.status_code == 201, second.text
        assert_example_answer(second.json(), "scheduled")
        assert gw.app.gateway is not None
        item = second.json()
        stored = await gw.app.gateway.queries.message(item["appletId"], item["messageId"])
        assert stored.scheduled_at == EXAMPLE_DUE  # 2016-08-31T01:23:45Z
        assert await gw.wait_final([first.json()["messageId"]]) == {
            first.json()["messageId"]: Status.DELIVERED
        }

    run_clocked(backend, scenario, start=EXAMPLE_NOW)


def test_percent_encoded_times_today(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        send = {**FORM, **headers(gw)}
        # example 2 as written, with today's clock: its time has passed, and it is told so
        late = await gw.client.post(f"{BASE}/create", content=EXAMPLE_2_BODY, headers=send)
        assert_error(late, 422, 20104)
        assert "passed" in late.json()["errorDetails"]["detail"]
        # a future time written the same way (":" as %3A, then form-encoded) is taken
        due = iso(clock.time() + 3600)
        body = EXAMPLE_1_BODY + b"&scheduledTime=" + due.replace(":", "%253A").encode()
        answer = await gw.client.post(f"{BASE}/create", content=body, headers=send)
        assert answer.status_code == 201, answer.text
        assert answer.json()["status"] == "scheduled"
        # and so is the same time encoded once (the form's own encoding only)
        plain = await gw.client.post(
            f"{BASE}/create",
            content=EXAMPLE_1_BODY + b"&scheduledTime=" + due.replace(":", "%3A").encode(),
            headers=send,
        )
        assert plain.status_code == 201 and plain.json()["status"] == "scheduled"

    run_clocked(backend, scenario)


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_the_docs_curl_examples_run_with_curl(backend: StoreBackend) -> None:
    async def curl(*args: str) -> dict[str, Any]:
        assert CURL is not None
        process = await asyncio.create_subprocess_exec(
            CURL, "-s", *args, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await process.communicate()
        assert process.returncode == 0
        return dict(json.loads(out))

    async def scenario(gw: Running, clock: ManualClock) -> None:
        host = str(gw.client.base_url)  # instead of https://api.reach.talkylabs.com
        auth = ["-H", "ApiUser: a", "-H", f"ApiKey: {gw.keys['a']}"]
        create = ["-X", "POST", f"{host}/rest/messaging/v1/create"]
        now = await curl(*create, *EXAMPLE_ARGS, *auth)
        assert_example_answer(now, "queued")
        later = await curl(*create, *EXAMPLE_ARGS, *SCHEDULE_ARGS, *auth)
        assert_example_answer(later, "scheduled")
        fetched = await curl(f"{host}/rest/messaging/v1/fetch?messageId={now['messageId']}", *auth)
        assert fetched["messageId"] == now["messageId"]
        listed = await curl(f"{host}/rest/messaging/v1/list?pageSize=20", *auth)
        assert listed["totalMessages"] == 2

    run_clocked(backend, scenario, start=EXAMPLE_NOW)
