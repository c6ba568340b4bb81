"""The routing configuration: connectors, routes, carrier prefixes, ported numbers."""

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import cast

from smsgate.domain.routing_tables import ConnectorRow, PortabilityRow, PrefixRow, RouteRow
from smsgate.store import sql
from smsgate.store.paging import MAX_PAGE, check_limit
from smsgate.store.reads.primitives import Primitives
from smsgate.store.rows import (
    connector_from,
    connector_values,
    prefix_from,
    route_from,
    route_values,
)


class RoutingTables(Primitives):
    async def upsert_connector(self, connector: ConnectorRow) -> None:
        await self._change_rows(sql.UPSERT_CONNECTOR, connector_values(connector))

    async def delete_connector(self, connector_id: str) -> bool:
        return await self._change_rows(sql.DELETE_CONNECTOR, [connector_id]) > 0

    async def list_connectors(self) -> list[ConnectorRow]:
        return [connector_from(row) for row in await self._select_rows(sql.LIST_CONNECTORS, [])]

    async def replace_routes(self, routes: Sequence[RouteRow]) -> None:
        """Make `routes` the whole route table, atomically."""
        values = [route_values(r) for r in routes]
        await self._replace_rows(sql.DELETE_ROUTES, [], sql.INSERT_ROUTE, values)

    async def list_routes(self) -> list[RouteRow]:
        """By position."""
        return [route_from(row) for row in await self._select_rows(sql.LIST_ROUTES, [])]

    async def replace_carrier_prefixes(self, rows: Iterable[tuple[str, str]], source: str) -> int:
        """Replace the (prefix, carrier) rows from `source`, atomically; a prefix that another
        source also gives goes to the latest replace. Returns the number of rows written."""
        values = [(prefix, carrier, source) for prefix, carrier in rows]
        await self._replace_rows(sql.DELETE_PREFIXES, [source], sql.UPSERT_PREFIX, values)
        return len(values)

    async def list_carrier_prefixes(self) -> list[PrefixRow]:
        return [prefix_from(row) for row in await self._select_rows(sql.LIST_PREFIXES, [])]

    async def import_portability(self, rows: Iterable[PortabilityRow]) -> int:
        """Insert or update ported numbers in bounded batches (each its own transaction, so
        a long import never holds up message writes for long). Returns rows processed."""
        total = 0
        source = iter(rows)
        while chunk := list(islice(source, sql.PORTABILITY_CHUNK)):
            await self._upsert_portability(chunk)
            total += len(chunk)
        return total

    async def portability_carrier(self, number: str) -> str | None:
        rows = await self._select_rows(sql.PORTABILITY_CARRIER, [number])
        return str(rows[0][0]) if rows else None

    async def find_portability(
        self, *, prefix: str = "", carrier: str | None = None, limit: int = 50
    ) -> tuple[list[tuple[str, str]], int]:
        """Ported numbers starting with `prefix` (digits; by a range of the primary key) and of
        `carrier` if given, in number order, at most `limit`; and how many match in all."""
        check_limit(limit, MAX_PAGE)
        # numbers are digits: ":" sorts right after "9", so [prefix, prefix + ":") is the range
        where, params = sql.conditions(
            "number >= ? AND number < ?", [prefix, prefix + ":"], (("carrier = ?", carrier),)
        )
        rows = await self._select_rows(
            f"SELECT number, carrier FROM portability WHERE {where} ORDER BY number LIMIT ?",
            [*params, limit],
        )
        total = await self._select_count(f"SELECT COUNT(*) FROM portability WHERE {where}", params)
        return [(str(number), str(found)) for number, found in rows], total

    async def list_portability(self) -> list[tuple[str, str]]:
        """Every (number, carrier) override, for the in-memory carrier table: one list the
        size of the table (tens of bytes a number), read in one query."""
        rows = await self._select_rows(sql.PORTABILITY_ALL, [])
        # converted in place: there may be millions, so never two lists of them at once
        for index, (number, carrier) in enumerate(rows):
            rows[index] = (str(number), str(carrier))
        return cast(list[tuple[str, str]], rows)
