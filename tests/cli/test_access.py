"""`smsgate account access` on a SQLite file: a KDDI bot's account gets its bot, allow-list and
retention, then goes back to the defaults; bad values are refused with a reason."""

import json
from pathlib import Path

import pytest

from smsgate.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, json.loads(out) if code == 0 else {}, err


def test_access_settings_are_set_shown_and_reset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMSGATE_DB", str(tmp_path / "access.db"))
    for name in ("shop", "other"):
        assert main(["account", "create", "--name", name, "--json"]) == 0
    capsys.readouterr()
    code, shown, _ = run(
        capsys,
        "account",
        "access",
        "shop",
        "--ip-allow",
        "192.0.2.0/24, 2001:db8::1",
        "--bot-id",
        "bot-1",
        "--rcs-webhook-url",
        "https://shop.example/bot",
    )
    assert code == 0
    assert shown["ip_allow"] == "192.0.2.0/24 2001:db8::1/128"
    assert shown["rcs_webhook_url"] == "https://shop.example/bot"
    assert (shown["bot_id"], shown["retention_days"]) == ("bot-1", 31.0)
    code, shown, _ = run(capsys, "account", "access", "shop", "--retention-days", "7")
    assert shown["retention_days"] == 7.0
    code, shown, _ = run(capsys, "account", "access", "shop")  # shown, unchanged
    assert (shown["bot_id"], shown["retention_days"]) == ("bot-1", 7.0)

    code, _, err = run(capsys, "account", "access", "other", "--bot-id", "bot-1")
    assert code == 2 and "belongs to another account" in err
    code, _, err = run(capsys, "account", "access", "shop", "--ip-allow", "10.0.0.300")
    assert code == 2 and "'10.0.0.300'" in err
    code, _, err = run(capsys, "account", "access", "shop", "--rcs-webhook-url", "ftp://x")
    assert code == 2 and "ftp://x" in err
    code, _, err = run(capsys, "account", "access", "shop", "--retention-days", "a week")
    assert code == 2 and "--retention-days" in err

    code, shown, _ = run(
        capsys,
        "account",
        "access",
        "shop",
        "--ip-allow",
        "",
        "--bot-id",
        "",
        "--retention-days",
        "",
        "--rcs-webhook-url",
        "",
    )
    assert shown["ip_allow"] is None and shown["bot_id"] is None
    assert shown["rcs_webhook_url"] is None
    assert shown["retention_days"] is None


def test_data_coding_0_is_set_shown_and_reset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMSGATE_DB", str(tmp_path / "coding.db"))
    assert main(["account", "create", "--name", "ascii-client", "--json"]) == 0
    capsys.readouterr()
    code, shown, _ = run(capsys, "account", "access", "ascii-client")
    assert (code, shown["data_coding_0"]) == (0, "gsm")  # GSM 03.38 unless set
    code, shown, _ = run(capsys, "account", "access", "ascii-client", "--data-coding-0", "ascii")
    assert (code, shown["data_coding_0"]) == (0, "ascii")
    code, shown, _ = run(capsys, "account", "access", "ascii-client")  # stored
    assert shown["data_coding_0"] == "ascii"
    code, _, err = run(capsys, "account", "access", "ascii-client", "--data-coding-0", "utf8")
    assert code == 2 and "--data-coding-0" in err
    code, shown, _ = run(capsys, "account", "access", "ascii-client", "--data-coding-0", "")
    assert shown["data_coding_0"] == "gsm"
