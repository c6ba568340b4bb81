"""Prepaid balances, the price list, and the responses kept for Idempotency-Keys."""

from collections.abc import Sequence

from smsgate.domain.pricing import PriceRule
from smsgate.store import sql
from smsgate.store.errors import BalanceError
from smsgate.store.reads.primitives import Primitives
from smsgate.store.rows import price_from, price_values


class LedgerReads(Primitives):
    async def balances(self) -> dict[str, int]:
        """Every prepaid account's balance, in millionths of its currency."""
        return {row[0]: int(row[1]) for row in await self._select_rows(sql.BALANCES, [])}

    async def balance(self, account_id: str) -> tuple[int, float] | None:
        """(micros, updated_at) of a prepaid account; None for a postpaid one."""
        rows = await self._select_rows(sql.BALANCE, [account_id])
        return (int(rows[0][0]), float(rows[0][1])) if rows else None

    async def add_balance(self, account_id: str, micros: int, at: float) -> int:
        """Top up (or, negative, take off) a balance, making the account prepaid; returns the
        new balance. IntegrityError when it would go below zero."""
        if micros >= 0:
            await self._change_rows(sql.ADD_BALANCE, [account_id, micros, at])
        elif not await self._change_rows(sql.CHANGE_BALANCE, [micros, at, account_id]):
            raise BalanceError(f"account {account_id} has no balance to take from")
        found = await self.balance(account_id)
        assert found is not None
        return found[0]

    async def set_balance(self, account_id: str, micros: int | None, at: float) -> None:
        """Set a balance (the account becomes prepaid), or with None make it postpaid."""
        if micros is None:
            await self._change_rows(sql.DELETE_BALANCE, [account_id])
        else:
            await self._change_rows(sql.SET_BALANCE, [account_id, micros, at])

    async def replace_prices(self, rules: Sequence[PriceRule]) -> None:
        """Make `rules` the whole price list, in this order, atomically."""
        values = [price_values(i, rule) for i, rule in enumerate(rules)]
        await self._replace_rows(sql.DELETE_PRICES, [], sql.INSERT_PRICE, values)

    async def list_prices(self) -> list[PriceRule]:
        return [price_from(row) for row in await self._select_rows(sql.LIST_PRICES, [])]

    async def idempotent_response(
        self, account_id: str, key: str, since: float
    ) -> tuple[str, int, bytes, float] | None:
        """(request hash, status code, body, created_at) of the first response to a request
        with this Idempotency-Key, if it was recorded at or after `since`."""
        rows = await self._select_rows(sql.IDEMPOTENT_RESPONSE, [account_id, key, since])
        if not rows:
            return None
        row = rows[0]
        return str(row[0]), int(row[1]), bytes(row[2]), float(row[3])

    async def purge_idempotency(self, before: float) -> int:
        """Forget the responses recorded before `before`; returns how many."""
        return await self._change_rows(sql.PURGE_IDEMPOTENT, [before])
