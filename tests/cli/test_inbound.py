"""`smsgate account numbers|inbound|opt-outs` and `smsgate inbound unclaimed` on a SQLite file."""

import asyncio
import json
from pathlib import Path

import pytest

from smsgate.cli import main
from smsgate.domain.ids import new_id
from smsgate.domain.inbound import InboundMessage, OptOut
from smsgate.store import open_store
from tests.store.factories import new_account


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = str(tmp_path / "mo.db")
    monkeypatch.setenv("SMSGATE_DB", path)

    async def seed() -> None:
        store = await open_store(path)
        try:
            account = new_account("shop")
            account.id = "acct-shop"
            await store.create_account(account)
            lost = InboundMessage(new_id(), "c1", "819011112222", "8100", "hi?", 0, b"hi?", 1e9)
            stop = InboundMessage(new_id(), "c1", "819055556666", "8100", "stop", 0, b"stop", 2e9)
            await store.write([lost, stop, OptOut("acct-shop", "819033334444", 1e9)])
        finally:
            await store.close()

    asyncio.run(seed())
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_numbers_are_added_listed_and_removed(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "account", "numbers", "add", "shop", "+81312345678")[0] == 0
    assert (
        run(capsys, "account", "numbers", "add", "acct-shop", "81312345678", "--keyword", "sale")[0]
        == 0
    )
    code, _, err = run(capsys, "account", "numbers", "add", "shop", "81312345678")
    assert code == 2 and "has an owner" in err
    code, _, err = run(capsys, "account", "numbers", "add", "nobody", "81312345678")
    assert code == 2 and "no account is called 'nobody'" in err
    assert run(capsys, "account", "numbers", "add", "shop", "not-a-number")[0] == 2
    code, out, _ = run(capsys, "account", "numbers", "list", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["number"], r["keyword"], r["account"]) for r in rows] == [
        ("81312345678", "*", "shop"),
        ("81312345678", "SALE", "shop"),
    ]
    assert run(capsys, "account", "numbers", "remove", "81312345678", "--keyword", "SALE")[0] == 0
    code, _, err = run(capsys, "account", "numbers", "remove", "81312345678", "--keyword", "SALE")
    assert code == 2 and "has no owner" in err


def test_inbound_settings_opt_outs_and_unclaimed(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "account",
        "inbound",
        "shop",
        "--url",
        "https://shop.example/mo",
        "--opt-out-keywords",
        "stop end",
    )
    assert code == 0
    assert json.loads(out) == {
        "account_id": "acct-shop",
        "inbound_url": "https://shop.example/mo",
        "opt_out_keywords": ["END", "STOP"],
        "opt_in_keywords": ["START"],
    }
    code, _, err = run(capsys, "account", "inbound", "shop", "--url", "ftp://shop.example/")
    assert code == 2 and "ftp://shop.example/" in err
    code, out, _ = run(capsys, "account", "opt-outs", "shop", "--json")
    assert [json.loads(line)["number"] for line in out.splitlines()] == ["+819033334444"]
    code, out, _ = run(capsys, "inbound", "unclaimed", "--json")
    stop, lost = [json.loads(line) for line in out.splitlines()]  # newest first
    assert (lost["from"], lost["to"], lost["text"]) == ("819011112222", "8100", "hi?")
    assert stop["text"] == "stop"


def test_claim_gives_unclaimed_mo_to_the_numbers_new_owner(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "inbound", "claim")[1].startswith("0 of 2 unclaimed messages claimed")
    run(capsys, "account", "numbers", "add", "shop", "8100")
    run(capsys, "account", "inbound", "shop", "--url", "https://shop.example/mo")
    assert run(capsys, "inbound", "claim", "--to", "8100")[1].startswith("2 of 2")

    async def check() -> None:
        store = await open_store(db)
        try:
            claimed, _ = await store.list_inbound("acct-shop")
            assert [m.text for m in claimed] == ["stop", "hi?"]
            owed, _ = await store.list_outbox("acct-shop")
            assert [(i.event, i.url, i.payload["text"]) for i in owed] == [
                ("inbound", "https://shop.example/mo", "stop"),
                ("inbound", "https://shop.example/mo", "hi?"),
            ]
            numbers = [o.number for o in await store.opt_outs("acct-shop")]
            assert numbers == ["819033334444", "819055556666"]  # the claimed STOP counts
        finally:
            await store.close()

    asyncio.run(check())
    assert run(capsys, "inbound", "unclaimed")[1] == ""
