"""`smsgate account balance show|top-up|set|postpaid` on a SQLite file."""

import json

import pytest

from smsgate.cli import main
from tests.cli.test_inbound import db

__all__ = ["db"]  # the fixture: a SQLite file with the account "shop" (acct-shop)


def balance(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object], str]:
    """The exit code, the JSON printed and what went to stderr."""
    code = main(["account", "balance", *argv, "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else {}, err


def test_top_up_set_and_postpaid(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert balance(capsys, "show", "shop")[:2] == (
        0,
        {"account": "acct-shop", "prepaid": False, "balance": None, "currency": None},
    )
    assert balance(capsys, "top-up", "shop", "10")[1]["balance"] == "10"
    assert balance(capsys, "top-up", "acct-shop", "-2.5")[1]["balance"] == "7.5"
    code, _, err = balance(capsys, "top-up", "shop", "-7.51")
    assert code == 2 and "below zero" in err
    assert balance(capsys, "show", "shop")[1]["balance"] == "7.5"
    code, _, err = balance(capsys, "set", "shop", "0.0000001")
    assert code == 2 and "six decimal places" in err
    assert balance(capsys, "set", "shop", "3")[1]["balance"] == "3"
    assert balance(capsys, "postpaid", "shop")[1]["prepaid"] is False
    assert balance(capsys, "show", "shop")[1]["prepaid"] is False
    code, _, err = balance(capsys, "show", "nobody")
    assert code == 2 and "no account" in err


def test_currency_and_window(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    def billing(*argv: str) -> tuple[int, dict[str, object], str]:
        code = main(["account", "billing", "shop", *argv, "--json"])
        out, err = capsys.readouterr()
        return code, json.loads(out) if out else {}, err

    assert billing()[1] == {"account": "acct-shop", "currency": None, "dedup_window": None}
    assert billing("--currency", "jpy", "--dedup-window", "0")[1] == {
        "account": "acct-shop",
        "currency": "JPY",
        "dedup_window": 0.0,
    }
    assert billing("--currency", "")[1]["currency"] is None
    code, _, err = billing("--currency", "euro")
    assert code == 2 and "ISO 4217" in err
    code, _, err = billing("--dedup-window", "-1")
    assert code == 2 and "0 (off)" in err
    assert billing()[1]["dedup_window"] == 0.0
