"""Accounts, routing configuration tables and inbound messages, on both backends."""

import pytest

from smsgate.domain.credentials import CredentialError
from smsgate.domain.ids import new_id
from smsgate.domain.inbound import InboundMessage
from smsgate.domain.routing_tables import ConnectorRow, PortabilityRow, PrefixRow, RouteRow
from smsgate.store import DuplicateError, Store
from tests.store.backends import StoreBackend
from tests.store.factories import new_account


def test_accounts_round_trip_and_lookups(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        api = new_account("api only", key_hash="a" * 64)
        smpp = new_account("smpp only", system_id="acme01")
        bare = new_account("neither")
        for account in (api, smpp, bare):
            await s.create_account(account)
        assert await s.get_account(api.id) == api
        assert await s.account_by_api_key_hash("a" * 64) == api
        assert await s.account_by_system_id("acme01") == smpp
        assert await s.account_by_api_key_hash("b" * 64) is None
        assert await s.account_by_system_id("nobody") is None
        assert await s.get_account("missing") is None
        assert await s.list_accounts() == sorted([api, smpp, bare], key=lambda a: a.id)

        smpp.enabled = False
        smpp.rate_limit = 5.5
        assert await s.update_account(smpp)
        assert await s.get_account(smpp.id) == smpp
        assert not await s.update_account(new_account("ghost"))

    store.run(body)


def test_a_system_id_no_bind_could_carry_is_refused(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        with pytest.raises(CredentialError, match="15"):
            await s.create_account(new_account(system_id="x" * 16))
        account = new_account(system_id="acme01")
        await s.create_account(account)
        account.smpp_system_id = "a\x00b"
        with pytest.raises(CredentialError, match="ASCII"):
            await s.update_account(account)
        assert [a.smpp_system_id for a in await s.list_accounts()] == ["acme01"]

    store.run(body)


def test_account_keys_are_unique(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        first = new_account(key_hash="k" * 64, system_id="sys1")
        await s.create_account(first)
        with pytest.raises(DuplicateError):
            await s.create_account(new_account(key_hash="k" * 64))
        with pytest.raises(DuplicateError):
            await s.create_account(new_account(system_id="sys1"))
        with pytest.raises(DuplicateError):
            await s.create_account(first)
        other = new_account(system_id="sys2")
        await s.create_account(other)
        other.smpp_system_id = "sys1"
        with pytest.raises(DuplicateError):
            await s.update_account(other)
        assert len(await s.list_accounts()) == 2

    store.run(body)


def test_connectors(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        smpp = ConnectorRow("carrier-a", "smpp", {"host": "10.0.0.1", "port": 2775, "tps": 50})
        http = ConnectorRow("carrier-b", "http", {"url": "https://b.example"}, enabled=False)
        await s.upsert_connector(smpp)
        await s.upsert_connector(http)
        assert await s.list_connectors() == [smpp, http]
        moved = ConnectorRow("carrier-a", "smpp", {"host": "10.0.0.2", "nested": {"a": [1, 2]}})
        await s.upsert_connector(moved)
        assert await s.list_connectors() == [moved, http]
        assert await s.delete_connector("carrier-b")
        assert not await s.delete_connector("carrier-b")
        assert await s.list_connectors() == [moved]

    store.run(body)


def test_routes_are_replaced_as_a_whole(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        first = [
            RouteRow("fallback", 100, {"connector": "carrier-b"}),
            RouteRow("jp-docomo", 10, {"carrier": "docomo", "connector": "carrier-a"}),
        ]
        await s.replace_routes(first)
        assert await s.list_routes() == [first[1], first[0]]
        second = [RouteRow("only", 1, {"connector": "carrier-a", "weights": [0.5, 0.5]})]
        await s.replace_routes(second)
        assert await s.list_routes() == second
        await s.replace_routes([])
        assert await s.list_routes() == []

    store.run(body)


def test_carrier_prefixes_are_replaced_per_source(store: StoreBackend) -> None:
    async def body(s: Store) -> None:
        assert await s.replace_carrier_prefixes([("8190", "docomo"), ("8180", "au")], "plan") == 2
        await s.replace_carrier_prefixes([("8170", "softbank"), ("8180", "rakuten")], "operator")
        assert await s.list_carrier_prefixes() == [
            PrefixRow("8170", "softbank", "operator"),
            PrefixRow("8180", "rakuten", "operator"),  # the latest replace took it over
            PrefixRow("8190", "docomo", "plan"),
        ]
        await s.replace_carrier_prefixes([("8190", "docomo")], "plan")
        await s.replace_carrier_prefixes([], "operator")
        assert await s.list_carrier_prefixes() == [PrefixRow("8190", "docomo", "plan")]

    store.run(body)


def test_portability_import_of_ten_thousand_numbers(store: StoreBackend) -> None:
    def rows(carrier: str, count: int) -> list[PortabilityRow]:
        return [PortabilityRow(f"8190{i:08d}", carrier, 1000.0 + i) for i in range(count)]

    async def body(s: Store) -> None:
        assert await s.import_portability(iter(rows("au", 10_000))) == 10_000
        assert await s.portability_carrier("819000000000") == "au"
        assert await s.portability_carrier("819000009999") == "au"
        assert await s.portability_carrier("819000010000") is None
        # a second import moves numbers, including one repeated within the same batch
        moved = [*rows("softbank", 3), PortabilityRow("819000000001", "rakuten", 5000.0)]
        assert await s.import_portability(moved) == 4
        assert await s.portability_carrier("819000000000") == "softbank"
        assert await s.portability_carrier("819000000001") == "rakuten"
        assert await s.portability_carrier("819000000003") == "au"
        assert await s.import_portability([]) == 0
        ported = dict(await s.list_portability())
        assert len(ported) == 10_000
        assert ported["819000000001"] == "rakuten"
        assert ported["819000009999"] == "au"

    store.run(body)


def test_inbound_messages(store: StoreBackend) -> None:
    def inbound(account_id: str | None, text: str | None = "yes") -> InboundMessage:
        return InboundMessage(
            id=new_id(),
            connector_id="carrier-a",
            source="819012345678",
            destination="12345",
            text=text,
            data_coding=0 if text is not None else 4,
            payload=b"yes" if text is not None else b"\x00\x01\xfe\xff",
            received_at=1_700_000_000.5,
            account_id=account_id,
            segments=1 if text is not None else 2,
            complete=text is not None,
        )

    async def body(s: Store) -> None:
        mine = [inbound("acct-1") for _ in range(4)] + [inbound("acct-1", None)]
        await s.write([*mine, inbound("acct-2"), inbound(None)])
        page, cursor = await s.list_inbound("acct-1", limit=3)
        assert page == mine[::-1][:3]
        assert cursor is not None
        rest, cursor = await s.list_inbound("acct-1", limit=3, cursor=cursor)
        assert rest == mine[::-1][3:]
        assert cursor is None
        assert page[0].text is None
        assert page[0].payload == b"\x00\x01\xfe\xff"
        assert not page[0].complete
        theirs, _ = await s.list_inbound("acct-2")
        assert len(theirs) == 1
        assert theirs[0].account_id == "acct-2"
        many = [inbound("acct-3") for _ in range(100)]  # one large batch
        await s.write(many)
        stored, _ = await s.list_inbound("acct-3", limit=1000)
        assert stored == many[::-1]

    store.run(body)
