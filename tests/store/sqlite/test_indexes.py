"""SQLite's indexes of messages: what the writer pays for them on each message, and the reads
that need them."""

from pathlib import Path

import pytest

from smsgate.store import sql
from smsgate.store.rows import MESSAGES
from smsgate.store.sqlite.apply import INSERT_MESSAGES, UPDATE_MESSAGES, UPDATE_PARTS
from smsgate.store.sqlite.rows import _values
from smsgate.store.sqlite.store import SqliteStore
from tests.store.backends import sqlite_explain, sqlite_schema_rows


def _temporary_tables(tmp_path: Path, statement: str) -> int:
    return sqlite_explain(tmp_path, statement, plan=False).count("OpenEphemeral")


def test_no_partial_index_tests_a_list(tmp_path: Path) -> None:
    # SQLite decides whether a row belongs in such an index by building the list as a
    # temporary b-tree, for the row before and after each status update: with two of them the
    # writer's accept, sent and delivered commits cost 168 µs a message, 89 µs without
    indexes = sqlite_schema_rows(
        tmp_path, "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
    )
    partial = {name: text for name, text in indexes if text and " WHERE " in text}
    assert "messages_unfinished" in partial
    assert not [name for name, text in partial.items() if " IN (" in text.upper()], partial


def test_the_writer_builds_no_list_for_a_message(tmp_path: Path) -> None:
    width = len(MESSAGES.columns)
    assert _temporary_tables(tmp_path, f"{INSERT_MESSAGES} {_values(width, 1)}") == 0
    # a status update of many messages at once needs what the same update of parts needs
    # (whose indexes test no list): the rows' table, and the rows to change
    messages = UPDATE_MESSAGES.format(values=_values(len(sql.MESSAGE_UPDATE.columns), 8))
    parts = UPDATE_PARTS.format(values=_values(len(sql.PART_UPDATE.columns), 8))
    assert _temporary_tables(tmp_path, messages) == _temporary_tables(tmp_path, parts)


def test_reading_the_queues_back_uses_the_index_of_unfinished_messages(tmp_path: Path) -> None:
    # at start (every unfinished message, in pages); the test of the status in each statement
    # is the index's own, word for word
    rebuild = " ".join(sqlite_explain(tmp_path, sql.UNFINISHED_MESSAGES))
    assert "SEARCH messages USING INDEX messages_unfinished (id>?)" in rebuild, rebuild


UNFINISHED = SqliteStore._unfinished_index
OF_ONE = " AND account_id = ?"


@pytest.mark.parametrize(
    ("statement", "index"),
    [
        # `smsgate queue`, of every account and of one; deleting an account counts its own
        (sql.WAITING_MESSAGES.format(index=UNFINISHED, account=""), "messages_unfinished"),
        (sql.WAITING_MESSAGES.format(index=UNFINISHED, account=OF_ONE), "messages_unfinished"),
        (sql.SENT_MESSAGES.format(index=SqliteStore._sent_index, account=""), "messages_sent"),
        (sql.SENT_MESSAGES.format(index=SqliteStore._sent_index, account=OF_ONE), "messages_sent"),
        (sql.ACCOUNT_UNFINISHED.format(index=UNFINISHED), "messages_unfinished"),
        (sql.OUTBOX_DEPTH.format(state="pending", account=""), "outbox_due"),
        (sql.OUTBOX_DEPTH.format(state="abandoned", account=OF_ONE), "outbox_abandoned"),
    ],
)
def test_counting_what_waits_reads_only_what_waits(
    tmp_path: Path, statement: str, index: str
) -> None:
    # without the index named, SQLite's planner (no statistics) walked messages_created, every
    # message of the account or of them all: 66-195 ms at 200,000 messages against 0.2-0.7;
    # the outbox's state is named as its partial indexes name it, not left to a parameter
    plan = " ".join(sqlite_explain(tmp_path, statement))
    assert f"USING INDEX {index}" in plan, plan
