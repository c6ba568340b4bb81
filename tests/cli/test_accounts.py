"""Store commands name their database: `--db` on each, one line on stderr saying which is used,
and an unknown account named with the database looked in. `account create` refuses an empty or
taken name, a taken API key or SMPP login, and a weak or unusable supplied credential, with one
line saying what is wrong."""

import argparse
from pathlib import Path

import pytest

from smsgate.cli import build_parser, main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


Parser = argparse.ArgumentParser
TAKEN = "sg_taken_key_of_24_chars"


def _leaves(parser: Parser, name: str = "smsgate") -> dict[str, Parser]:
    found: dict[str, Parser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                found |= _leaves(sub, f"{name} {sub_name}")
    return found or {name: parser}


def test_every_store_command_takes_db() -> None:
    leaves = _leaves(build_parser())
    with_config = [n for n, p in leaves.items() if "--config" in p._option_string_actions]
    assert "smsgate account create" in with_config and "smsgate outbox dead" in with_config
    assert [n for n in with_config if "--db" not in leaves[n]._option_string_actions] == []


def test_the_database_is_named_and_an_unknown_account_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SMSGATE_DB", raising=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    db = tmp_path / "gateway.db"
    code, _, err = run(capsys, "account", "create", "--name", "shop", "--db", str(db))
    assert code == 0
    assert err.splitlines() == [f"smsgate: database {db} (--db)"]

    # run without --db in another directory: the default there, said and named in the refusal
    code, _, err = run(capsys, "account", "callbacks", "shop")
    default = elsewhere / "var" / "smsgate.db"
    assert code == 2
    first, refusal = err.splitlines()
    assert first == f"smsgate: database {default} (the default; give --db or set SMSGATE_DB)"
    assert refusal.startswith("smsgate account callbacks: no account is called 'shop' in ")
    assert str(default) in refusal

    code, _, err = run(capsys, "account", "callbacks", "shop", "--db", str(db))
    assert code == 0 and err.splitlines() == [f"smsgate: database {db} (--db)"]
    monkeypatch.setenv("SMSGATE_DB", str(db))
    code, _, err = run(capsys, "account", "callbacks", "shop")
    assert code == 0 and err.splitlines() == [f"smsgate: database {db} (SMSGATE_DB)"]


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["--name", ""], "--name is empty"),
        (["--name", "   "], "--name is empty"),
        (["--name", "shop"], "an account is already called 'shop'"),
        (["--name", "other", "--api-key", TAKEN], "the API key is already account 'shop'"),
        (
            ["--name", "other", "--smpp-system-id", "shop", "--smpp-password", "pw-shop"],
            "SMPP system_id 'shop' is already account 'shop'",
        ),
        (["--name", "other", "--smpp-system-id", "x" * 16, "--smpp-password", "pw-shop"], "15"),
        (["--name", "other", "--smpp-system-id", "x", "--smpp-password", "123456789"], "8"),
        # weak or unusable credentials
        (["--name", "other", "--api-key", "x"], "1 characters; at least 24"),
        (["--name", "other", "--api-key", "k" * 23], "23 characters; at least 24"),
        (["--name", "other", "--api-key", "sg_" + "k" * 20 + " x"], "letters, digits"),
        (["--name", "other", "--smpp-system-id", "x", "--smpp-password", "p"], "at least 6"),
        (["--name", "other", "--smpp-system-id", "x", "--smpp-password", "pässwort"], "ASCII"),
        (["--name", "other", "--smpp-system-id", "x y", "--smpp-password", "pw-shop"], "ASCII"),
    ],
)
def test_account_create_refuses_what_clashes(
    argv: list[str], reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "a.db")
    first = ["--smpp-system-id", "shop", "--smpp-password", "pw-shop", "--api-key", TAKEN]
    assert run(capsys, "account", "create", "--name", "shop", *first, "--db", db)[0] == 0
    code, out, err = run(capsys, "account", "create", *argv, "--db", db)
    assert code == 2 and out == ""
    refusal = err.splitlines()[-1]
    assert refusal.startswith("smsgate account create: ") and reason in refusal
    assert "UNIQUE" not in err and "Traceback" not in err
    assert run(capsys, "account", "create", "--name", "other", "--db", db)[0] == 0


def test_the_minimum_lengths_are_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "a.db")
    config = tmp_path / "smsgate.toml"
    config.write_text("api_key_min_length = 8\nsmpp_password_min_length = 4\n")
    argv = ["--api-key", "sg_short", "--smpp-system-id", "shop", "--smpp-password", "pw-1"]
    code, _, err = run(capsys, "account", "create", "--name", "shop", *argv, "--db", db)
    assert code == 2 and "at least 24" in err  # the defaults
    with_config = [*argv, "--config", str(config), "--db", db]
    assert run(capsys, "account", "create", "--name", "shop", *with_config)[0] == 0
    config.write_text("smpp_password_min_length = 9\n")
    code, _, err = run(capsys, "account", "create", "--name", "x", "--config", str(config))
    assert code == 2 and "smpp_password_min_length is 1 to 8" in err
