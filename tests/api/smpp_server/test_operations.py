"""replace_sm, receipts asked for on failure or on success only (registered_delivery 2 and 3),
and priority_flag in the dispatch order: over real SMPP to a running gateway, on both store
backends."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from smsgate.domain.status import Status
from smsgate.smpp.constants import CommandStatus, MessageState
from smsgate.smpp.pdu import SubmitSmResp
from smsgate.smpp.tlv import Tag
from smsgate.transport.smpp_connection import SmppConnection
from tests.api.harness import Running, running_gateway
from tests.api.smpp_server.customers import Customer, add_smpp_account, smpp_port, submit
from tests.store.backends import StoreBackend

S = CommandStatus
Scenario = Callable[[Running, int], Awaitable[None]]
REFUSED = "8180"  # destinations the simulated carrier refuses


def run(backend: StoreBackend, scenario: Scenario, **settings: Any) -> None:
    async def main() -> None:
        async with running_gateway(backend.url, **settings) as gw:
            assert gw.app.simulator is not None
            gw.app.simulator.config.reject_destinations = (REFUSED,)
            await add_smpp_account(gw.app, "alice")
            await scenario(gw, smpp_port(gw.app))

    asyncio.run(main())


async def submitted(connection: SmppConnection, text: str, **fields: Any) -> str:
    answer = await connection.call(submit(text, **fields))
    assert isinstance(answer, SubmitSmResp)
    return answer.message_id


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
        receipts = {d.tlvs[Tag.RECEIPTED_MESSAGE_ID]: d.tlvs[Tag.MESSAGE_STATE] for d in delivered}
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

    run(backend, scenario)
