"""Accounts: created, replaced, found by id or by one of their credentials."""

from smsgate.domain.account import Account
from smsgate.domain.credentials import check_system_id
from smsgate.domain.subscribers import Subscriber
from smsgate.store import sql
from smsgate.store.paging import MAX_UNFINISHED_PAGE, check_limit
from smsgate.store.reads.primitives import Primitives
from smsgate.store.rows import account_from, account_values


class AccountReads(Primitives):
    async def create_account(self, account: Account) -> None:
        """Raises DuplicateError when the id, API key hash or SMPP system_id is taken, and
        CredentialError for a system_id no bind could carry."""
        if account.smpp_system_id is not None:
            check_system_id(account.smpp_system_id)
        await self._change_rows(sql.INSERT_ACCOUNT, account_values(account))

    async def update_account(self, account: Account) -> bool:
        """Replace the stored account with the same id; False if there is none.
        CredentialError for a system_id no bind could carry."""
        if account.smpp_system_id is not None:
            check_system_id(account.smpp_system_id)
        values = account_values(account)
        return await self._change_rows(sql.UPDATE_ACCOUNT, (*values[1:], values[0])) > 0

    async def _account(self, query: str, key: str) -> Account | None:
        rows = await self._select_rows(query, [key])
        return account_from(rows[0]) if rows else None

    async def get_account(self, account_id: str) -> Account | None:
        return await self._account(sql.GET_ACCOUNT, account_id)

    async def account_by_api_key_hash(self, api_key_hash: str) -> Account | None:
        return await self._account(sql.ACCOUNT_BY_KEY, api_key_hash)

    async def account_by_system_id(self, system_id: str) -> Account | None:
        return await self._account(sql.ACCOUNT_BY_SYSTEM_ID, system_id)

    async def account_by_bot_id(self, bot_id: str) -> Account | None:
        return await self._account(sql.ACCOUNT_BY_BOT, bot_id)

    async def subscribers(
        self, account_id: str, limit: int, after: str | None = None
    ) -> list[Subscriber]:
        """The users who subscribed to the account's bot, by number, after `after`."""
        check_limit(limit, MAX_UNFINISHED_PAGE)
        rows = await self._select_rows(sql.SUBSCRIBERS, [account_id, after or "", limit])
        return [Subscriber(str(r[0]), str(r[1]), float(r[2])) for r in rows]

    async def list_accounts(self) -> list[Account]:
        return [account_from(row) for row in await self._select_rows(sql.LIST_ACCOUNTS, [])]
