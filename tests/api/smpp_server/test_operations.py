"""replace_sm, receipts asked for on failure or on success only (registered_delivery 2 and 3),
and priority_flag in the dispatch order: over real SMPP to a running gateway, on both store
backends."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from smsgate.api.smpp_server.ids import engine_id
from smsgate.domain.status import Status
from smsgate.smpp.constants import CommandStatus, MessageState
from smsgate.smpp.pdu import QuerySm, ReplaceSm, SubmitSmResp
from smsgate.smpp.smpp_time import format_smpp_time
from smsgate.smpp.tlv import Tag
from smsgate.text import encode_gsm7
from smsgate.transport.smpp_connection import SmppConnection
from tests.api.harness import Running, overtaking
from tests.api.smpp_server.customers import (
    REFUSED,
    TIMEOUT,
    Customer,
    run_with_alice,
    submit,
)
from tests.store.backends import StoreBackend

S = CommandStatus


async def submitted(connection: SmppConnection, text: str, **fields: Any) -> str:
    answer = await connection.call(submit(text, **fields))
    assert isinstance(answer, SubmitSmResp)
    return engine_id(answer.message_id)  # as stored (query_sm and the others take either)


def test_receipts_on_failure_only_or_on_success_only(backend: StoreBackend) -> None:
    async def scenario(gw: Running, port: int) -> None:
        customer = Customer()
        connection = await customer.bind(port, "alice")
        ok, bad = "819012345678", REFUSED + "12345678"
        asked = {
            "failure, delivered": await submitted(connection, "a", to=ok, registered_delivery=2),
            "failure, failed": await submitted(connection, "b", to=bad, registered_delivery=2),
            "success, delivered": await submitted(connection, "c", to=ok, registered_delivery=3),
            "success, failed": await submitted(connection, "d", to=bad, registered_delivery=3),
            "both, failed": await submitted(connection, "e", to=bad, registered_delivery=1),
        }
        finals = await gw.wait_final(list(asked.values()))
        assert [finals[asked[k]] for k in ("failure, delivered", "failure, failed")] == [
            Status.DELIVERED,
            Status.FAILED,
        ]
        delivered = await customer.wait_delivered(3)
        receipts = {
            engine_id(d.tlvs[Tag.RECEIPTED_MESSAGE_ID]): d.tlvs[Tag.MESSAGE_STATE]
            for d in delivered
        }
        assert receipts == {
            asked["failure, failed"]: MessageState.UNDELIVERABLE,
            asked["success, delivered"]: MessageState.DELIVERED,
            asked["both, failed"]: MessageState.UNDELIVERABLE,
        }
        # the final statuses are committed with what they owe: nothing for the other two
        assert gw.app.store is not None
        account = await gw.app.store.account_by_system_id("alice")
        assert account is not None
        for unwanted in ("failure, delivered", "success, failed"):
            items, _ = await gw.app.store.list_outbox(account.id, subject_id=asked[unwanted])
            assert items == []
        await connection.unbind_and_close()

    run_with_alice(backend, scenario)


async def history_details(gw: Running, message_id: str) -> list[str]:
    assert gw.app.store is not None
    return [h.detail for h in await gw.app.store.history(message_id)]


def test_replace_a_scheduled_message_then_send_it_now(backend: StoreBackend) -> None:
    async def scenario(gw: Running, port: int) -> None:
        assert gw.app.gateway is not None and gw.app.simulator is not None
        customer = Customer()
        connection = await customer.bind(port, "alice")
        later = await submitted(
            connection, "draft", to="819055556666", schedule_delivery_time="000001000000000R"
        )
        final = "The final text, long enough for two parts. " * 4
        replace_sm = ReplaceSm(
            message_id=later,
            short_message=encode_gsm7(final + "\n~~~\nthe editor's note"),  # "~" is escaped
            registered_delivery=1,
        )
        answer = await connection.request(replace_sm)
        assert answer.command_status == 0
        account = gw.app.gateway.live[later].account_id
        message = await gw.app.gateway.queries.message(account, later)
        assert (message.text, message.comment) == (final, "the editor's note")
        assert (message.status, message.segments, len(message.parts)) == (Status.SCHEDULED, 2, 2)
        assert (await history_details(gw, later))[-1] == "replaced"
        # an empty text keeps it; a schedule already past sends it now
        past = format_smpp_time(datetime.now(UTC) - timedelta(hours=1))
        now = ReplaceSm(message_id=later, schedule_delivery_time=past, registered_delivery=1)
        assert (await connection.request(now)).command_status == 0
        assert await gw.wait_final([later]) == {later: Status.DELIVERED}
        (receipt,) = await customer.wait_delivered(1)
        assert engine_id(receipt.tlvs[Tag.RECEIPTED_MESSAGE_ID]) == later
        sent = [body for (to, body) in gw.app.simulator._seen if to == "819055556666"]
        assert b"".join(body[6:] for body in sent) == message.text.encode()  # past the UDH
        # once at the carrier it can no longer be replaced
        late = await connection.request(ReplaceSm(message_id=later, short_message=b"too late"))
        assert late.command_status == S.ESME_RREPLACEFAIL
        assert (await gw.app.gateway.queries.message(account, later)).text == message.text
        await connection.unbind_and_close()

    run_with_alice(backend, scenario)


def test_replace_a_queued_message_and_the_refusals(backend: StoreBackend) -> None:
    async def scenario(gw: Running, port: int) -> None:
        assert gw.app.gateway is not None and gw.app.simulator is not None
        await gw.app.simulator.stop()  # the carrier goes away: the message stays queued
        connection = await Customer().bind(port, "alice")
        queued = await submitted(connection, "Meet at 9", registered_delivery=1)
        account = gw.app.gateway.live[queued].account_id
        replace_sm = ReplaceSm(
            message_id=queued, short_message=b"Meet at 10", registered_delivery=2
        )
        assert (await connection.request(replace_sm)).command_status == 0
        message = await gw.app.gateway.queries.message(account, queued)
        assert (message.text, message.status) == ("Meet at 10", Status.QUEUED)
        assert (message.registered_delivery, message.receipt_only) == (True, "failure")
        assert message.parts[0].short_message == b"Meet at 10"
        # in the next hour, valid for ten minutes from then
        later = ReplaceSm(
            message_id=queued,
            schedule_delivery_time="000000010000000R",
            validity_period="000000011000000R",
            registered_delivery=1,
        )
        assert (await connection.request(later)).command_status == 0
        moved = await gw.app.gateway.queries.message(account, queued)
        assert moved.status is Status.SCHEDULED and moved.scheduled_at is not None
        assert round(moved.valid_until - moved.scheduled_at) == 600
        query = await connection.call(QuerySm(message_id=queued))
        assert query.message_state == MessageState.SCHEDULED
        too_long = ReplaceSm(message_id=queued)
        too_long.tlvs[Tag.MESSAGE_PAYLOAD] = b"x" * 2000  # SMPP 5.0: 13 segments, over the 10
        refusals = [
            (ReplaceSm(message_id="0" * 32, short_message=b"x"), S.ESME_RINVMSGID),
            (too_long, S.ESME_RINVMSGLEN),
            (ReplaceSm(message_id=queued, validity_period="soon"), S.ESME_RINVEXPIRY),
        ]
        for pdu, status in refusals:
            assert (await connection.request(pdu)).command_status == status
        assert (await gw.app.gateway.queries.message(account, queued)).text == "Meet at 10"
        await connection.unbind_and_close()

    run_with_alice(backend, scenario)


def test_replace_binary_data_keeps_it_binary(backend: StoreBackend) -> None:
    async def scenario(gw: Running, port: int) -> None:
        assert gw.app.gateway is not None and gw.app.simulator is not None
        await gw.app.simulator.stop()  # the carrier goes away: the message stays queued
        connection = await Customer().bind(port, "alice")
        first, second = bytes(range(0x80, 0x90)), b"\x00\xff" * 5
        ports = bytes.fromhex("0504238423f0")  # application ports, kept through the replacement
        queued = await submitted(
            connection, "", short_message=b"\x06" + ports + first, esm_class=0x40, data_coding=0xF5
        )
        replace_sm = ReplaceSm(message_id=queued, short_message=second)
        assert (await connection.request(replace_sm)).command_status == 0
        message = await gw.app.gateway.queries.message(
            gw.app.gateway.live[queued].account_id, queued
        )
        assert (message.text, message.encoding, message.data_coding, message.udh) == (
            second.hex(),
            "binary",
            0xF5,
            ports,
        )
        assert [(p.short_message, p.esm_class) for p in message.parts] == [
            (b"\x06" + ports + second, 0x40)
        ]
        await connection.unbind_and_close()

    run_with_alice(backend, scenario)


def test_a_replacement_pays_for_its_segments(backend: StoreBackend) -> None:
    async def scenario(gw: Running, port: int) -> None:
        assert gw.app.gateway is not None and gw.app.store is not None
        store = gw.app.store
        account = await store.account_by_system_id("alice")
        assert account is not None
        await store.set_balance(account.id, 120_000, 0.0)  # 0.12 EUR: two segments and a bit
        await gw.app.gateway.reload_balances()
        connection = await Customer().bind(port, "alice")
        later = await submitted(connection, "one", schedule_delivery_time="000001000000000R")
        assert (await store.balance(account.id) or (0,))[0] == 70_000

        async def replace_with(text: str) -> int:
            pdu = ReplaceSm(message_id=later, registered_delivery=1)
            pdu.tlvs[Tag.MESSAGE_PAYLOAD] = text.encode()
            return (await connection.request(pdu)).command_status

        assert await replace_with("two " * 45) == 0  # 180 characters: two segments
        message = await gw.app.gateway.queries.message(account.id, later)
        assert (message.segments, message.price) == (2, "0.10")
        assert (await store.balance(account.id) or (0,))[0] == 20_000
        assert await replace_with("three " * 60) == S.ESME_RPROHIBITED  # 0.15: not covered
        assert (await gw.app.gateway.queries.message(account.id, later)).price == "0.10"
        assert await replace_with("one again") == 0
        assert (await gw.app.gateway.queries.message(account.id, later)).price == "0.05"
        assert (await store.balance(account.id) or (0,))[0] == 70_000
        await connection.unbind_and_close()

    run_with_alice(backend, scenario, prices=[{"per_segment": "0.05", "currency": "EUR"}])


def test_priority_flag_lets_an_urgent_submit_overtake_a_queued_bulk_one(
    backend: StoreBackend,
) -> None:
    async def scenario(gw: Running, port: int) -> None:
        assert gw.app.gateway is not None and gw.app.simulator is not None
        gw.app.simulator.config.response_latency = 0.5  # the carrier takes 100 per 500 ms
        connection = await Customer().bind(port, "alice")
        bulk = await asyncio.gather(
            *(
                submitted(connection, f"bulk {i}", to=f"8190{i:08d}", priority_flag=0)
                for i in range(1000)
            )
        )
        urgent = await submitted(connection, "urgent", priority_flag=3)
        await gw.wait_final([urgent, *bulk], TIMEOUT)
        overtaken_by, after = overtaking(gw.app, urgent, bulk)
        assert after > 300, "the urgent submit did not overtake the waiting bulk ones"
        assert overtaken_by <= 500
        await connection.unbind_and_close()

    run_with_alice(backend, scenario)
