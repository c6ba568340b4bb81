"""Numbers, carriers and routes for the engine, built from the store's tables."""

from collections.abc import Set

from smsgate.domain.carriers import CarrierTable
from smsgate.domain.channels import SMS
from smsgate.domain.errors import GatewayError
from smsgate.domain.numbers import parse_destination, parse_source
from smsgate.domain.routing import Routable, RouteTable
from smsgate.store import Store


class EngineRouter:
    """Implements the engine's Router: immutable tables, rebuilt by `load` when they change."""

    def __init__(
        self, routes: RouteTable, carriers: CarrierTable, default_country: str | None = None
    ) -> None:
        self.routes = routes
        self.carriers = carriers
        self.default_country = default_country

    @classmethod
    async def load(cls, store: Store, default_country: str | None = None) -> "EngineRouter":
        routes = RouteTable.from_rows((r.id, r.position, r.spec) for r in await store.list_routes())
        prefixes = [(row.prefix, row.carrier) for row in await store.list_carrier_prefixes()]
        ported = await store.list_portability()
        return cls(routes, CarrierTable(prefixes, ported), default_country)

    def destination(self, value: str) -> tuple[str, str | None]:
        parsed = parse_destination(value, default_country=self.default_country)
        return parsed.e164, parsed.region

    def source(self, value: str) -> tuple[str, int, int]:
        parsed = parse_source(value, default_country=self.default_country)
        return parsed.value, parsed.ton, parsed.npi

    def carrier(self, e164: str) -> str | None:
        return self.carriers.carrier_for(e164)

    def connectors(
        self,
        account_id: str,
        source: str,
        e164: str,
        region: str | None,
        carrier: str | None,
        available: Set[str] | None = None,
        channel: str = SMS,
    ) -> tuple[str, list[str]]:
        if region is None:
            region = parse_destination("+" + e164).region
        routable = Routable(account_id, source, e164, region, carrier, channel)
        selection = self.routes.select(routable, available)
        if not selection.connector_ids and not selection.down:
            raise GatewayError("no_route", f"route {selection.route_id} has no connector")
        return selection.route_id, list(selection.connector_ids)
