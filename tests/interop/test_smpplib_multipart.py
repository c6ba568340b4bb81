"""smpplib sending a 3-part message with a window of 1 (each part's submit_sm_resp awaited
before the next part goes, as simple clients do): every part answered at once with the same
id, one message of 3 concatenated parts at the carrier, one receipt; a restart of the gateway
between parts 2 and 3 loses nothing."""

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import smpplib.consts

from smsgate.api.smpp_server.ids import engine_id
from smsgate.app import App
from smsgate.smpp.pdu import Request
from smsgate.text import encode_message
from smsgate.transport.smpp_connection import SmppConnection
from tests.api.harness import running_gateway
from tests.api.smpp_server.customers import add_smpp_account, smpp_port
from tests.interop.smpplib_session import SOURCE, Session, bind
from tests.store.backends import BACKENDS, store_backend

pytestmark = pytest.mark.interop

TEXT = "Three parts, sent one at a time. " * 12  # 396 GSM-7 characters: 3 parts
REFERENCE = 77


def parts() -> list[Any]:
    message = encode_message(TEXT, reference=REFERENCE)
    assert len(message.parts) == 3
    return message.parts


def send_one(session: Session, part: Any, data_coding: int = 0) -> tuple[Any, float]:
    """One part (its short_message and esm_class), then wait for its response (a window of
    1): (resp, seconds it took)."""
    started = time.monotonic()
    before = len(session.resps)
    session.client.send_message(
        source_addr_ton=smpplib.consts.SMPP_TON_INTL,
        source_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
        source_addr=SOURCE,
        dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
        dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
        destination_addr="819012345678",
        short_message=part.short_message,
        data_coding=data_coding,
        esm_class=part.esm_class,
        registered_delivery=1,
    )
    while len(session.resps) == before:
        session.client.read_once()
    return session.resps[-1], time.monotonic() - started


@dataclass(frozen=True)
class UcsPart:
    """A part written by hand: its concatenation header and UCS-2 octets."""

    short_message: bytes
    esm_class: int = 0x40


def close(session: Session) -> None:
    session.client.unbind()
    session.client.disconnect()


def carrier_submits(app: App) -> list[Any]:
    """Every submit the simulated carrier gets from now on."""
    simulator = app.simulator
    assert simulator is not None
    seen: list[Any] = []
    submit = simulator._submit

    def recording(conn: SmppConnection, pdu: Request) -> None:
        seen.append(pdu)
        submit(conn, pdu)  # type: ignore[arg-type]

    simulator._submit = recording  # type: ignore[method-assign]
    return seen


def check_carrier_got_one_message(app: App, seen: list[Any], message_id: str) -> None:
    assert len(seen) == 3
    # each with the concatenation UDH (IEI 0: reference, total 3, its number), one reference
    headers = [pdu.short_message[:6] for pdu in seen]
    assert sorted(h[5] for h in headers) == [1, 2, 3]
    assert {h[:5] for h in headers} == {bytes((5, 0, 3, headers[0][3], 3))}
    assert all(pdu.esm_class & 0x40 for pdu in seen)
    assert app.gateway is not None
    message = app.gateway.live.get(engine_id(message_id))
    assert message is None or len(message.parts) == 3


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_window_of_one_gets_each_part_answered_at_once(backend_name: str, tmp_path: Path) -> None:
    def client(port: int) -> tuple[list[Any], list[float], list[Any]]:
        session = bind(port, timeout=20)
        answers = [send_one(session, part) for part in parts()]
        session.read_until(3, 1)
        close(session)
        return [r for r, _ in answers], [t for _, t in answers], session.receipts

    async def scenario(url: str) -> None:
        async with running_gateway(url) as gw:
            await add_smpp_account(gw.app, "smpplib")
            seen = carrier_submits(gw.app)
            resps, took, receipts = await asyncio.to_thread(client, smpp_port(gw.app))
            assert [r.status for r in resps] == [0, 0, 0]
            assert max(took) < 1.0, took
            ids = {r.message_id.decode() for r in resps}
            assert len(ids) == 1
            (message_id,) = ids
            assert len(receipts) == 1
            assert receipts[0].receipted_message_id.decode() == message_id
            check_carrier_got_one_message(gw.app, seen, message_id)
            assert gw.app.store is not None
            stored = await gw.app.store.get_message(engine_id(message_id))
            assert stored is not None and stored.text == TEXT and len(stored.parts) == 3
            assert await gw.app.store.submitted_parts() == []

    with store_backend(backend_name, tmp_path) as backend:
        asyncio.run(scenario(backend.url))


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_a_restart_between_parts_loses_nothing(backend_name: str, tmp_path: Path) -> None:
    first, second, third = parts()

    def before_restart(port: int) -> list[Any]:
        session = bind(port, timeout=20)
        resps = [send_one(session, first)[0], send_one(session, second)[0]]
        close(session)
        return resps

    def after_restart(port: int) -> tuple[Any, list[Any]]:
        session = bind(port, timeout=20)
        resp, _ = send_one(session, third)
        session.read_until(1, 1)
        close(session)
        return resp, session.receipts

    async def scenario(url: str) -> None:
        async with running_gateway(url) as gw:
            await add_smpp_account(gw.app, "smpplib")
            seen = carrier_submits(gw.app)
            early = await asyncio.to_thread(before_restart, smpp_port(gw.app))
            assert seen == []  # nothing goes to the carrier before the message is whole
            assert gw.app.store is not None
            assert len(await gw.app.store.submitted_parts()) == 2
        async with running_gateway(url) as gw:
            seen = carrier_submits(gw.app)
            last, receipts = await asyncio.to_thread(after_restart, smpp_port(gw.app))
            assert [r.status for r in early] + [last.status] == [0, 0, 0]
            message_id = last.message_id.decode()
            assert {r.message_id.decode() for r in early} == {message_id}
            assert len(receipts) == 1
            assert receipts[0].receipted_message_id.decode() == message_id
            check_carrier_got_one_message(gw.app, seen, message_id)
            assert gw.app.store is not None
            stored = await gw.app.store.get_message(engine_id(message_id))
            assert stored is not None and stored.text == TEXT
            assert await gw.app.store.submitted_parts() == []

    with store_backend(backend_name, tmp_path) as backend:
        asyncio.run(scenario(backend.url))


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_parts_refused_after_their_answers_still_get_a_receipt(
    backend_name: str, tmp_path: Path
) -> None:
    # two of three UCS-2 parts whose octets, together, are no UTF-16 text: each part was
    # answered with the message's id, so the refusal must reach the customer as a receipt
    bodies = [b"\x00A\x00", b"B\x00"]

    def client(port: int) -> tuple[list[Any], list[Any]]:
        session = bind(port, timeout=20)
        resps = [
            send_one(session, UcsPart(bytes((5, 0, 3, REFERENCE, 3, seq)) + body), 8)[0]
            for seq, body in enumerate(bodies, 1)
        ]
        session.read_until(2, 1)
        close(session)
        return resps, session.receipts

    async def scenario(url: str) -> None:
        async with running_gateway(url, smpp_concat_wait=0.3) as gw:
            await add_smpp_account(gw.app, "smpplib")
            seen = carrier_submits(gw.app)
            resps, receipts = await asyncio.to_thread(client, smpp_port(gw.app))
            assert [r.status for r in resps] == [0, 0]
            (message_id,) = {r.message_id.decode() for r in resps}
            (receipt,) = receipts
            assert receipt.receipted_message_id.decode() == message_id
            assert receipt.message_state == smpplib.consts.SMPP_MESSAGE_STATE_REJECTED
            assert seen == []  # nothing went to the carrier
            assert gw.app.store is not None
            assert await gw.app.store.submitted_parts() == []
            stored = await gw.app.store.get_message(engine_id(message_id))
            assert stored is not None and stored.status.value == "rejected"
            assert stored.error_code == "invalid_text"

    with store_backend(backend_name, tmp_path) as backend:
        asyncio.run(scenario(backend.url))
