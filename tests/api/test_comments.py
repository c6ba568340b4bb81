"""The comment rule ("~~~" line) through the whole gateway, by the REST API and by SMPP, on both
store backends: the comment is stored and shown, never reaches the carrier, and counts for
neither segments nor price."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from smsgate.api.smpp_server.ids import engine_id
from smsgate.smpp.pdu import SubmitSmResp
from smsgate.smpp.receipt import parse_receipt_text
from smsgate.smpp.tlv import Tag
from smsgate.text import encode_gsm7
from tests.api.harness import TIMEOUT, Running, running_gateway
from tests.api.smpp_server.customers import Customer, add_smpp_account, smpp_port, submit
from tests.store.backends import BACKENDS, StoreBackend, store_backend

PRICES = [{"per_segment": "0.05", "currency": "EUR"}]
NOTE = "order 4711, for the CRM only " * 20  # alone it would take 5 segments


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


def run(backend: StoreBackend, scenario: Callable[[Running], Awaitable[None]]) -> None:
    async def main() -> None:
        async with running_gateway(backend.url, prices=PRICES) as gw:
            await scenario(gw)

    asyncio.run(main())


def carrier_got(gw: Running, destination: str) -> list[bytes]:
    """The bodies the simulated carrier received for `destination`."""
    assert gw.app.simulator is not None
    return [body for (to, body) in gw.app.simulator._seen if to == destination]


def test_rest_comment_is_shown_not_sent_nor_counted(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        reply = await gw.send(to="+819011112222", text=f"Your code is 1234\n~~~\n{NOTE}")
        assert reply.status_code == 202, reply.text
        sent = reply.json()
        assert (sent["text"], sent["comment"]) == ("Your code is 1234", NOTE)
        assert (sent["segments"], sent["price"]) == (1, "0.05")
        await gw.wait_final([sent["id"]])
        shown = (await gw.client.get(f"/v1/messages/{sent['id']}", headers=gw.headers())).json()
        assert (shown["text"], shown["comment"], shown["status"]) == (
            "Your code is 1234",
            NOTE,
            "delivered",
        )
        assert carrier_got(gw, "819011112222") == [b"Your code is 1234"]
        # CRLF line ends work too; a text without the line has no comment
        crlf = (await gw.send(text="Hi\r\n~~~\r\nnote")).json()
        plain = (await gw.send(text="a ~~~ b\n~~~")).json()
        assert (crlf["text"], crlf["comment"]) == ("Hi", "note")
        assert (plain["text"], plain["comment"]) == ("a ~~~ b\n~~~", None)
        # nothing left to send is refused, as an empty text is
        empty = await gw.send(text="\n~~~\nonly a comment")
        assert empty.status_code == 422
        assert empty.json()["error"]["code"] == "invalid_text"

    run(backend, scenario)


def test_smpp_comment_is_kept_not_sent_nor_quoted_in_the_receipt(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        assert gw.app.gateway is not None
        account = await add_smpp_account(gw.app, "crm")
        customer = Customer()
        connection = await customer.bind(smpp_port(gw.app), "crm")
        pdu = submit(to="819033334444")
        pdu.short_message = b""
        # data_coding 0: the GSM alphabet, where "~" is an escaped (two-septet) character
        pdu.tlvs[Tag.MESSAGE_PAYLOAD] = encode_gsm7(f"Hello\n~~~\n{NOTE}")
        answer = await connection.call(pdu)
        assert isinstance(answer, SubmitSmResp)
        (receipt,) = await customer.wait_delivered(1, TIMEOUT)
        fields = parse_receipt_text(receipt.short_message.decode("ascii"))
        assert fields.text == "Hello"
        stored = engine_id(answer.message_id)
        message = await gw.app.gateway.queries.message(account.id, stored)
        assert (message.text, message.comment) == ("Hello", NOTE)
        assert (message.segments, message.price) == (1, "0.05")
        assert carrier_got(gw, "819033334444") == [b"Hello"]
        await connection.unbind_and_close()

    run(backend, scenario)
