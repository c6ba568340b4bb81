"""`smsgate account callbacks` on a SQLite file: a Reach client's account set up for Reach's
callbacks, then back to the defaults; bad values refused with a reason."""

import asyncio
import json
from pathlib import Path

import pytest

from smsgate.cli import main
from smsgate.store import open_store


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_callback_settings_are_set_shown_and_reset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "callbacks.db")
    monkeypatch.setenv("SMSGATE_DB", db)
    code, out, _ = run(capsys, "account", "create", "--name", "shop", "--json")
    assert code == 0
    key = json.loads(out)["api_key"]
    code, out, _ = run(
        capsys,
        "account",
        "callbacks",
        "shop",
        "--url",
        "https://client.example/status",
        "--secret",
        key,
        "--signature",
        "reach",
        "--format",
        "reach",
    )
    assert code == 0
    shown = json.loads(out)
    assert shown["callback_url"] == "https://client.example/status"
    assert (shown["secret"], shown["signature"], shown["format"]) == ("set", "reach", "reach")

    async def stored() -> tuple[str | None, str | None, str | None, str | None]:
        store = await open_store(db)
        try:
            (account,) = await store.list_accounts()
            return (
                account.callback_url,
                account.webhook_secret,
                account.signature,
                account.callback_format,
            )
        finally:
            await store.close()

    assert asyncio.run(stored()) == ("https://client.example/status", key, "reach", "reach")
    code, out, _ = run(
        capsys, "account", "callbacks", "shop", "--url", "", "--signature", "", "--format", ""
    )
    assert code == 0
    assert json.loads(out)["format"] == "native" and json.loads(out)["callback_url"] is None
    assert asyncio.run(stored())[2:] == (None, None)
    code, _, err = run(capsys, "account", "callbacks", "shop", "--url", "ftp://client.example/x")
    assert code == 2 and "ftp://client.example/x" in err
    code, _, err = run(capsys, "account", "callbacks", "nobody")
    assert code == 2 and "nobody" in err
    with pytest.raises(SystemExit):
        main(["account", "callbacks", "shop", "--format", "unknown"])
