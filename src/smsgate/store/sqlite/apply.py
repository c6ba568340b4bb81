"""What the SQLite writer does with a batch: the statements of a write plan, run in one
transaction, and the replay of each caller's changes alone when a shared transaction fails."""

import sqlite3
from collections.abc import Sequence
from dataclasses import astuple
from typing import Any, Final

from smsgate.store import sql
from smsgate.store.batch import (
    WritePlan,
    check_found,
    check_identical,
    check_taken,
    plan_writes,
)
from smsgate.store.changes import Change
from smsgate.store.columns import Table, names, to_json
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
from smsgate.store.sqlite.connection import environmental, transaction, translate
from smsgate.store.sqlite.rows import insert_rows, update_rows


def _insert_head(table: Table) -> str:
    return f"INSERT INTO {table.name} ({table.names()}) VALUES"


def _update_from(update: sql.SetUpdate) -> str:
    return (
        f"WITH u({names(update.columns)}) AS (VALUES {{values}})"
        f" UPDATE {update.table} AS {update.alias} SET {update.assignments}"
        f" FROM u WHERE {update.where()}"
    )


INSERT_MESSAGES: Final = _insert_head(MESSAGES)
INSERT_PARTS: Final = _insert_head(PARTS)
INSERT_INBOUND: Final = _insert_head(INBOUND)
INSERT_HISTORY: Final = _insert_head(HISTORY)
INSERT_OUTBOX: Final = _insert_head(OUTBOX)
INSERT_ATTEMPTS: Final = _insert_head(OUTBOX_ATTEMPTS)
INSERT_SEGMENTS: Final = _insert_head(SEGMENTS)
UPDATE_PARTS: Final = _update_from(sql.PART_UPDATE)
UPDATE_MESSAGES: Final = _update_from(sql.MESSAGE_UPDATE)
UPDATE_OUTBOX: Final = _update_from(sql.OUTBOX_UPDATE)
CLAIM_INBOUND: Final = _update_from(sql.INBOUND_CLAIM)
UPDATE_BALANCES: Final = _update_from(sql.BALANCE_UPDATE)


def _update_all(conn: sqlite3.Connection, kind: str, statement: str, rows: list[Any]) -> None:
    """A batched UPDATE whose every row must find its target (IntegrityError otherwise)."""
    check_found(kind, len(rows), update_rows(conn, statement, rows))


def apply(conn: sqlite3.Connection, plan: WritePlan) -> None:
    if plan.messages:
        insert_rows(conn, INSERT_MESSAGES, [message_values(m) for m in plan.messages])
        insert_rows(conn, INSERT_PARTS, [part_values(p) for m in plan.messages for p in m.parts])
    if plan.replaced:
        found = sum(
            conn.execute(sql.REPLACE_MESSAGE, replaced_values(r)).rowcount for r in plan.replaced
        )
        check_found("message", len(plan.replaced), found)
        conn.executemany(sql.DELETE_PARTS, [(r.message.id,) for r in plan.replaced])
        parts = [part_values(p) for r in plan.replaced for p in r.message.parts]
        insert_rows(conn, INSERT_PARTS, parts)
    if plan.inbound:
        insert_rows(conn, INSERT_INBOUND, [inbound_values(m) for m in plan.inbound])
    if plan.part_updates:
        _update_all(conn, "part", UPDATE_PARTS, [part_update_row(u) for u in plan.part_updates])
    if plan.message_updates:
        rows = [message_update_row(u) for u in plan.message_updates]
        _update_all(conn, "message", UPDATE_MESSAGES, rows)
    insert_rows(conn, INSERT_HISTORY, plan.history)
    if plan.outbox:
        insert_rows(conn, INSERT_OUTBOX, [outbox_values(item) for item in plan.outbox])
    if plan.outbox_updates:
        rows = [outbox_update_row(u) for u in plan.outbox_updates]
        _update_all(conn, "outbox", UPDATE_OUTBOX, rows)
    if plan.outbox_attempts:
        attempts = plan.outbox_attempts
        insert_rows(conn, INSERT_ATTEMPTS, [outbox_attempt_values(a) for a in attempts])
        conn.executemany(sql.PRUNE_ATTEMPTS, prune_rows(attempts, sql.KEPT_ATTEMPTS))
    if plan.segments:
        insert_rows(conn, INSERT_SEGMENTS, [segment_values(s) for s in plan.segments])
    for taken in plan.segments_taken:
        check_taken(taken, conn.execute(sql.DELETE_SEGMENTS, astuple(taken)[:4]).rowcount)
    if plan.submitted:
        rows = [submitted_part_values(p) for p in plan.submitted]
        conn.executemany(sql.INSERT_SUBMITTED_PART, rows)
    if plan.submitted_taken:
        conn.executemany(sql.DELETE_SUBMITTED_PARTS, [astuple(t) for t in plan.submitted_taken])
    if plan.inbound_claims:
        _update_all(conn, "inbound", CLAIM_INBOUND, [astuple(c) for c in plan.inbound_claims])
    if plan.opt_outs:
        conn.executemany(sql.UPSERT_OPT_OUT, opt_out_rows(plan.opt_outs, active=True))
        conn.executemany(sql.DELETE_OPT_OUT, opt_out_rows(plan.opt_outs, active=False))
    if plan.balances:
        update_rows(conn, UPDATE_BALANCES, balance_rows(plan.balances))
    if plan.results:
        conn.executemany(sql.SET_RESULT, [(to_json(r.result), r.message_id) for r in plan.results])
    if plan.subscribers:
        conn.executemany(sql.INSERT_SUBSCRIBER, [astuple(s) for s in plan.subscribers])
    if plan.idempotent:
        conn.executemany(sql.DELETE_EXPIRED_KEY, expired_key_rows(plan.idempotent))
        conn.executemany(sql.INSERT_IDEMPOTENT, [idempotent_values(r) for r in plan.idempotent])
    if plan.identical:
        rows = [(r.key, r.expires_at, r.at) for r in plan.identical]
        check_identical(len(rows), conn.executemany(sql.INSERT_IDENTICAL, rows).rowcount)


def commit(
    conn: sqlite3.Connection, groups: Sequence[Sequence[Change]]
) -> tuple[list[BaseException | None], bool]:
    """Each group's outcome (None: committed), and whether the shared transaction failed and
    the groups were written one by one."""
    try:
        with transaction(conn):
            apply(conn, plan_writes(groups))
    except Exception as error:
        if len(groups) == 1 or environmental(error):
            return [translate(error)] * len(groups), False
    else:
        return [None] * len(groups), False
    # one caller's changes may have failed the shared transaction: replay each alone
    outcomes: list[BaseException | None] = []
    for group in groups:
        try:
            with transaction(conn):
                apply(conn, plan_writes([group]))
        except Exception as error:
            outcomes.append(translate(error))
        else:
            outcomes.append(None)
    return outcomes, True
