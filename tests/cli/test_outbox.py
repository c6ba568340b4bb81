"""`smsgate outbox dead` and `smsgate outbox replay` on a SQLite file: dead letters listed by
channel and account, replayed by id or all of a channel, and bad requests refused."""

import asyncio
import json
from pathlib import Path

import pytest

from smsgate.cli import main
from smsgate.domain.ids import new_id
from smsgate.domain.outbox import OutboxItem, OutboxState
from smsgate.store import OutboxUpdate, open_store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _item(channel: str, account: str) -> OutboxItem:
    return OutboxItem(
        id=new_id(), channel=channel, account_id=account, subject_id=new_id(),
        event="delivered", payload={}, created_at=1.0, next_attempt_at=1.0,
        url="https://client.example/cb" if channel == "http" else None,
    )  # fmt: skip


async def _dead_letters(db: str) -> list[OutboxItem]:
    """Three dead letters (http of a and b, smpp of a) and one item still owed."""
    items = [_item("http", "a"), _item("http", "b"), _item("smpp", "a"), _item("http", "a")]
    store = await open_store(db)
    try:
        await store.write(items)
        await store.write(
            [OutboxUpdate(i.id, OutboxState.ABANDONED, 2.0, 8, None, "HTTP 503") for i in items[:3]]
        )
    finally:
        await store.close()
    return items


async def _states(db: str, items: list[OutboxItem]) -> list[tuple[str, int]]:
    store = await open_store(db)
    try:
        found = [await store.outbox_item(i.id) for i in items]
    finally:
        await store.close()
    return [(i.state.value, i.attempts) for i in found if i is not None]


def test_dead_letters_are_listed_and_replayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "outbox.db")
    monkeypatch.setenv("SMSGATE_DB", db)
    items = asyncio.run(_dead_letters(db))
    code, out, _ = run(capsys, "outbox", "dead", "--json")
    assert code == 0
    listed = json.loads(out)
    assert [d["id"] for d in listed] == [i.id for i in reversed(items[:3])]  # newest first
    assert listed[0]["last_error"] == "HTTP 503" and listed[0]["attempts"] == 8
    code, out, _ = run(capsys, "outbox", "dead", "--channel", "http", "--account", "a", "--json")
    assert [d["id"] for d in json.loads(out)] == [items[0].id]
    code, out, _ = run(capsys, "outbox", "dead", "--limit", "1")
    assert code == 0 and items[2].id in out and "1 dead letter(s)" in out

    code, out, _ = run(capsys, "outbox", "replay", items[1].id, items[3].id)
    assert code == 0 and json.loads(out) == {"replayed": 1}  # the other was not dead
    code, out, _ = run(capsys, "outbox", "replay", "--all", "--channel", "smpp")
    assert json.loads(out) == {"replayed": 1}
    assert asyncio.run(_states(db, items)) == [
        ("abandoned", 8), ("pending", 0), ("pending", 0), ("pending", 0),
    ]  # fmt: skip
    code, out, _ = run(capsys, "outbox", "replay", "--all")
    assert json.loads(out) == {"replayed": 1}
    code, out, _ = run(capsys, "outbox", "dead", "--json")
    assert json.loads(out) == []


def test_replay_wants_ids_or_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMSGATE_DB", str(tmp_path / "outbox.db"))
    code, _, err = run(capsys, "outbox", "replay")
    assert code == 2 and "give item ids or --all" in err
    code, _, err = run(capsys, "outbox", "replay", "x", "--all")
    assert code == 2 and "give item ids or --all" in err
    code, _, err = run(capsys, "outbox", "replay", "x", "--channel", "http")
    assert code == 2 and "--channel goes with --all" in err
