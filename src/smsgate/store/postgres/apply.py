"""What the PostgreSQL writer task does with a batch: a handful of set-based statements whatever
its size, inserts as `INSERT ... SELECT FROM unnest(arrays)` (or binary COPY for many rows) and
updates as `UPDATE ... FROM unnest(arrays)`, so one round trip carries a thousand rows.

The common batches (messages accepted, parts sent and delivered, MO and their outbox items) go
as one statement of data-modifying CTEs, which is also its own transaction: one round trip in
all, where a statement each, BEGIN and COMMIT take eight or more. On a busy event loop each round
trip waits a turn of the loop, so that count, not the server, set the commit's pace."""

from __future__ import annotations  # asyncpg's classes are generic in its stubs only

import re
from collections.abc import Sequence
from dataclasses import astuple, fields
from functools import lru_cache
from typing import Any, Final, TypeAlias

import asyncpg

from smsgate.store import sql
from smsgate.store.batch import WritePlan, check_found, check_identical, check_taken
from smsgate.store.columns import Table, names, to_json
from smsgate.store.errors import (
    BalanceError,
    DuplicateError,
    IdenticalRequestError,
    IntegrityError,
)
from smsgate.store.rows import (
    HISTORY,
    INBOUND,
    MESSAGES,
    OUTBOX,
    OUTBOX_ATTEMPTS,
    PARTS,
    SEGMENTS,
    balance_rows,
    expired_key_rows,
    idempotent_values,
    inbound_values,
    message_update_row,
    message_values,
    opt_out_rows,
    outbox_attempt_values,
    outbox_update_row,
    outbox_values,
    part_update_row,
    part_values,
    prune_rows,
    replaced_values,
    segment_values,
    submitted_part_values,
)

Columns = Sequence[tuple[str, str]]
Conn: TypeAlias = "asyncpg.Connection[Any] | asyncpg.pool.PoolConnectionProxy[Any]"

COPY_FROM: Final = 64  # rows from which an insert uses COPY rather than unnest


def _unnest(columns: Columns) -> str:
    return ", ".join(f"${i}::{kind}[]" for i, (_, kind) in enumerate(columns, 1))


def _insert_unnest(table: Table) -> str:
    return (
        f"INSERT INTO {table.name} ({table.names()}) SELECT * FROM unnest({_unnest(table.pairs)})"
    )


def _update_unnest(update: sql.SetUpdate) -> str:
    return (
        f"UPDATE {update.table} AS {update.alias} SET {update.assignments}"
        f" FROM unnest({_unnest(update.columns)}) AS u({names(update.columns)})"
        f" WHERE {update.where()}"
    )


INSERT_MESSAGES: Final = _insert_unnest(MESSAGES)
INSERT_PARTS: Final = _insert_unnest(PARTS)
INSERT_INBOUND: Final = _insert_unnest(INBOUND)
INSERT_OUTBOX: Final = _insert_unnest(OUTBOX)
INSERT_ATTEMPTS: Final = _insert_unnest(OUTBOX_ATTEMPTS)
INSERT_SEGMENTS: Final = _insert_unnest(SEGMENTS)
UPDATE_OUTBOX: Final = _update_unnest(sql.OUTBOX_UPDATE)
CLAIM_INBOUND: Final = _update_unnest(sql.INBOUND_CLAIM)
UPDATE_BALANCES: Final = _update_unnest(sql.BALANCE_UPDATE)
# WITH ORDINALITY: history ids follow the order the changes were written
INSERT_HISTORY: Final = (
    f"INSERT INTO status_history ({HISTORY.names()})"
    f" SELECT {HISTORY.names()} FROM unnest({_unnest(HISTORY.pairs)})"
    f" WITH ORDINALITY AS u({HISTORY.names()}, n) ORDER BY n"
)
UPDATE_PARTS: Final = _update_unnest(sql.PART_UPDATE)
UPDATE_MESSAGES: Final = _update_unnest(sql.MESSAGE_UPDATE)

Q: Final = sql.numbered  # the shared `?` statements, as asyncpg wants them
DELETE_SEGMENTS: Final = Q(sql.DELETE_SEGMENTS)
INSERT_SUBMITTED_PART: Final = Q(sql.INSERT_SUBMITTED_PART)
DELETE_SUBMITTED_PARTS: Final = Q(sql.DELETE_SUBMITTED_PARTS)
UPSERT_OPT_OUT: Final = Q(sql.UPSERT_OPT_OUT)
DELETE_OPT_OUT: Final = Q(sql.DELETE_OPT_OUT)
REPLACE_MESSAGE: Final = Q(sql.REPLACE_MESSAGE)
DELETE_PARTS: Final = Q(sql.DELETE_PARTS)
PRUNE_ATTEMPTS: Final = Q(sql.PRUNE_ATTEMPTS)
# every row of a batch at once; a row still within its window counts as not written. The
# oldest request's time decides what has expired: a few milliseconds of a window at most.
INSERT_IDENTICAL: Final = (
    "INSERT INTO identical_requests AS r (key, expires_at)"
    " SELECT * FROM unnest($1::int8[], $2::float8[])"
    " ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at"
    " WHERE r.expires_at <= $3"
)


def environmental(error: BaseException) -> bool:
    """An error of the connection or the server rather than of one caller's changes: replaying
    the batch call by call would only fail again, once per call."""
    return isinstance(
        error,
        OSError
        | TimeoutError
        | asyncpg.InterfaceError
        | asyncpg.PostgresConnectionError
        | asyncpg.InsufficientResourcesError
        | asyncpg.OperatorInterventionError,
    )


# what smsgate_expect (migration 25) raises when a step of a combined statement fell short
SHORT_UPDATE: Final = "SG001"
IDENTICAL_REQUEST: Final = "SG002"


def translate(error: BaseException) -> BaseException:
    """asyncpg's constraint errors as the store's own."""
    state = getattr(error, "sqlstate", None)
    if state == SHORT_UPDATE:
        return IntegrityError(str(error))
    if state == IDENTICAL_REQUEST:
        return IdenticalRequestError(str(error))
    if isinstance(error, asyncpg.UniqueViolationError):
        return DuplicateError(f"{error.constraint_name}: {error.detail or error}")
    if isinstance(error, asyncpg.CheckViolationError) and error.constraint_name == (
        "balances_amount_check"
    ):
        return BalanceError(str(error))
    if isinstance(error, asyncpg.IntegrityConstraintViolationError):
        return IntegrityError(str(error.detail or error))
    return error


def _arrays(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as one list per column, for `unnest`."""
    return [list(column) for column in zip(*rows, strict=True)]


def rowcount(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


async def _insert(conn: Conn, table: Table, statement: str, rows: list[tuple[Any, ...]]) -> None:
    """One set-based insert: `unnest` for a few rows (one round trip); binary COPY for many,
    which encodes rows far faster than asyncpg's generic array encoder."""
    if not rows:
        return
    if len(rows) < COPY_FROM:
        await conn.execute(statement, *_arrays(rows))
    else:
        columns = [column.name for column in table.columns]
        await conn.copy_records_to_table(table.name, records=rows, columns=columns)


async def apply(conn: Conn, plan: WritePlan) -> None:
    """Commit `plan`: as one statement where it can be, else statement by statement in a
    transaction."""
    combined = _combined(plan)
    if combined is None:
        async with conn.transaction():
            await _apply_steps(conn, plan)
    else:
        await conn.execute(combined.sql(), *combined.args)


_PARAMETER: Final = re.compile(r"\$(\d+)")


@lru_cache(maxsize=256)
def _shifted(statement: str, offset: int) -> str:
    """`statement` with its parameters numbered from `offset + 1`, to sit inside a larger one."""
    return _PARAMETER.sub(lambda m: f"${int(m.group(1)) + offset}", statement)


class _Combined:
    """A batch's steps as the CTEs of one statement. The steps see the same snapshot, so a
    batch whose update meets a row inserted in the same batch is not combined; a step whose
    rows must all be found counts them, and `smsgate_expect` aborts the statement otherwise."""

    def __init__(self) -> None:
        self.steps: list[str] = []
        self.checks: list[str] = []
        self.args: list[Any] = []

    def add(self, statement: str, args: Sequence[Any], counted: str | None = None) -> None:
        name = f"s{len(self.steps)}"
        text = _shifted(statement, len(self.args))
        self.args.extend(args)
        if counted is not None:
            text += " RETURNING 1"
            self.args.append(len(args[0]))  # a step's first argument: a value per row
            self.checks.append(
                f"smsgate_expect('{counted}', ${len(self.args)}, (SELECT count(*) FROM {name}))"
            )
        self.steps.append(f"{name} AS ({text})")

    def insert(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self.add(statement, _arrays(rows))

    def sql(self) -> str:
        return f"WITH {', '.join(self.steps)} SELECT {', '.join(self.checks) or '1'}"


# what `_combined` writes; a batch holding any other kind of change (the rare ones, and any kind
# added later) goes statement by statement, so nothing is ever left out of the one statement
_COMBINED_KINDS: Final = frozenset(
    {
        "messages",
        "inbound",
        "part_updates",
        "message_updates",
        "history",
        "outbox",
        "outbox_updates",
        "outbox_attempts",
        "inbound_claims",
        "balances",
        "identical",
    }
)
_OTHER_KINDS: Final = tuple(f.name for f in fields(WritePlan) if f.name not in _COMBINED_KINDS)


def _combinable(plan: WritePlan) -> bool:
    if any(getattr(plan, kind) for kind in _OTHER_KINDS):
        return False
    if prune_rows(plan.outbox_attempts, sql.KEPT_ATTEMPTS):
        return False  # pruning old attempts is a statement of its own
    inserts = (
        len(plan.messages),
        plan.parts_count,
        len(plan.inbound),
        len(plan.history),
        len(plan.outbox),
        len(plan.outbox_attempts),
    )
    if max(inserts) >= COPY_FROM:
        return False  # COPY is a statement of its own
    updated = {u.message_id for u in plan.message_updates} | {
        u.message_id for u in plan.part_updates
    }
    if {m.id for m in plan.messages} & updated:
        return False
    if {o.id for o in plan.outbox} & {u.id for u in plan.outbox_updates}:
        return False
    return not {m.id for m in plan.inbound} & {c.id for c in plan.inbound_claims}


def _combined(plan: WritePlan) -> _Combined | None:
    if not _combinable(plan):
        return None
    combined = _Combined()
    combined.insert(INSERT_MESSAGES, [message_values(m) for m in plan.messages])
    combined.insert(INSERT_PARTS, [part_values(p) for m in plan.messages for p in m.parts])
    combined.insert(INSERT_INBOUND, [inbound_values(m) for m in plan.inbound])
    if plan.part_updates:
        rows = [part_update_row(u) for u in plan.part_updates]
        combined.add(UPDATE_PARTS, _arrays(rows), "part")
    if plan.message_updates:
        rows = [message_update_row(u) for u in plan.message_updates]
        combined.add(UPDATE_MESSAGES, _arrays(rows), "message")
    combined.insert(INSERT_HISTORY, plan.history)
    combined.insert(INSERT_OUTBOX, [outbox_values(item) for item in plan.outbox])
    if plan.outbox_updates:
        rows = [outbox_update_row(u) for u in plan.outbox_updates]
        combined.add(UPDATE_OUTBOX, _arrays(rows), "outbox")
    combined.insert(INSERT_ATTEMPTS, [outbox_attempt_values(a) for a in plan.outbox_attempts])
    if plan.inbound_claims:
        rows = [astuple(c) for c in plan.inbound_claims]
        combined.add(CLAIM_INBOUND, _arrays(rows), "inbound")
    if plan.balances:
        combined.add(UPDATE_BALANCES, _arrays(balance_rows(plan.balances)))
    if requests := plan.identical:
        keys = [r.key for r in requests]
        at = min(r.at for r in requests)
        combined.add(INSERT_IDENTICAL, [keys, [r.expires_at for r in requests], at], "identical")
    return combined


async def _apply_steps(conn: Conn, plan: WritePlan) -> None:
    if plan.messages:
        messages = [message_values(m) for m in plan.messages]
        await _insert(conn, MESSAGES, INSERT_MESSAGES, messages)
        parts = [part_values(p) for m in plan.messages for p in m.parts]
        await _insert(conn, PARTS, INSERT_PARTS, parts)
    if plan.replaced:
        found = 0
        for replaced in plan.replaced:
            found += rowcount(await conn.execute(REPLACE_MESSAGE, *replaced_values(replaced)))
        check_found("message", len(plan.replaced), found)
        await conn.executemany(DELETE_PARTS, [(r.message.id,) for r in plan.replaced])
        parts = [part_values(p) for r in plan.replaced for p in r.message.parts]
        await _insert(conn, PARTS, INSERT_PARTS, parts)
    if plan.inbound:
        inbound = [inbound_values(m) for m in plan.inbound]
        await _insert(conn, INBOUND, INSERT_INBOUND, inbound)
    if plan.part_updates:
        rows = [part_update_row(u) for u in plan.part_updates]
        status = await conn.execute(UPDATE_PARTS, *_arrays(rows))
        check_found("part", len(rows), rowcount(status))
    if plan.message_updates:
        rows = [message_update_row(u) for u in plan.message_updates]
        status = await conn.execute(UPDATE_MESSAGES, *_arrays(rows))
        check_found("message", len(rows), rowcount(status))
    # COPY keeps the rows' order, so history ids follow the order of the changes either way
    await _insert(conn, HISTORY, INSERT_HISTORY, plan.history)
    if plan.outbox:
        outbox = [outbox_values(item) for item in plan.outbox]
        await _insert(conn, OUTBOX, INSERT_OUTBOX, outbox)
    if plan.outbox_updates:
        rows = [outbox_update_row(u) for u in plan.outbox_updates]
        status = await conn.execute(UPDATE_OUTBOX, *_arrays(rows))
        check_found("outbox", len(rows), rowcount(status))
    if plan.outbox_attempts:
        attempts = [outbox_attempt_values(a) for a in plan.outbox_attempts]
        await _insert(conn, OUTBOX_ATTEMPTS, INSERT_ATTEMPTS, attempts)
        if pruned := prune_rows(plan.outbox_attempts, sql.KEPT_ATTEMPTS):
            await conn.executemany(PRUNE_ATTEMPTS, pruned)
    if plan.segments:
        segments = [segment_values(s) for s in plan.segments]
        await _insert(conn, SEGMENTS, INSERT_SEGMENTS, segments)
    for group in plan.segments_taken:
        deleted = await conn.execute(DELETE_SEGMENTS, *astuple(group)[:4])
        check_taken(group, rowcount(deleted))
    if plan.submitted:
        rows = [submitted_part_values(p) for p in plan.submitted]
        await conn.executemany(INSERT_SUBMITTED_PART, rows)
    if plan.submitted_taken:
        taken = [astuple(t) for t in plan.submitted_taken]
        await conn.executemany(DELETE_SUBMITTED_PARTS, taken)
    if plan.inbound_claims:
        rows = [astuple(c) for c in plan.inbound_claims]
        status = await conn.execute(CLAIM_INBOUND, *_arrays(rows))
        check_found("inbound", len(rows), rowcount(status))
    if plan.opt_outs:
        if upserts := opt_out_rows(plan.opt_outs, active=True):
            await conn.executemany(UPSERT_OPT_OUT, upserts)
        if deletes := opt_out_rows(plan.opt_outs, active=False):
            await conn.executemany(DELETE_OPT_OUT, deletes)
    if plan.balances:
        await conn.execute(UPDATE_BALANCES, *_arrays(balance_rows(plan.balances)))
    if plan.results:
        rows = [(to_json(r.result), r.message_id) for r in plan.results]
        await conn.executemany(Q(sql.SET_RESULT), rows)
    if plan.subscribers:
        await conn.executemany(Q(sql.INSERT_SUBSCRIBER), [astuple(s) for s in plan.subscribers])
    if plan.idempotent:
        await conn.executemany(Q(sql.DELETE_EXPIRED_KEY), expired_key_rows(plan.idempotent))
        await conn.executemany(
            Q(sql.INSERT_IDEMPOTENT), [idempotent_values(r) for r in plan.idempotent]
        )
    if plan.identical:
        requests = plan.identical
        status = await conn.execute(
            INSERT_IDENTICAL,
            [r.key for r in requests],
            [r.expires_at for r in requests],
            min(r.at for r in requests),
        )
        check_identical(len(requests), rowcount(status))
