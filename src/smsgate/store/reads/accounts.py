"""Accounts: created, replaced, found by id or by one of their credentials, deleted with what
is stored for them."""

import sys

from smsgate.domain.account import Account
from smsgate.domain.api_keys import ApiKey
from smsgate.domain.credentials import check_system_id
from smsgate.domain.status import Status
from smsgate.domain.subscribers import Subscriber
from smsgate.store import sql
from smsgate.store.paging import MAX_UNFINISHED_PAGE, check_limit
from smsgate.store.reads.messages import purge
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

    async def _account(self, query: str, *params: str) -> Account | None:
        rows = await self._select_rows(query, params)
        return account_from(rows[0]) if rows else None

    async def get_account(self, account_id: str) -> Account | None:
        return await self._account(sql.GET_ACCOUNT, account_id)

    async def account_by_api_key_hash(self, api_key_hash: str) -> Account | None:
        """The account whose first key or one of whose other keys (`api_keys`) hashes to
        `api_key_hash`: one read, whichever it is."""
        return await self._account(sql.ACCOUNT_BY_KEY, api_key_hash, api_key_hash)

    async def add_api_key(self, key: ApiKey, key_hash: str) -> None:
        """Store one more key of `key.account_id`; DuplicateError when the hash is taken."""
        values = (key.id, key.account_id, key_hash, key.label, key.created_at)
        await self._change_rows(sql.INSERT_API_KEY, values)

    async def api_keys(self, account_id: str) -> list[ApiKey]:
        """The account's keys beyond its first, the oldest first."""
        rows = await self._select_rows(sql.API_KEYS_OF, [account_id])
        return [ApiKey(str(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in rows]

    async def count_api_keys(self, account_id: str) -> int:
        return await self._select_count(sql.COUNT_API_KEYS, [account_id])

    async def delete_api_key(self, account_id: str, key_id: str) -> bool:
        """Revoke one of the account's keys beyond its first; False if it has no such key."""
        return await self._change_rows(sql.DELETE_API_KEY, [account_id, key_id]) > 0

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

    async def unfinished_counts(self, account_id: str) -> dict[Status, int]:
        """How many of the account's messages a gateway is still working on (accepted,
        scheduled, queued, sending), by status; the ones `delete_account` waits for."""
        query = sql.ACCOUNT_UNFINISHED.format(index=self._unfinished_index)
        rows = await self._select_rows(query, [account_id])
        return {Status(row[0]): int(row[1]) for row in rows}

    async def _delete_outbox_of(self, account_id: str, span: int) -> tuple[int, int]:
        """Delete the account's outbox items with their attempts, looking at `span` items of
        the outbox (every account's) a transaction; how many attempts and items went."""
        attempts = items = 0
        after = ""
        while True:
            end = (await self._select_rows(sql.OUTBOX_SPAN_END, [after, span]))[0][0]
            if end is None:
                return attempts, items
            params = [after, end, account_id]
            attempts += await self._change_rows(sql.DELETE_SPAN_ATTEMPTS, params)
            items += await self._change_rows(sql.DELETE_SPAN_OUTBOX, params)
            after = str(end)

    async def delete_account(self, account_id: str, *, batch: int = 1000) -> dict[str, int]:
        """Delete the account with everything stored for it: its messages (with their parts
        and history; `sent` ones too, as retention deletes them: a receipt coming later matches
        nothing), its outbox items owed or not (with their attempts), its MO, numbers,
        opt-outs, balance, idempotency keys, parts of multi-PDU messages and API keys; rows
        deleted per kind. The messages and MO go `batch` per transaction, the outbox is read
        `batch` items (every account's) a transaction, and the account row goes last, so a
        delete stopped half-way is finished by running it again. The caller makes sure first
        that no message is unfinished (`unfinished_counts`): those, and the account with them,
        are left in place, and {"unfinished": n} is returned."""
        deleted = {"messages": await purge(self, account_id, sys.float_info.max, batch)}
        unfinished = sum((await self.unfinished_counts(account_id)).values())
        if unfinished:
            return {"unfinished": unfinished, **deleted}
        inbound = await self._delete_batches([sql.DELETE_ACCOUNT_INBOUND], [account_id], batch)
        deleted["inbound"] = inbound
        outbox = await self._delete_outbox_of(account_id, batch)
        deleted["outbox_attempts"], deleted["outbox"] = outbox
        for table in sql.ACCOUNT_TABLES:
            query = f"DELETE FROM {table} WHERE account_id = ?"
            deleted[table] = await self._change_rows(query, [account_id])
        deleted["accounts"] = await self._change_rows(sql.DELETE_ACCOUNT, [account_id])
        return deleted
