"""The outbox (docs/outbox.md): claiming due items, settling them (with a record of each
attempt), the account's view."""

from collections.abc import Sequence
from typing import NamedTuple

from smsgate.domain.outbox import AttemptOutcome, OutboxAttempt, OutboxItem, OutboxState
from smsgate.store import sql
from smsgate.store.changes import OutboxUpdate
from smsgate.store.paging import MAX_PAGE, check_limit, decode_cursor, encode_cursor
from smsgate.store.reads.primitives import Primitives
from smsgate.store.rows import outbox_attempt_from, outbox_from


class OutboxDepth(NamedTuple):
    """Outbox items of one channel in one state."""

    channel: str
    state: OutboxState
    items: int
    oldest: float  # the oldest one's created_at


class OutboxReads(Primitives):
    async def claim_outbox(
        self,
        channel: str,
        now: float,
        *,
        limit: int = 100,
        lease: float = 30.0,
        account_id: str | None = None,
    ) -> list[OutboxItem]:
        """Claim up to `limit` pending items of `channel` (and account) due at `now`, oldest
        first: each is hidden from other claims until `now + lease`, when it is due again unless
        the claimer settled it (outbox_done / outbox_retry / outbox_abandon / outbox_release).
        An item never comes before an earlier pending item of the same message."""
        check_limit(limit, MAX_PAGE)
        query = sql.claim_outbox(account_id is not None, self._claim_lock, self._claimer)
        if account_id is None:
            params = [now + lease, now, channel, now, limit]
        else:
            params = [now + lease, now, channel, account_id, now, limit]
        rows = await self._change_returning(query, params)
        return sorted((outbox_from(row) for row in rows), key=lambda item: item.id)

    async def outbox_item(self, item_id: str) -> OutboxItem | None:
        rows = await self._select_rows(sql.GET_OUTBOX, [item_id])
        return outbox_from(rows[0]) if rows else None

    async def list_outbox(
        self,
        account_id: str,
        *,
        state: OutboxState | None = None,
        subject_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[OutboxItem], str | None]:
        """A page of the account's outbox items (the abandoned ones, say), newest first."""
        check_limit(limit, MAX_PAGE)
        where, params = sql.outbox_filter(
            account_id, None if state is None else state.value, subject_id
        )
        after = None if cursor is None else decode_cursor(cursor)
        query, params = sql.page_query(sql.OUTBOX_SELECT, where, params, after, limit)
        items = [outbox_from(row) for row in await self._select_rows(query, params)]
        if len(items) > limit:
            return items[:limit], encode_cursor(items[limit - 1].id)
        return items, None

    async def outbox_done(
        self, item: OutboxItem, at: float, *, code: int | None = None, duration: float | None = None
    ) -> None:
        """The customer has it (an attempt succeeded)."""
        attempt = item.attempts + 1
        await self.write(
            [
                OutboxUpdate(item.id, OutboxState.DONE, at, attempt),
                OutboxAttempt(item.id, attempt, at, AttemptOutcome.DELIVERED, code, None, duration),
            ]
        )

    async def outbox_retry(
        self,
        item: OutboxItem,
        at: float,
        next_at: float,
        error: str,
        *,
        code: int | None = None,
        duration: float | None = None,
    ) -> None:
        """An attempt failed for a reason that may pass: try again at `next_at`."""
        attempt = item.attempts + 1
        await self.write(
            [
                OutboxUpdate(item.id, OutboxState.PENDING, at, attempt, next_at, error),
                OutboxAttempt(item.id, attempt, at, AttemptOutcome.RETRY, code, error, duration),
            ]
        )

    async def outbox_abandon(
        self,
        item: OutboxItem,
        at: float,
        error: str,
        *,
        code: int | None = None,
        duration: float | None = None,
    ) -> None:
        """Give up: the last retry failed, or the receiver refused the item for good."""
        attempt = item.attempts + 1
        await self.write(
            [
                OutboxUpdate(item.id, OutboxState.ABANDONED, at, attempt, None, error),
                OutboxAttempt(item.id, attempt, at, AttemptOutcome.DEAD, code, error, duration),
            ]
        )

    async def outbox_attempts(self, item_ids: Sequence[str]) -> dict[str, list[OutboxAttempt]]:
        """The recorded attempts of each item (the newest KEPT_ATTEMPTS or so), oldest first;
        an item without any is left out."""
        found: dict[str, list[OutboxAttempt]] = {}
        for start in range(0, len(item_ids), MAX_PAGE):
            chunk = list(item_ids[start : start + MAX_PAGE])
            query = sql.ATTEMPTS_OF.format(ids=sql.placeholders(len(chunk)))
            for row in await self._select_rows(query, chunk):
                attempt = outbox_attempt_from(row)
                found.setdefault(attempt.outbox_id, []).append(attempt)
        return found

    async def outbox_release(
        self, items: Sequence[OutboxItem], at: float, due: float | None = None
    ) -> None:
        """Give claimed items back unattempted (the consumer is stopping, or has no room):
        due again at `due` (default: at once), no attempt counted."""
        when = at if due is None else due
        await self.write(
            [OutboxUpdate(i.id, OutboxState.PENDING, at, i.attempts, when) for i in items]
        )

    async def dead_letters(
        self, *, channel: str | None = None, account_id: str | None = None, limit: int = 50
    ) -> list[OutboxItem]:
        """The items given up (state abandoned: the dead letters), newest first."""
        check_limit(limit, MAX_PAGE)
        where, params = sql.conditions(
            "state = 'abandoned'", [], (("channel = ?", channel), ("account_id = ?", account_id))
        )
        query = f"{sql.OUTBOX_SELECT} WHERE {where} ORDER BY id DESC LIMIT ?"
        return [outbox_from(row) for row in await self._select_rows(query, [*params, limit])]

    async def outbox_depth(self, account_id: str | None = None) -> list[OutboxDepth]:
        """Items owed (pending) and given up (abandoned: dead letters) by channel; of one
        account if given."""
        found: list[OutboxDepth] = []
        for state in (OutboxState.PENDING, OutboxState.ABANDONED):
            query = sql.OUTBOX_DEPTH.format(
                state=state.value, account="" if account_id is None else " AND account_id = ?"
            )
            params = [] if account_id is None else [account_id]
            for row in await self._select_rows(query, params):
                found.append(OutboxDepth(str(row[0]), state, int(row[2]), float(row[3])))
        return sorted(found, key=lambda d: (d.channel, d.state != OutboxState.PENDING))

    async def outbox_totals(self) -> dict[str, int]:
        """Items pending and abandoned (dead letters), all channels together; a state with
        none is left out."""
        totals: dict[str, int] = {}
        for depth in await self.outbox_depth():
            totals[depth.state.value] = totals.get(depth.state.value, 0) + depth.items
        return totals

    async def outbox_replay(
        self, ids: Sequence[str] | None, at: float, *, channel: str | None = None
    ) -> int:
        """Dead letters (`ids`, or with None all of them, of `channel` if given) back to
        pending: no attempt made, due at `at`. Returns how many; other ids are left alone."""
        where, params = sql.conditions("state = 'abandoned'", [], (("channel = ?", channel),))
        update = "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?,"
        update += f" updated_at = ? WHERE {where}"
        replayed: list[str] = []
        if ids is None:
            rows = await self._change_returning(f"{update} RETURNING id", [at, at, *params])
            replayed = [str(row[0]) for row in rows]
        else:
            for start in range(0, len(ids), MAX_PAGE):
                chunk = list(ids[start : start + MAX_PAGE])
                query = f"{update} AND id IN ({sql.placeholders(len(chunk))}) RETURNING id"
                rows = await self._change_returning(query, [at, at, *params, *chunk])
                replayed.extend(str(row[0]) for row in rows)
        # their attempts are numbered from 1 again: keep only the newest of the ones before
        for start in range(0, len(replayed), MAX_PAGE):
            chunk = replayed[start : start + MAX_PAGE]
            query = sql.PRUNE_REPLAYED.format(ids=sql.placeholders(len(chunk)))
            await self._change_rows(query, [sql.KEPT_ATTEMPTS, *chunk])
        return len(replayed)
