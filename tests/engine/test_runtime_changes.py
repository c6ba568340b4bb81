"""What an operator changes while the engine runs, on a real SQLite store: a connector stopped
(its unsent parts queued again, nothing lost) and started afresh (what waited goes out once),
the routing tables read again, dead letters replayed with the outbox consumers woken."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.domain.ids import new_id
from smsgate.domain.message import Message
from smsgate.domain.routing_tables import PortabilityRow, RouteRow
from smsgate.domain.status import FINAL, Status
from smsgate.engine.commands import SendCommand
from smsgate.engine.config import EngineConfig
from smsgate.engine.gateway import Gateway
from smsgate.engine.router import EngineRouter
from smsgate.engine.stopped_connector import StoppedConnector
from smsgate.store import open_store
from tests.engine.memory_connector import MemoryConnector
from tests.engine.test_ports import LONG_TEXT, Engine

TIMEOUT = 10.0
URL = "https://receiver.example/status"


@asynccontextmanager
async def engine(
    tmp_path: Path,
    connectors: list[MemoryConnector],
    build: Callable[[str], MemoryConnector] | None = None,
    wakers: tuple[Callable[[], None], ...] = (),
) -> AsyncIterator[Engine]:
    store = await open_store(str(tmp_path / "engine.db"))
    targets = [{"id": c.name} for c in connectors]
    await store.replace_routes([RouteRow("all", 0, {"connectors": targets})])
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
        build_connector=build,
        outbox_wakers=wakers,
    )
    await gateway.start()
    try:
        yield Engine(gateway, store, account, final, changed)
    finally:
        await gateway.stop(1.0)
        await store.close()


async def until(condition: Callable[[], bool]) -> None:
    """Until `condition` holds, looking at each turn of the event loop (bounded by the test)."""
    while not condition():
        await asyncio.sleep(0)


def test_a_stopped_connector_hands_its_parts_back_and_they_go_out_once_after_a_start(
    tmp_path: Path,
) -> None:
    quiet = MemoryConnector("m", hold=True)
    fresh: list[MemoryConnector] = []

    def build(connector_id: str) -> MemoryConnector:
        fresh.append(MemoryConnector(connector_id))
        return fresh[-1]

    async def main() -> None:
        async with asyncio.timeout(TIMEOUT), engine(tmp_path, [quiet], build) as e:
            gateway = e.gateway
            before = [await e.send("one"), await e.send(LONG_TEXT), await e.send("three")]
            await until(lambda: len(quiet.held) == 5)
            assert await gateway.stop_connector("m") == 5
            stopped = gateway.connectors["m"]
            assert isinstance(stopped, StoppedConnector) and not stopped.is_up
            assert await gateway.stop_connector("m") == 0  # stopped already
            during = [await e.send("while stopped"), await e.send(LONG_TEXT)]
            for message in before + during:  # the store never saw a part leave
                stored = await e.store.get_message(message.id)
                assert stored is not None and stored.status is Status.QUEUED
            assert fresh == []
            assert await gateway.start_connector("m") is True
            assert await gateway.start_connector("m") is False  # running already
            statuses = [await e.wait_final(m.id) for m in before + during]
            assert statuses == [Status.DELIVERED] * 5
            (started,) = fresh
            assert gateway.connectors["m"] is started
            sent = Counter(part.key for part in started.handed)
            assert set(sent.values()) == {1}  # no part twice
            assert len(sent) == 1 + 3 + 1 + 1 + 3
            assert {p.key for p in quiet.handed} <= set(sent)

    asyncio.run(main())


def test_an_unknown_connector_is_not_found_and_none_starts_without_a_builder(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        async with asyncio.timeout(TIMEOUT), engine(tmp_path, [MemoryConnector("m")]) as e:
            with pytest.raises(GatewayError) as unknown:
                await e.gateway.stop_connector("nope")
            assert unknown.value.code == "not_found"
            assert await e.gateway.stop_connector("m") == 0
            with pytest.raises(GatewayError) as cannot:
                await e.gateway.start_connector("m")
            assert cannot.value.code == "unavailable"

    asyncio.run(main())


def test_reloaded_routes_and_ported_numbers_take_effect_without_a_restart(
    tmp_path: Path,
) -> None:
    first, second = MemoryConnector("first"), MemoryConnector("second")
    number = "819012345678"

    async def main() -> None:
        async with asyncio.timeout(TIMEOUT), engine(tmp_path, [first, second]) as e:
            router = e.gateway.router
            assert isinstance(router, EngineRouter)
            held_carriers = router.carriers  # the HLR portability feed holds this same table
            await e.wait_final((await e.send(to="+" + number)).id)
            assert [p.destination for p in first.handed] == [number]
            await e.store.replace_routes(
                [
                    RouteRow(
                        "ported", 0, {"match": {"carriers": ["rakuten"]}, "connectors": ["second"]}
                    ),
                    RouteRow("rest", 1, {"connectors": ["first"]}),
                ]
            )
            await e.store.import_portability([PortabilityRow(number, "rakuten", 0.0)])
            await e.gateway.reload_routes()
            assert (
                router.carrier(number) == "rakuten"
                and held_carriers.carrier_for(number) == "rakuten"
            )
            await e.wait_final((await e.send(to="+" + number)).id)
            assert [p.destination for p in second.handed] == [number]

    asyncio.run(main())


def test_a_replay_wakes_the_outbox_consumers_only_when_something_was_replayed(
    tmp_path: Path,
) -> None:
    woken: list[str] = []

    async def main() -> None:
        async with (
            asyncio.timeout(TIMEOUT),
            engine(tmp_path, [MemoryConnector("m")], wakers=(lambda: woken.append("w"),)) as e,
        ):
            assert await e.gateway.replay_dead_letters(["no-such-item"]) == 0
            assert woken == []
            (sent,) = await e.gateway.accept(
                e.account, [SendCommand(to="+819012345678", text="hi", callback_url=URL)]
            )
            assert isinstance(sent, Message)
            await e.wait_final(sent.id)
            await e.gateway.writer.drain()
            now = e.gateway.clock.time()
            owed = await e.store.claim_outbox("http", now, limit=10)
            assert owed and {item.subject_id for item in owed} == {sent.id}
            for item in owed:  # what a consumer does once an item ran out of attempts
                await e.store.outbox_abandon(item, now, "HTTP 500")
            ids = [item.id for item in owed]
            assert await e.gateway.replay_dead_letters(ids) == len(ids)
            assert woken == ["w"]
            assert len(await e.store.claim_outbox("http", now + 1, limit=10)) >= 1

    asyncio.run(main())
