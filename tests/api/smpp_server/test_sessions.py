"""Binds, connection policy and the protocol's refusals, over real sockets to a running gateway."""

import asyncio
import logging
import ssl
import struct
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from smsgate.smpp import codec
from smsgate.smpp.constants import CommandStatus
from smsgate.smpp.pdu import (
    BindReceiver,
    BindTransceiver,
    BindTransmitter,
    EnquireLink,
)
from smsgate.smpp.tlv import Tag
from smsgate.transport.smpp_connection import SmppRequestError, connect
from tests.api.harness import Running, running_gateway
from tests.api.smpp_server.customers import (
    TIMEOUT,
    Customer,
    add_smpp_account,
    raw_exchange,
    smpp_port,
    submit,
)

S = CommandStatus
Scenario = Callable[[Running, int], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario, **settings: Any) -> None:
    async def main() -> None:
        async with running_gateway(str(tmp_path / "gw.db"), **settings) as gw:
            await add_smpp_account(gw.app, "alice")
            await scenario(gw, smpp_port(gw.app))

    asyncio.run(main())


async def refused(port: int, bind: Any) -> int:
    with pytest.raises(SmppRequestError) as caught:
        await connect("127.0.0.1", port, bind, lambda c, p: None)
    assert caught.value.response is not None
    return caught.value.response.command_status


def test_bind_answers_version_and_refuses_bad_credentials(tmp_path: Path) -> None:
    async def scenario(gw: Running, port: int) -> None:
        for version in (0x33, 0x34, 0x50):
            bind = BindTransceiver(system_id="alice", password="secret", interface_version=version)
            connection = await connect("127.0.0.1", port, bind, lambda c, p: None)
            await connection.unbind_and_close()
        wrong = BindTransmitter(system_id="alice", password="nope")
        # alike: a stranger does not learn which logins exist
        assert await refused(port, wrong) == S.ESME_RBINDFAIL
        unknown = BindTransmitter(system_id="mallory", password="secret")
        assert await refused(port, unknown) == S.ESME_RBINDFAIL

    run(tmp_path, scenario)


def test_address_allow_list_admits_or_refuses_the_bind(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario(gw: Running, port: int) -> None:
        assert gw.app.store is not None
        alice = await gw.app.store.account_by_system_id("alice")
        assert alice is not None
        await gw.app.store.update_account(replace(alice, ip_allow="10.0.0.0/8 127.0.0.1"))
        connection = await Customer().bind(port, "alice")  # from 127.0.0.1: in the list
        assert (await connection.call(submit("allowed"))).message_id
        await connection.unbind_and_close()
        await gw.app.store.update_account(replace(alice, ip_allow="192.0.2.0/24, 2001:db8::/32"))
        with caplog.at_level(logging.INFO, logger="smsgate.api.smpp_server.server"):
            status = await refused(port, BindTransceiver(system_id="alice", password="secret"))
        assert status == S.ESME_RBINDFAIL
        assert "127.0.0.1 is not in the address allow-list of 'alice'" in caplog.text
        # nor can it try passwords
        wrong = BindTransmitter(system_id="alice", password="nope")
        assert await refused(port, wrong) == S.ESME_RBINDFAIL

    run(tmp_path, scenario)


def test_sc_interface_version_follows_the_client(tmp_path: Path) -> None:
    async def scenario(gw: Running, port: int) -> None:
        answers = {}
        for version in (0x33, 0x34, 0x50):
            bind = BindTransceiver(system_id="alice", password="secret", interface_version=version)
            (answers[version],) = await raw_exchange(port, codec.encode(bind))
        assert all(r.command_status == 0 for r in answers.values())
        assert Tag.SC_INTERFACE_VERSION not in answers[0x33].tlvs
        assert answers[0x34].tlvs[Tag.SC_INTERFACE_VERSION] == 0x34
        assert answers[0x50].tlvs[Tag.SC_INTERFACE_VERSION] == 0x50

    run(tmp_path, scenario)


def test_second_bind_on_a_session_submit_before_bind_and_unknown_command(tmp_path: Path) -> None:
    async def scenario(gw: Running, port: int) -> None:
        bind = codec.encode(BindTransceiver(1, system_id="alice", password="secret"))
        first, again = await raw_exchange(port, bind, bind)
        assert first.command_status == 0 and again.command_status == S.ESME_RALYBND
        # submit_sm on a connection that never bound
        (early,) = await raw_exchange(port, codec.encode(submit(sequence_number=5)))
        assert early.command_status == S.ESME_RINVBNDSTS and early.sequence_number == 5
        # an unknown command id gets generic_nack
        (nack,) = await raw_exchange(port, struct.pack(">IIII", 16, 0x00000777, 0, 9))
        assert nack.command_id == 0x80000000 and nack.command_status == S.ESME_RINVCMDID
        # a submit_sm whose body is cut short
        whole = codec.encode(submit(sequence_number=11))
        (answer,) = await raw_exchange(port, struct.pack(">I", 20) + whole[4:20])
        assert answer.command_status == S.ESME_RINVCMDLEN and answer.sequence_number == 11

    run(tmp_path, scenario)


def test_a_new_bind_replaces_the_old_one_unless_mcon(tmp_path: Path) -> None:
    async def scenario(gw: Running, port: int) -> None:
        first = await Customer().bind(port, "alice")
        second = await Customer().bind(port, "alice")
        await asyncio.wait_for(first.closed, TIMEOUT)  # unbound cleanly and closed
        assert second.is_open
        third = await Customer().bind(port, "alice", system_type="MCON2")
        fourth = await Customer().bind(port, "alice", system_type="MCON2")
        await asyncio.wait_for(second.closed, TIMEOUT)  # the oldest goes, two remain
        assert third.is_open and fourth.is_open
        for connection in (third, fourth):
            await connection.unbind_and_close()

    run(tmp_path, scenario)


def test_window_overflow_gets_msgqful(tmp_path: Path) -> None:
    async def scenario(gw: Running, port: int) -> None:
        connection = await Customer().bind(port, "alice")
        # parts of a 5-part message are held (unanswered) until all have come
        parts = [submit("part", esm_class=0x40) for _ in range(3)]
        for seq, pdu in enumerate(parts, 1):
            pdu.short_message = bytes((5, 0, 3, 42, 5, seq)) + b"part"
        futures = [connection.request(pdu) for pdu in parts]
        third = await asyncio.wait_for(futures[2], TIMEOUT)
        assert third.command_status == S.ESME_RMSGQFUL
        assert not futures[0].done() and not futures[1].done()
        await connection.unbind_and_close()

    run(tmp_path, scenario, smpp_window=2)


def test_throttling_above_the_account_rate(tmp_path: Path) -> None:
    async def scenario(gw: Running, port: int) -> None:
        await add_smpp_account(gw.app, "slow", rate=2.0)
        connection = await Customer().bind(port, "slow")
        answers = await asyncio.gather(*(connection.request(submit(f"m{i}")) for i in range(6)))
        statuses = [a.command_status for a in answers]
        assert statuses.count(0) >= 1 and S.ESME_RTHROTTLED in statuses
        await connection.unbind_and_close()

    run(tmp_path, scenario)


def test_oversize_message_and_bad_addresses_are_refused(tmp_path: Path) -> None:
    async def scenario(gw: Running, port: int) -> None:
        connection = await Customer().bind(port, "alice")
        too_long = submit("")
        too_long.short_message = b""
        too_long.tlvs[Tag.MESSAGE_PAYLOAD] = b"x" * 2000  # 13 segments, more than allowed
        bad_destination = submit("Hi", to="12")
        bad_source = submit("Hi")
        bad_source.source_addr = "+++"
        bad_source.source_addr_ton = 0
        answers = [await connection.request(pdu) for pdu in (too_long, bad_destination, bad_source)]
        assert [a.command_status for a in answers] == [
            S.ESME_RINVMSGLEN,
            S.ESME_RINVDSTADR,
            S.ESME_RINVSRCADR,
        ]
        await connection.unbind_and_close()

    run(tmp_path, scenario)


def test_idle_session_is_closed_and_enquire_link_answered(tmp_path: Path) -> None:
    async def scenario(gw: Running, port: int) -> None:
        connection = await Customer().bind(port, "alice")
        answer = await connection.request(EnquireLink())
        assert answer.command_status == 0
        await asyncio.wait_for(connection.closed, TIMEOUT)  # after 0.3 s without a PDU

    run(tmp_path, scenario, smpp_inactivity_timeout=0.3)


def test_a_receiver_cannot_submit(tmp_path: Path) -> None:
    async def scenario(gw: Running, port: int) -> None:
        bind = codec.encode(BindReceiver(1, system_id="alice", password="secret"))
        bound, answer = await raw_exchange(port, bind, codec.encode(submit(sequence_number=2)))
        assert bound.command_status == 0 and answer.command_status == S.ESME_RINVBNDSTS

    run(tmp_path, scenario)


def test_tls_port_accepts_binds(tmp_path: Path) -> None:
    async def scenario(gw: Running, port: int) -> None:
        assert gw.app.smpp is not None and gw.app.smpp.tls_port is not None
        context = ssl.create_default_context(cafile=str(tmp_path / "smpp-tls.crt"))
        connection = await connect(
            "127.0.0.1",
            gw.app.smpp.tls_port,
            BindTransceiver(system_id="alice", password="secret"),
            lambda c, p: None,
            ssl=context,
        )
        answer = await connection.call(submit("over TLS"))
        assert answer.message_id
        await connection.unbind_and_close()

    run(tmp_path, scenario, smpp_tls_port=0)
