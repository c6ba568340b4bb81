"""Text neither store can keep (NUL, half of a surrogate pair) is refused with the catalog's
invalid_character (a field of a message) or invalid_filter_character (an id or filter) on every
interface and both backends, never a 500; in a batch only the bad item is refused, and NUL in
8-bit binary SMPP data is data and goes through."""

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from smsgate.api.smpp_server.ids import engine_id
from smsgate.domain.status import Status
from smsgate.smpp.constants import CommandStatus
from smsgate.smpp.pdu import BindTransmitter
from tests.api.harness import Running, running_gateway
from tests.api.smpp_server.customers import Customer, add_smpp_account, smpp_port, submit
from tests.store.backends import BACKENDS, StoreBackend, store_backend

NUL, SURROGATE = "\x00", "\ud800"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


def run(backend: StoreBackend, scenario: Callable[[Running], Awaitable[None]]) -> None:
    async def main() -> None:
        async with running_gateway(backend.url) as gw:
            await scenario(gw)

    asyncio.run(main())


def test_native_send_refuses_each_field_with_422(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        fields = [
            ("text", f"a{NUL}b"),
            ("client_ref", f"ref{NUL}"),
            ("tag", f"{NUL}"),
            ("callback_url", f"https://example.com/{NUL}"),
            ("sender", f"Shop{NUL}"),
        ]
        for name, value in fields:
            body = {"to": "+819012345678", "text": "Hello", name: value}
            # escaped as a client's JSON has it ("\\u0000")
            answer = await gw.client.post(
                "/v1/messages", content=json.dumps(body), headers=gw.headers()
            )
            assert answer.status_code == 422, (name, answer.text)
            error = answer.json()["error"]
            assert error["code"] == "invalid_character" and name in error["detail"]
        # half a surrogate pair: the JSON parser refuses it before the engine sees it
        body = {"to": "+819012345678", "text": f"a{SURROGATE}b"}
        answer = await gw.client.post(
            "/v1/messages", content=json.dumps(body), headers=gw.headers()
        )
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_request"
        assert (await gw.send(text="still fine")).status_code == 202

    run(backend, scenario)


def test_a_batch_refuses_only_the_bad_item(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        items = [{"to": "+819012345678", "text": f"item {i}"} for i in range(100)]
        items[37]["text"] = f"item{NUL}37"
        answer = await gw.client.post(
            "/v1/messages/batch", json={"messages": items}, headers=gw.headers()
        )
        assert answer.status_code == 202, answer.text
        body = answer.json()
        assert (body["accepted"], body["rejected"]) == (99, 1)
        assert body["results"][37]["error"]["code"] == "invalid_character"
        listed = await gw.client.get("/v1/messages?limit=500", headers=gw.headers())
        assert len(listed.json()["messages"]) == 99

    run(backend, scenario)


def test_filters_and_ids_with_nul_are_400(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        for query in ("tag", "client_ref"):
            answer = await gw.client.get(f"/v1/messages?{query}=a%00b", headers=gw.headers())
            assert answer.status_code == 400, (query, answer.text)
            assert answer.json()["error"]["code"] == "invalid_filter_character"
        for path in ("/v1/messages/a%00b", "/v1/messages/count?tag=%00"):
            answer = await gw.client.get(path, headers=gw.headers())
            assert answer.status_code == 400, (path, answer.text)
        answer = await gw.client.post("/v1/messages/a%00b/cancel", headers=gw.headers())
        assert answer.status_code == 400, answer.text
        answer = await gw.client.post("/v1/messages/cancel?tag=%00", headers=gw.headers())
        assert answer.status_code == 400, answer.text

    run(backend, scenario)


def test_smpp_ucs2_nul_is_refused_and_binary_nul_is_data(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        await add_smpp_account(gw.app, "alice")
        customer = await Customer().bind(smpp_port(gw.app), "alice", bind=BindTransmitter)
        # U+0000 in UCS-2 is text; 0x00 in 8-bit data (kept as hex) is data
        ucs2 = submit(data_coding=8, short_message=f"A{NUL}B".encode("utf-16-be"))
        answer = await customer.request(ucs2)
        assert answer.command_status == CommandStatus.ESME_RSUBMITFAIL
        binary = submit(data_coding=4, short_message=b"\x00\x01\x00")
        answer = await customer.request(binary)
        assert answer.command_status == CommandStatus.ESME_ROK

    run(backend, scenario)


def test_smpp_part_answered_then_refused_is_stored_rejected(backend: StoreBackend) -> None:
    """The first of two parts holds U+0000 and is answered once stored; the second never
    comes, so the part is accepted alone, refused, and stored rejected (its receipt says why)
    with the character replaced."""

    async def scenario(gw: Running) -> None:
        await add_smpp_account(gw.app, "alice")
        customer = await Customer().bind(smpp_port(gw.app), "alice", bind=BindTransmitter)
        body = bytes([5, 0, 3, 9, 2, 1]) + f"Hello{NUL}".encode("utf-16-be")
        answer = await customer.request(submit(esm_class=0x40, data_coding=8, short_message=body))
        assert answer.command_status == CommandStatus.ESME_ROK
        message_id = engine_id(answer.message_id)
        assert gw.app.store is not None
        for _ in range(500):  # the group waits smpp_concat_wait for its second part
            stored = await gw.app.store.get_message(message_id)
            if stored is not None:
                break
            await asyncio.sleep(0.01)
        assert stored is not None and stored.status is Status.REJECTED
        assert stored.error_code == "invalid_character" and stored.text == "Hello\ufffd"

    asyncio.run(main_with(backend, scenario, smpp_concat_wait=0.2))


async def main_with(
    backend: StoreBackend, scenario: Callable[[Running], Awaitable[None]], **settings: object
) -> None:
    async with running_gateway(backend.url, **settings) as gw:
        await scenario(gw)
