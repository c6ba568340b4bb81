"""The engine driven through its ports by a connector that is not SMPP (`MemoryConnector`), on
a real SQLite store: sending, reports before and after acceptance, refusals, failover between
connectors, and MO. Nothing here touches the engine's code to add the channel."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from smsgate.domain.account import Account
from smsgate.domain.ids import new_id
from smsgate.domain.inbound import InboundNumber
from smsgate.domain.message import Message
from smsgate.domain.routing_tables import RouteRow
from smsgate.domain.status import FINAL, Status
from smsgate.engine.commands import SendCommand
from smsgate.engine.config import EngineConfig
from smsgate.engine.gateway import Gateway
from smsgate.engine.router import EngineRouter
from smsgate.store import Store, open_store
from tests.engine.memory_connector import MemoryConnector

TIMEOUT = 10.0
LONG_TEXT = "A message long enough for three parts. " * 8  # 320 GSM-7 characters


@dataclass
class Engine:
    gateway: Gateway
    store: Store
    account: Account
    final: dict[str, Status]
    changed: asyncio.Event

    async def send(self, text: str = "Hello", to: str = "+819012345678") -> Message:
        (result,) = await self.gateway.accept(self.account, [SendCommand(to=to, text=text)])
        assert isinstance(result, Message), result
        return result

    async def wait_final(self, message_id: str) -> Status:
        async def final() -> Status:
            while message_id not in self.final:
                self.changed.clear()
                await self.changed.wait()
            return self.final[message_id]

        return await asyncio.wait_for(final(), TIMEOUT)


@asynccontextmanager
async def engine(tmp_path: Path, *connectors: MemoryConnector) -> AsyncIterator[Engine]:
    store = await open_store(str(tmp_path / "engine.db"))
    targets = [{"id": c.name} for c in connectors]
    await store.replace_routes([RouteRow("all", 0, {"connectors": targets, "mode": "failover"})])
    account = Account(id=new_id(), name="a", api_key_hash="x", rate_limit=10_000.0)
    await store.create_account(account)
    final: dict[str, Status] = {}
    changed = asyncio.Event()

    def on_status(message: Message, status: Status) -> None:
        if status in FINAL:
            final[message.id] = status
            changed.set()

    gateway = Gateway(
        store,
        await EngineRouter.load(store),
        {c.name: c for c in connectors},
        config=EngineConfig(identical_window=0.0),
        on_status=[on_status],
    )
    await gateway.start()
    try:
        yield Engine(gateway, store, account, final, changed)
    finally:
        await gateway.stop(1.0)
        await store.close()


def run(tmp_path: Path, body: Callable[[Engine], Awaitable[None]], *c: MemoryConnector) -> None:
    async def main() -> None:
        async with engine(tmp_path, *c) as e:
            await body(e)

    asyncio.run(main())


def test_a_message_goes_through_a_connector_of_another_kind(tmp_path: Path) -> None:
    memory = MemoryConnector("memory")

    async def body(e: Engine) -> None:
        message = await e.send(LONG_TEXT)
        assert await e.wait_final(message.id) is Status.DELIVERED
        stored = await e.gateway.queries.message(e.account.id, message.id)
        assert [p.status for p in stored.parts] == [Status.DELIVERED] * 3
        assert {p.connector_id for p in stored.parts} == {"memory"}
        assert sorted(p.upstream_id or "" for p in stored.parts) == [
            "memory-1",
            "memory-2",
            "memory-3",
        ]
        handed = memory.handed
        assert [p.key.seq for p in handed] == [1, 2, 3]
        # neutral parts: the validity is a time, the text is there for channels that want it
        assert {p.valid_until for p in handed} == {message.valid_until}
        assert handed[0].text == LONG_TEXT and handed[0].udhi and handed[0].receipt
        assert handed[0].destination == "819012345678"

    run(tmp_path, body, memory)


def test_a_report_before_its_acceptance_is_applied_once_the_part_is_accepted(
    tmp_path: Path,
) -> None:
    async def body(e: Engine) -> None:
        messages = [await e.send(f"race {i}") for i in range(5)]
        for message in messages:
            assert await e.wait_final(message.id) is Status.DELIVERED

    run(tmp_path, body, MemoryConnector("memory", report_first=True))


def test_a_report_of_failure_and_a_refusal_name_their_catalog_errors(tmp_path: Path) -> None:
    memory = MemoryConnector(
        "memory",
        outcome={"819011111111": Status.UNDELIVERED},
        refuse={"819022222222": "carrier_rejected"},
    )

    async def body(e: Engine) -> None:
        undelivered = await e.send(to="+819011111111")
        refused = await e.send(to="+819022222222")
        assert await e.wait_final(undelivered.id) is Status.UNDELIVERED
        assert await e.wait_final(refused.id) is Status.FAILED
        got = await e.gateway.queries.message(e.account.id, undelivered.id)
        assert got.error_code == "undeliverable"
        got = await e.gateway.queries.message(e.account.id, refused.id)
        assert (got.error_code, got.error_detail) == ("carrier_rejected", "refused by memory")
        assert e.gateway.counters.failed == 1

    run(tmp_path, body, memory)


def test_the_next_connector_takes_over_while_the_first_is_down(tmp_path: Path) -> None:
    down, spare = MemoryConnector("primary", up=False), MemoryConnector("spare")

    async def body(e: Engine) -> None:
        message = await e.send()
        assert await e.wait_final(message.id) is Status.DELIVERED
        assert down.handed == [] and len(spare.handed) == 1
        down.up = True
        message = await e.send()
        assert await e.wait_final(message.id) is Status.DELIVERED
        assert len(down.handed) == 1  # the first in the failover order, once it is up

    run(tmp_path, body, down, spare)


def test_a_message_waits_while_no_connector_is_up(tmp_path: Path) -> None:
    memory = MemoryConnector("memory", up=False)

    async def body(e: Engine) -> None:
        message = await e.send()
        await asyncio.sleep(0.2)  # several turns of the dispatch loop with nothing up
        assert memory.handed == [] and message.id not in e.final
        memory.up = True
        assert await e.wait_final(message.id) is Status.DELIVERED

    run(tmp_path, body, memory)


def test_mo_through_the_port_reaches_the_account_owning_the_number(tmp_path: Path) -> None:
    memory = MemoryConnector("memory")

    async def body(e: Engine) -> None:
        await e.store.add_inbound_number(InboundNumber("81312345678", "", e.account.id, 0.0))
        await memory.mo("819012345678", "81312345678", "STOP")
        (found,), _ = await e.gateway.queries.inbound(e.account.id)
        assert (found.source, found.destination, found.text) == (
            "819012345678",
            "81312345678",
            "STOP",
        )
        assert found.connector_id == "memory" and e.gateway.counters.inbound == 1

    run(tmp_path, body, memory)
