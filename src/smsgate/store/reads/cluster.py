"""State every node sharing the store sees alike: the versions of the configuration (what a
node polls to reload what changed elsewhere), the rate buckets nodes take slices of tokens
from, and the expiry of the identical-request window's rows."""

from collections.abc import Sequence
from typing import ClassVar, Final

from smsgate.store import sql
from smsgate.store.reads.primitives import Primitives

# Take up to `want` tokens from a bucket refilled at `rate` per second up to `burst`, in one
# statement: the row lock serialises the nodes, and what was granted is kept in the row so
# that RETURNING can tell it. `{least}`/`{greatest}` are the dialect's two-argument min/max.
_AVAILABLE: Final = "{least}(?, tokens + {greatest}(0, ? - updated_at) * ?)"
TAKE: Final = (
    "UPDATE rate_buckets SET"
    f" granted = {{least}}(?, {{greatest}}(0, {_AVAILABLE})),"
    f" tokens = {_AVAILABLE} - {{least}}(?, {{greatest}}(0, {_AVAILABLE})),"
    " updated_at = {greatest}(updated_at, ?)"
    " WHERE name = ? RETURNING granted"
)
_NEW_BUCKET: Final = (
    "INSERT INTO rate_buckets (name, tokens, updated_at) VALUES (?, ?, ?)"
    " ON CONFLICT (name) DO NOTHING"
)


class ClusterState(Primitives):
    # whether several processes may share this store (PostgreSQL); one SQLite file has one
    # gateway, whose memory is then the whole truth for windows and rates
    shared: ClassVar[bool] = False
    _take_tokens: ClassVar[str] = TAKE.format(least="min", greatest="max")

    async def config_versions(self) -> dict[str, int]:
        """The version of each kind of configuration (accounts, routes, carriers, portability,
        prices, opt_outs), bumped with every change of its table by whoever wrote it."""
        rows = await self._select_rows(sql.CONFIG_VERSIONS, [])
        return {str(kind): int(version) for kind, version in rows}

    async def take_tokens(
        self, name: str, rate: float, burst: float, want: float, now: float
    ) -> float:
        """Up to `want` tokens from the bucket `name` (`rate` per second, holding at most
        `burst`; created full), in one transaction; how many were granted."""
        pairs = (burst, now, rate)
        params = [want, *pairs, *pairs, want, *pairs, now, name]
        rows = await self._change_returning(self._take_tokens, params)
        if not rows:
            await self._change_rows(_NEW_BUCKET, [name, burst, now])
            rows = await self._change_returning(self._take_tokens, params)
        return float(rows[0][0]) if rows else 0.0

    async def identical_taken(self, keys: Sequence[int], at: float) -> set[int]:
        """Which of `keys` the identical-request window holds at `at` (a request's time)."""
        query = (
            f"SELECT key FROM identical_requests WHERE key IN ({sql.placeholders(len(keys))})"
            " AND expires_at > ?"
        )
        return {int(row[0]) for row in await self._select_rows(query, [*keys, at])}

    async def purge_identical(self, before: float) -> int:
        """Forget the identical-request rows whose window ended by `before`; how many."""
        return await self._change_rows(sql.PURGE_IDENTICAL, [before])
