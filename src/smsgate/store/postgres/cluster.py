"""Nodes, leases and message ownership on PostgreSQL, where several nodes share the database.

Times are the database's (`clock_timestamp()`), so that nodes whose clocks differ still agree
on who is alive and which lease has expired. Claims lock with SKIP LOCKED: two nodes claiming
at once take different messages. Notifications go through LISTEN/NOTIFY on one channel; each
node listens on a connection of its own, opened again after a loss (and its listeners then
told "reconnected", since notifications sent meanwhile are lost).
"""

from __future__ import annotations  # asyncpg's classes are generic in its stubs only

import asyncio
import contextlib
import functools
import logging
from collections.abc import Sequence
from typing import Any, Final

import asyncpg

from smsgate.domain.message import Message
from smsgate.store import sql
from smsgate.store.cluster import NOTIFY_CHANNEL, ClusterStore, NodeRecord
from smsgate.store.migrations import UNFINISHED_SQL
from smsgate.store.paging import MAX_UNFINISHED_PAGE, check_limit
from smsgate.store.postgres.apply import rowcount

log = logging.getLogger(__name__)

NOW: Final = "extract(epoch from clock_timestamp())"
REGISTER: Final = f"""INSERT INTO nodes (id, host, pid, started_at, heartbeat_at, state)
    VALUES ($1, $2, $3, {NOW}, {NOW}, $4)
    ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid,
        heartbeat_at = excluded.heartbeat_at, state = excluded.state
    RETURNING heartbeat_at"""
HEARTBEAT: Final = f"UPDATE nodes SET heartbeat_at = {NOW}, state = $2 WHERE id = $1"
LIVE_NODES: Final = f"""SELECT id, host, pid, started_at, heartbeat_at, state FROM nodes
    WHERE state <> 'gone' AND heartbeat_at >= {NOW} - $1 ORDER BY id"""
ACQUIRE: Final = f"""INSERT INTO leases (name, node_id, expires_at) VALUES ($1, $2, {NOW} + $3)
    ON CONFLICT (name) DO UPDATE SET node_id = excluded.node_id, expires_at = excluded.expires_at
    WHERE leases.node_id = excluded.node_id OR leases.expires_at < {NOW}
    RETURNING node_id"""
RELEASE: Final = "DELETE FROM leases WHERE name = $1 AND node_id = $2"
HOLDERS: Final = (
    f"SELECT name, node_id FROM leases WHERE starts_with(name, $1) AND expires_at >= {NOW}"
)
# nodes whose messages are anyone's: gone, or silent for longer than $2, and owning some still
# (one probe of the owner index each: nodes gone long ago cost next to nothing)
DEAD_NODES: Final = f"""SELECT n.id FROM nodes n
    WHERE n.id <> $1 AND (n.state = 'gone' OR n.heartbeat_at < {NOW} - $2)
        AND EXISTS (SELECT 1 FROM messages m WHERE m.owner IN (n.id, '>' || n.id)
            AND m.status IN ({UNFINISHED_SQL}))"""
RELEASE_OUTBOX: Final = f"""UPDATE outbox SET next_attempt_at = $3, claimed_by = NULL
    WHERE state = 'pending' AND claimed_by IN (SELECT n.id FROM nodes n
        WHERE n.id <> $1 AND (n.state = 'gone' OR n.heartbeat_at < {NOW} - $2))"""
# unfinished messages without an owner, of a dead owner ($5: their ids and inboxes) or, with
# $4, this node's own; locked so that two claimers take different ones. Each alternative is a
# lookup in the partial index on (owner, id), however many messages live nodes own.
CLAIM: Final = f"""UPDATE messages SET owner = $1 WHERE id IN (
    SELECT id FROM messages
    WHERE status IN ({UNFINISHED_SQL}) AND id > $2
        AND (owner IS NULL OR ($4 AND owner = $1) OR owner = ANY($5::text[]))
    ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
    RETURNING id"""
CLAIMED: Final = f"{sql.MESSAGE_SELECT} WHERE id = ANY($1::text[]) ORDER BY id"
# a message handed over waits in the holder's inbox (owner '>' and its id) until it takes it
HAND_OVER: Final = f"""UPDATE messages SET owner = '>' || $3
    WHERE id = ANY($1::text[]) AND owner = $2 AND status IN ({UNFINISHED_SQL})"""
TAKE_INBOX: Final = f"""UPDATE messages SET owner = $1 WHERE id IN (
    SELECT id FROM messages WHERE owner = '>' || $1 AND status IN ({UNFINISHED_SQL})
    ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
    RETURNING id"""
RELEASE_MESSAGES: Final = (
    "UPDATE messages SET owner = NULL"
    f" WHERE owner IN ($1, '>' || $1) AND status IN ({UNFINISHED_SQL})"
)
OWNED: Final = f"SELECT count(*) FROM messages WHERE owner = $1 AND status IN ({UNFINISHED_SQL})"
RECONNECT_DELAY: Final = 1.0  # seconds between attempts to listen again after a loss


class PostgresCluster(ClusterStore):
    dsn: str
    _listen_task: asyncio.Task[None] | None = None

    @property
    def pool(self) -> asyncpg.Pool[Any]:  # the store's (PostgresStore.pool)
        raise NotImplementedError

    @property
    def liveness_pool(self) -> asyncpg.Pool[Any]:  # the node's own connection for its beats
        raise NotImplementedError

    async def register_node(self, node_id: str, host: str, pid: int, state: str) -> float:
        return float(await self.liveness_pool.fetchval(REGISTER, node_id, host, pid, state))

    async def heartbeat(self, node_id: str, state: str) -> bool:
        return rowcount(await self.liveness_pool.execute(HEARTBEAT, node_id, state)) == 1

    async def live_nodes(self, ttl: float) -> list[NodeRecord]:
        return [NodeRecord(*row) for row in await self.pool.fetch(LIVE_NODES, ttl)]

    async def acquire_lease(self, name: str, node_id: str, ttl: float) -> bool:
        return await self.liveness_pool.fetchval(ACQUIRE, name, node_id, ttl) is not None

    async def release_lease(self, name: str, node_id: str) -> None:
        await self.pool.execute(RELEASE, name, node_id)

    async def lease_holders(self, prefix: str) -> dict[str, str]:
        return {row[0]: row[1] for row in await self.liveness_pool.fetch(HOLDERS, prefix)}

    async def release_outbox_claims(self, node_id: str, ttl: float, now: float) -> int:
        return rowcount(await self.pool.execute(RELEASE_OUTBOX, node_id, ttl, now))

    async def claim_messages(
        self, node_id: str, ttl: float, limit: int, after_id: str | None, *, own: bool
    ) -> list[Message]:
        check_limit(limit, MAX_UNFINISHED_PAGE)
        dead = [row[0] for row in await self.pool.fetch(DEAD_NODES, node_id, ttl)]
        owners = dead + [">" + node for node in dead]
        rows = await self.pool.fetch(CLAIM, node_id, after_id or "", limit, own, owners)
        return await self._claimed(rows)

    async def take_inbox(self, node_id: str, limit: int) -> list[Message]:
        check_limit(limit, MAX_UNFINISHED_PAGE)
        return await self._claimed(await self.pool.fetch(TAKE_INBOX, node_id, limit))

    async def _claimed(self, rows: list[Any]) -> list[Message]:
        if not rows:
            return []
        async with self.pool.acquire() as conn:
            found = await conn.fetch(CLAIMED, [row[0] for row in rows])
            return await self._with_parts(conn, list(found))

    async def _with_parts(self, conn: Any, rows: list[Any]) -> list[Message]:
        raise NotImplementedError  # PostgresStore's

    async def hand_over(self, message_ids: Sequence[str], from_node: str, to_node: str) -> int:
        return rowcount(await self.pool.execute(HAND_OVER, list(message_ids), from_node, to_node))

    async def release_messages(self, node_id: str) -> int:
        return rowcount(await self.pool.execute(RELEASE_MESSAGES, node_id))

    async def messages_owned(self, node_id: str) -> int:
        return int(await self.pool.fetchval(OWNED, node_id))

    # -- notifications ----------------------------------------------------------------------

    def listen(self, listener: Any) -> None:
        super().listen(listener)
        if self._listen_task is None:
            self._listen_task = asyncio.create_task(self._listening(), name="smsgate-listen")

    async def notify(self, payload: str) -> None:
        await self.pool.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, payload)

    def _received(self, conn: Any, pid: int, channel: str, payload: object) -> None:
        for listener in list(self._listeners):
            listener(str(payload))

    async def _listening(self) -> None:
        """Keep one connection listening; after a loss, listen again and say so."""
        lost = False
        while True:
            conn: asyncpg.Connection[Any] | None = None
            try:
                conn = await asyncpg.connect(self.dsn, timeout=10)
                closed = asyncio.Event()
                conn.add_termination_listener(functools.partial(_set, closed))
                await conn.add_listener(NOTIFY_CHANNEL, self._received)
                if lost:
                    log.info("listening for notifications again")
                    self._received(conn, 0, NOTIFY_CHANNEL, "reconnected")
                # a silent network loss leaves the socket open: a query now and then finds it
                while not closed.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(closed.wait(), 5.0)
                    if not closed.is_set():
                        await conn.fetchval("SELECT 1", timeout=5.0)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database is away: try again shortly
                if not lost:
                    log.warning("notifications lost (%s); listening again", error)
            finally:
                if conn is not None and not conn.is_closed():
                    conn.terminate()
            lost = True
            await asyncio.sleep(RECONNECT_DELAY)

    async def _stop_listening(self) -> None:
        task, self._listen_task = self._listen_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _set(event: asyncio.Event, *_: object) -> None:
    event.set()
