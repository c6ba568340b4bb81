"""SQL both backends run, written with `?` placeholders; `numbered` rewrites them for asyncpg."""

import re
from collections.abc import Iterable
from functools import cache, lru_cache
from typing import Any, Final, NamedTuple

from smsgate.store.filters import InboundFilters, MessageFilters
from smsgate.store.migrations import UNFINISHED_SQL, UNFINISHED_TEST
from smsgate.store.rows import (
    ACCOUNTS,
    CONNECTORS,
    HISTORY,
    IDEMPOTENT,
    INBOUND,
    INBOUND_NUMBERS,
    MESSAGE_UPDATES,
    MESSAGES,
    OPT_OUTS,
    OUTBOX,
    OUTBOX_ATTEMPTS,
    OUTBOX_UPDATES,
    PART_UPDATES,
    PARTS,
    PORTABILITY,
    PREFIXES,
    PRICES,
    REPLACED,
    ROUTES,
    SEGMENTS,
    SUBMITTED_PARTS,
)

_QMARK: Final = re.compile(r"\?")


@lru_cache(maxsize=1024)  # the statements and their filter combinations are a few hundred
def numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL's `$1, $2, ...` (no statement here has a literal `?`)."""
    counter = iter(range(1, 1_000_000))
    return _QMARK.sub(lambda _: f"${next(counter)}", sql)


def placeholders(count: int) -> str:
    return ", ".join("?" * count)


MESSAGE_SELECT: Final = MESSAGES.select
PART_SELECT: Final = PARTS.select
ACCOUNT_SELECT: Final = ACCOUNTS.select
INBOUND_SELECT: Final = INBOUND.select

GET_MESSAGE: Final = f"{MESSAGE_SELECT} WHERE id = ?"
GET_ACCOUNT_MESSAGE: Final = f"{MESSAGE_SELECT} WHERE id = ? AND account_id = ?"
MESSAGE_PARTS: Final = f"{PART_SELECT} WHERE message_id = ? ORDER BY seq"
BY_CLIENT_REF: Final = f"{MESSAGE_SELECT} WHERE account_id = ? AND client_ref = ?"
HISTORY_OF: Final = f"{HISTORY.select} WHERE message_id = ? ORDER BY id"
BY_UPSTREAM_ID: Final = (
    "SELECT message_id, seq FROM parts WHERE upstream_id = ? ORDER BY message_id DESC LIMIT 1"
)
BY_UPSTREAM_ID_CONNECTOR: Final = (
    "SELECT message_id, seq FROM parts WHERE upstream_id = ? AND connector_id = ?"
    " ORDER BY message_id DESC LIMIT 1"
)
# The test repeats SQLite's partial index predicate word for word so its planner uses it
# (PostgreSQL's finds that it implies its own index's IN list).
UNFINISHED_MESSAGES: Final = (
    f"{MESSAGE_SELECT} WHERE {UNFINISHED_TEST} AND id > ? ORDER BY id LIMIT ?"
)

# Messages still sent past the end of their validity with a part sent through a connector, in
# the order of the partial index (messages_sent) and paged by its key. Ordered by id instead,
# SQLite walked the primary key's index over every message ever stored (20-33 ms a pass at
# 100,000 messages) rather than the few the index holds.
UNRECEIPTED_MESSAGES: Final = (
    "SELECT DISTINCT m.valid_until, m.id FROM messages m JOIN parts p ON p.message_id = m.id"
    " WHERE m.status = 'sent' AND m.valid_until < ? AND (m.valid_until, m.id) > (?, ?)"
    " AND p.status = 'sent' AND p.connector_id = ? ORDER BY m.valid_until, m.id LIMIT ?"
)

# a message rewritten before it reached a carrier (its parts are deleted and inserted again)
REPLACE_MESSAGE: Final = (
    "UPDATE messages SET "
    + ", ".join(f"{column.name} = ?" for column in REPLACED.columns[:-1])
    + " WHERE id = ?"
)
DELETE_PARTS: Final = "DELETE FROM parts WHERE message_id = ?"


class SetUpdate(NamedTuple):
    """An update of many rows at once, from rows of `columns` (the row's key columns first,
    named as in the table); each backend supplies the rows its own way (`u` below)."""

    table: str
    alias: str
    columns: tuple[tuple[str, str], ...]
    keys: int
    assignments: str  # the SET list, reading the new values from `u`

    def where(self) -> str:
        return " AND ".join(f"{self.alias}.{n} = u.{n}" for n, _ in self.columns[: self.keys])


PART_UPDATE: Final = SetUpdate(
    "parts",
    "p",
    PART_UPDATES.pairs,
    2,
    """status = u.status,
    upstream_id = COALESCE(u.upstream_id, p.upstream_id),
    connector_id = COALESCE(u.connector_id, p.connector_id),
    error_code = COALESCE(u.error_code, p.error_code),
    error_detail = COALESCE(u.error_detail, p.error_detail),
    attempts = COALESCE(u.attempts, p.attempts),
    submitted_at = COALESCE(u.submitted_at, p.submitted_at),
    done_at = COALESCE(u.done_at, p.done_at)""",
)
MESSAGE_UPDATE: Final = SetUpdate(
    "messages",
    "m",
    MESSAGE_UPDATES.pairs,
    1,
    """status = u.status,
    updated_at = u.at,
    error_code = COALESCE(u.error_code, m.error_code),
    error_detail = COALESCE(u.error_detail, m.error_detail),
    carrier = COALESCE(u.carrier, m.carrier),
    route_id = COALESCE(u.route_id, m.route_id)""",
)
INBOUND_CLAIM: Final = SetUpdate(
    "inbound", "i", (("id", "text"), ("account_id", "text")), 1, "account_id = u.account_id"
)
OUTBOX_UPDATE: Final = SetUpdate(
    "outbox",
    "o",
    OUTBOX_UPDATES.pairs,
    1,
    """state = u.state,
    attempts = u.attempts,
    next_attempt_at = COALESCE(u.next_attempt_at, o.next_attempt_at),
    last_error = COALESCE(u.last_error, o.last_error),
    updated_at = u.at""",
)

INSERT_ACCOUNT: Final = ACCOUNTS.insert
UPDATE_ACCOUNT: Final = (
    "UPDATE accounts SET "
    + ", ".join(f"{column.name} = ?" for column in ACCOUNTS.columns[1:])
    + " WHERE id = ?"
)
GET_ACCOUNT: Final = f"{ACCOUNT_SELECT} WHERE id = ?"
# an account's first key, or one of its other keys (each query reads one unique index)
ACCOUNT_BY_KEY: Final = (
    f"{ACCOUNT_SELECT} WHERE api_key_hash = ? UNION ALL {ACCOUNT_SELECT}"
    " WHERE id = (SELECT account_id FROM api_keys WHERE key_hash = ?)"
)
ACCOUNT_BY_SYSTEM_ID: Final = f"{ACCOUNT_SELECT} WHERE smpp_system_id = ?"
LIST_ACCOUNTS: Final = f"{ACCOUNT_SELECT} ORDER BY id"
ACCOUNT_BY_BOT: Final = f"{ACCOUNT_SELECT} WHERE bot_id = ?"

# The retention job: a batch of an account's final messages created before a time (the oldest
# first), with their history, parts and settled outbox items. Each statement runs on its own:
# the message goes last, so a job stopped half-way leaves rows the next run finds again. The
# batch is read in the order of index messages_created, so a run stops where the old messages
# end rather than after the account's newest; messages created together come in the index's
# own order, the same for each statement (ordering them by id as well cost a sort: 10 -> 13 ms
# a batch of 1,000).
_PURGED: Final = (
    "SELECT id FROM messages WHERE account_id = ? AND created_at < ?"
    f" AND status NOT IN ({UNFINISHED_SQL}) ORDER BY created_at LIMIT ?"
)
PURGE_MESSAGES: Final = (
    f"DELETE FROM status_history WHERE message_id IN ({_PURGED})",
    "DELETE FROM outbox_attempts WHERE outbox_id IN (SELECT id FROM outbox"
    f" WHERE state <> 'pending' AND subject_id IN ({_PURGED}))",
    f"DELETE FROM outbox WHERE state <> 'pending' AND subject_id IN ({_PURGED})",
    f"DELETE FROM parts WHERE message_id IN ({_PURGED})",
    f"DELETE FROM messages WHERE id IN ({_PURGED})",
)

# ... and a batch of its MO received before a time, with their settled outbox items (their
# webhook calls). An MO whose call is still owed stays until that settles; the id bound (ids
# grow with time) keeps the read within the account's old MO on index inbound_account.
_PURGED_INBOUND: Final = (
    "SELECT id FROM inbound WHERE account_id = ? AND id < ? AND received_at < ?"
    " AND NOT EXISTS (SELECT 1 FROM outbox WHERE state = 'pending' AND subject_id = inbound.id)"
    " ORDER BY id LIMIT ?"
)
PURGE_INBOUND: Final = (
    "DELETE FROM outbox_attempts WHERE outbox_id IN (SELECT id FROM outbox"
    f" WHERE state <> 'pending' AND subject_id IN ({_PURGED_INBOUND}))",
    f"DELETE FROM outbox WHERE state <> 'pending' AND subject_id IN ({_PURGED_INBOUND})",
    f"DELETE FROM inbound WHERE id IN ({_PURGED_INBOUND})",
)

# Deleting an account (`AccountReads.delete_account`): what is left once its messages are
# purged, table by table; its MO in batches (there may be many; the index is by account), its
# outbox items a span of the outbox at a time (below), the rest of a table in one statement
# each, the account row last, so that a delete stopped half-way is finished by running it again.
ACCOUNT_UNFINISHED: Final = (
    f"SELECT status, COUNT(*) FROM messages{{index}} WHERE account_id = ? AND {UNFINISHED_TEST}"
    " GROUP BY status"
)
DELETE_ACCOUNT_INBOUND: Final = (
    "DELETE FROM inbound WHERE id IN"
    " (SELECT id FROM inbound WHERE account_id = ? ORDER BY id LIMIT ?)"
)
ACCOUNT_TABLES: Final = (
    "inbound_numbers",
    "opt_outs",
    "balances",
    "idempotency_keys",
    "submitted_parts",
    "rcs_subscribers",
    "message_templates",
    "console_users",
    "api_keys",
)
# No index leads from an account to its outbox items (it would cost each item's insert), so
# they are found in spans of the outbox's ids, every account's: one statement over the whole
# table held the SQLite writer, and every write behind it, for as long as it read. The attempts
# go before the items they belong to.
OUTBOX_SPAN_END: Final = (
    "SELECT MAX(id) FROM (SELECT id FROM outbox WHERE id > ? ORDER BY id LIMIT ?) AS span"
)
DELETE_SPAN_ATTEMPTS: Final = (
    "DELETE FROM outbox_attempts WHERE outbox_id IN"
    " (SELECT id FROM outbox WHERE id > ? AND id <= ? AND account_id = ?)"
)
DELETE_SPAN_OUTBOX: Final = "DELETE FROM outbox WHERE id > ? AND id <= ? AND account_id = ?"
DELETE_ACCOUNT: Final = "DELETE FROM accounts WHERE id = ?"

# An account's keys beyond its first (migration 24): never the hash read back
API_KEY_COLUMNS: Final = "id, account_id, label, created_at"
INSERT_API_KEY: Final = (
    "INSERT INTO api_keys (id, account_id, key_hash, label, created_at) VALUES (?, ?, ?, ?, ?)"
)
API_KEYS_OF: Final = f"SELECT {API_KEY_COLUMNS} FROM api_keys WHERE account_id = ? ORDER BY id"
COUNT_API_KEYS: Final = "SELECT COUNT(*) FROM api_keys WHERE account_id = ?"
DELETE_API_KEY: Final = "DELETE FROM api_keys WHERE account_id = ? AND id = ?"

# What waits (`smsgate queue`): messages by account and status, and the outbox by channel and
# state. Each statement names the statuses (state) a partial index covers, word for word, so
# that it reads that index and not every message (item) ever stored; `{index}` names the index
# where a backend's planner would not take it (`Primitives._unfinished_index`).
WAITING_MESSAGES: Final = (
    "SELECT account_id, status, COUNT(*), MIN(created_at), MIN(scheduled_at)"
    f" FROM messages{{index}} WHERE {UNFINISHED_TEST}{{account}} GROUP BY status, account_id"
)
SENT_MESSAGES: Final = (
    "SELECT account_id, status, COUNT(*), MIN(created_at), MIN(scheduled_at)"
    " FROM messages{index} WHERE status = 'sent'{account} GROUP BY account_id, status"
)
OUTBOX_DEPTH: Final = (
    "SELECT channel, state, COUNT(*), MIN(created_at) FROM outbox"
    " WHERE state = '{state}'{account} GROUP BY channel, state"
)

UPSERT_CONNECTOR: Final = """INSERT INTO connectors (id, kind, config, enabled) VALUES (?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET
        kind = excluded.kind, config = excluded.config, enabled = excluded.enabled"""
DELETE_CONNECTOR: Final = "DELETE FROM connectors WHERE id = ?"
LIST_CONNECTORS: Final = f"{CONNECTORS.select} ORDER BY id"
DELETE_ROUTES: Final = "DELETE FROM routes"
INSERT_ROUTE: Final = ROUTES.insert
LIST_ROUTES: Final = f"{ROUTES.select} ORDER BY position, id"
DELETE_PREFIXES: Final = "DELETE FROM carrier_prefixes WHERE source = ?"
UPSERT_PREFIX: Final = """INSERT INTO carrier_prefixes (prefix, carrier, source) VALUES (?, ?, ?)
    ON CONFLICT (prefix) DO UPDATE SET carrier = excluded.carrier, source = excluded.source"""
LIST_PREFIXES: Final = f"{PREFIXES.select} ORDER BY prefix"
UPSERT_PORTABILITY: Final = f"""{PORTABILITY.insert}
    ON CONFLICT (number) DO UPDATE SET
        carrier = excluded.carrier, updated_at = excluded.updated_at"""
PORTABILITY_CARRIER: Final = "SELECT carrier FROM portability WHERE number = ?"
PORTABILITY_ALL: Final = "SELECT number, carrier FROM portability"

SCHEMA_VERSIONS: Final = "SELECT version FROM schema_migrations ORDER BY version"
SCHEMA_VERSION: Final = "SELECT MAX(version) FROM schema_migrations"
RECORD_MIGRATION: Final = (
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"
)

PORTABILITY_CHUNK: Final = 10_000  # rows per import transaction

# MO: stored parts of concatenated messages, numbers that route MO to accounts, opt-outs
LIST_SEGMENTS: Final = f"{SEGMENTS.select} ORDER BY received_at, seq"
DELETE_SEGMENTS: Final = (
    "DELETE FROM inbound_segments"
    " WHERE source = ? AND destination = ? AND reference = ? AND total = ?"
)
GROUP_SEGMENTS: Final = (
    f"{SEGMENTS.select}"
    " WHERE source = ? AND destination = ? AND reference = ? AND total = ? ORDER BY seq"
)
# SMPP: stored parts of messages customers submit in several PDUs (a part sent again is kept once)
INSERT_SUBMITTED_PART: Final = f"{SUBMITTED_PARTS.insert} ON CONFLICT DO NOTHING"
LIST_SUBMITTED_PARTS: Final = f"{SUBMITTED_PARTS.select} ORDER BY received_at, seq"
DELETE_SUBMITTED_PARTS: Final = (
    "DELETE FROM submitted_parts WHERE account_id = ? AND source = ? AND destination = ?"
    " AND reference = ? AND total = ?"
)
UPSERT_OPT_OUT: Final = f"""{OPT_OUTS.insert}
    ON CONFLICT (account_id, number) DO UPDATE SET at = excluded.at"""
RECENT_INBOUND: Final = (
    f"{INBOUND_SELECT} WHERE source = ? AND destination = ? AND received_at >= ? ORDER BY id"
)
DELETE_OPT_OUT: Final = "DELETE FROM opt_outs WHERE account_id = ? AND number = ?"
ALL_OPT_OUTS: Final = f"{OPT_OUTS.select} ORDER BY account_id, number"
ACCOUNT_OPT_OUTS: Final = f"{OPT_OUTS.select} WHERE account_id = ?"
INSERT_INBOUND_NUMBER: Final = INBOUND_NUMBERS.insert
DELETE_INBOUND_NUMBER: Final = "DELETE FROM inbound_numbers WHERE number = ? AND keyword = ?"
INBOUND_NUMBER_SELECT: Final = INBOUND_NUMBERS.select
# the keyword of each owner of a number, with the owner's account row after it
INBOUND_OWNERS: Final = (
    f"SELECT n.keyword, {ACCOUNTS.names('a.')} FROM inbound_numbers AS n"
    " JOIN accounts AS a ON a.id = n.account_id WHERE n.number = ?"
)


def inbound_filter(account_id: str | None, filters: InboundFilters) -> tuple[str, list[Any]]:
    """The WHERE clause of an inbound page: an account's (None: the unclaimed ones)."""
    return conditions(
        "account_id IS NULL" if account_id is None else "account_id = ?",
        [] if account_id is None else [account_id],
        (
            ("source = ?", filters.get("source")),
            ("destination = ?", filters.get("destination")),
            ("received_at >= ?", filters.get("received_after")),
            ("received_at < ?", filters.get("received_before")),
        ),
    )


OUTBOX_SELECT: Final = OUTBOX.select
GET_OUTBOX: Final = f"{OUTBOX_SELECT} WHERE id = ?"

# An item keeps its newest KEPT_ATTEMPTS attempts (an SMPP receipt may be tried 500 times).
# The older ones go in the transaction that settles an attempt numbered above KEPT_ATTEMPTS
# (PRUNE_ATTEMPTS: outbox_id, outbox_id, KEPT_ATTEMPTS), and when the item is replayed, which
# numbers its attempts from 1 again (PRUNE_REPLAYED: KEPT_ATTEMPTS; the ids appended): an item
# holds at most twice as many, those of before its last replay and those since.
KEPT_ATTEMPTS: Final = 50
PRUNE_ATTEMPTS: Final = (
    "DELETE FROM outbox_attempts WHERE outbox_id = ? AND id <= (SELECT id FROM outbox_attempts"
    " WHERE outbox_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)"
)
PRUNE_REPLAYED: Final = (
    "DELETE FROM outbox_attempts WHERE id <= (SELECT b.id FROM outbox_attempts AS b"
    " WHERE b.outbox_id = outbox_attempts.outbox_id ORDER BY b.id DESC LIMIT 1 OFFSET ?)"
    " AND outbox_id IN ({ids})"
)
ATTEMPTS_OF: Final = f"{OUTBOX_ATTEMPTS.select} WHERE outbox_id IN ({{ids}}) ORDER BY id"


@cache
def claim_outbox(account: bool, lock: str, claimer: str = "NULL") -> str:
    """Take the due pending items of a channel (and account): parameters (lease end, now,
    channel, [account_id,] now, limit). An item whose message has an earlier pending item
    waits for it, so one message's items reach the customer in order. `lock` is
    PostgreSQL's "FOR UPDATE SKIP LOCKED" (nodes claim different rows) or empty for SQLite,
    whose single writer claims alone; `claimer` the SQL naming the claiming node."""
    by_account = " AND o.account_id = ?" if account else ""
    return f"""UPDATE outbox SET next_attempt_at = ?, updated_at = ?, claimed_by = {claimer}
    WHERE id IN (
        SELECT o.id FROM outbox AS o
        WHERE o.state = 'pending' AND o.channel = ?{by_account} AND o.next_attempt_at <= ?
            AND NOT EXISTS (
                SELECT 1 FROM outbox AS e
                WHERE e.subject_id = o.subject_id AND e.state = 'pending' AND e.id < o.id
            )
        ORDER BY o.next_attempt_at LIMIT ? {lock})
    RETURNING {OUTBOX.names()}"""


def conditions(
    first: str, params: list[Any], optional: Iterable[tuple[str, Any]]
) -> tuple[str, list[Any]]:
    """A WHERE clause: `first` (with its `params`) and each optional clause whose value is not
    None."""
    where = [first]
    params = list(params)
    for clause, value in optional:
        if value is not None:
            where.append(clause)
            params.append(value)
    return " AND ".join(where), params


def outbox_filter(
    account_id: str, state: str | None, subject_id: str | None
) -> tuple[str, list[Any]]:
    return conditions(
        "account_id = ?", [account_id], (("state = ?", state), ("subject_id = ?", subject_id))
    )


def message_filter(account_id: str, filters: MessageFilters) -> tuple[str, list[Any]]:
    """The WHERE clause of a read of the account's messages."""
    status = filters.get("status")
    return conditions(
        "account_id = ?",
        [account_id],
        (
            ("status = ?", None if status is None else status.value),
            ("source = ?", filters.get("source")),
            ("destination = ?", filters.get("destination")),
            ("client_ref = ?", filters.get("client_ref")),
            ("created_at >= ?", filters.get("created_after")),
            ("created_at < ?", filters.get("created_before")),
            ("tag = ?", filters.get("tag")),
            ("comment LIKE ? ESCAPE '\\'", like_pattern(filters.get("comment_contains"))),
            ("channel = ?", filters.get("channel")),
        ),
    )


def like_pattern(part: str | None) -> str | None:
    """A LIKE pattern matching texts that contain `part` as it is (its % and _ escaped)."""
    if part is None:
        return None
    escaped = part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def page_query(
    select: str, where: str, params: list[Any], after: str | None, limit: int
) -> tuple[str, list[Any]]:
    """Newest first, keyset pagination on the id; fetches one extra row to tell whether a next
    page exists."""
    if after is not None:
        where += " AND id < ?"
        params = [*params, after]
    return f"{select} WHERE {where} ORDER BY id DESC LIMIT ?", [*params, limit + 1]


# prepaid balances, prices and idempotency keys (migration 5)
BALANCE_UPDATE: Final = SetUpdate(
    "balances",
    "b",
    (("account_id", "text"), ("delta", "int8"), ("at", "float8")),
    1,
    "amount = b.amount + u.delta, updated_at = u.at",
)
BALANCES: Final = "SELECT account_id, amount FROM balances"
BALANCE: Final = "SELECT amount, updated_at FROM balances WHERE account_id = ?"
ADD_BALANCE: Final = """INSERT INTO balances (account_id, amount, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (account_id) DO UPDATE SET
        amount = balances.amount + excluded.amount, updated_at = excluded.updated_at"""
# a negative change: the upsert's inserted row would fail the CHECK before the conflict
CHANGE_BALANCE: Final = (
    "UPDATE balances SET amount = amount + ?, updated_at = ? WHERE account_id = ?"
)
SET_BALANCE: Final = """INSERT INTO balances (account_id, amount, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (account_id) DO UPDATE SET
        amount = excluded.amount, updated_at = excluded.updated_at"""
DELETE_BALANCE: Final = "DELETE FROM balances WHERE account_id = ?"
LIST_PRICES: Final = f"{PRICES.select} ORDER BY position"
DELETE_PRICES: Final = "DELETE FROM prices"
INSERT_PRICE: Final = (
    f"INSERT INTO prices (position, {PRICES.names()})"
    f" VALUES ({placeholders(len(PRICES.columns) + 1)})"
)
IDEMPOTENT_RESPONSE: Final = """SELECT request_hash, status_code, body, created_at
    FROM idempotency_keys WHERE account_id = ? AND idem_key = ? AND created_at >= ?"""
DELETE_EXPIRED_KEY: Final = (
    "DELETE FROM idempotency_keys WHERE account_id = ? AND idem_key = ? AND created_at < ?"
)
INSERT_IDEMPOTENT: Final = IDEMPOTENT.insert
PURGE_IDEMPOTENT: Final = "DELETE FROM idempotency_keys WHERE created_at < ?"

# RCS bots' subscribers: the first subscription of a user is kept
INSERT_SUBSCRIBER: Final = (
    "INSERT INTO rcs_subscribers (account_id, user_number, subscribed_at) VALUES (?, ?, ?)"
    " ON CONFLICT (account_id, user_number) DO NOTHING"
)
SUBSCRIBERS: Final = (
    "SELECT account_id, user_number, subscribed_at FROM rcs_subscribers"
    " WHERE account_id = ? AND user_number > ? ORDER BY user_number LIMIT ?"
)
# messages sent on a channel whose time there ended (the partial index's predicate repeated),
# in that index's order and paged by its key, as UNRECEIPTED_MESSAGES is
CHANNEL_TIMED_OUT: Final = (
    "SELECT channel_until, id FROM messages WHERE channel_until IS NOT NULL AND status = 'sent'"
    " AND channel_until < ? AND (channel_until, id) > (?, ?) ORDER BY channel_until, id LIMIT ?"
)
SET_RESULT: Final = "UPDATE messages SET result = ? WHERE id = ?"

# the identical-request window (smsgate.store.reads.cluster): a row still within its window
# is left alone, and the statement's row count tells the caller it was refused
INSERT_IDENTICAL: Final = (
    "INSERT INTO identical_requests AS r (key, expires_at) VALUES (?, ?)"
    " ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at"
    " WHERE r.expires_at <= ?"
)
PURGE_IDENTICAL: Final = "DELETE FROM identical_requests WHERE expires_at <= ?"
CONFIG_VERSIONS: Final = "SELECT kind, version FROM config_versions"
