"""`smsgate account keys|add-key|revoke-key` on a real SQLite file: a key added is printed
once and opens the account beside its first key; the list shows ids and labels, never a
secret; a revoked key finds nothing; bad input is refused with what is wrong."""

import asyncio
import json
from pathlib import Path

import pytest

from smsgate.cli import main
from smsgate.domain.account import hash_api_key
from smsgate.store import open_store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def owners(db: str, *keys: str) -> list[str | None]:
    """The id of the account each key opens, as the HTTP interfaces look it up."""

    async def lookup() -> list[str | None]:
        store = await open_store(db)
        try:
            found = [await store.account_by_api_key_hash(hash_api_key(k)) for k in keys]
            return [None if account is None else account.id for account in found]
        finally:
            await store.close()

    return asyncio.run(lookup())


def test_keys_are_added_listed_and_revoked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "keys.db")
    code, out, _ = run(capsys, "account", "create", "--name", "shop", "--db", db, "--json")
    created = json.loads(out)
    code, out, _ = run(capsys, "account", "keys", "shop", "--db", db)
    assert code == 0 and out.splitlines() == ["first key: set", "no other keys"]

    code, out, _ = run(capsys, "account", "add-key", "shop", "--label", "deploy", "--db", db)
    assert code == 0 and "shown once" in out
    secret = out.split("api_key: ")[1].split()[0]
    code, out, _ = run(capsys, "account", "add-key", created["id"], "--db", db, "--json")
    spare = json.loads(out)
    assert spare["label"] == "" and spare["account_id"] == created["id"]
    assert owners(db, created["api_key"], secret, spare["api_key"]) == [created["id"]] * 3

    code, out, _ = run(capsys, "account", "keys", "shop", "--db", db, "--json")
    listed = json.loads(out)
    assert listed["first_key"] is True
    assert [k["label"] for k in listed["keys"]] == ["deploy", ""]
    assert set(listed["keys"][0]) == {"id", "label", "created"}
    code, table, _ = run(capsys, "account", "keys", "shop", "--db", db)
    assert table.splitlines()[1].split() == ["id", "label", "created"]
    for key in (secret, spare["api_key"], hash_api_key(secret)):
        assert key not in out and key not in table
    code, out, _ = run(capsys, "account", "show", "shop", "--db", db, "--json")
    assert json.loads(out)["other_api_keys"] == 2

    deploy_id = listed["keys"][0]["id"]
    code, out, _ = run(capsys, "account", "revoke-key", "shop", deploy_id, "--db", db)
    assert code == 0 and f"key {deploy_id} revoked" in out
    found = owners(db, secret, spare["api_key"], created["api_key"])
    assert found == [None, created["id"], created["id"]]
    code, _, err = run(capsys, "account", "revoke-key", "shop", deploy_id, "--db", db)
    assert code == 2 and f"has no key {deploy_id}" in err


def test_bad_input_is_refused_with_what_is_wrong(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "bad.db")
    run(capsys, "account", "create", "--name", "shop", "--db", db)
    long_label = "x" * 101
    code, _, err = run(capsys, "account", "add-key", "shop", "--label", long_label, "--db", db)
    assert code == 2 and "100 characters" in err
    code, _, err = run(capsys, "account", "add-key", "shop", "--label", "a\tb", "--db", db)
    assert code == 2 and "control characters" in err
    code, _, err = run(capsys, "account", "keys", "nobody", "--db", db)
    assert code == 2 and "no account is called 'nobody'" in err
    code, out, _ = run(capsys, "account", "keys", "shop", "--db", db, "--json")
    assert json.loads(out)["keys"] == []  # nothing was added by the refused commands
