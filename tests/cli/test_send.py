"""`smsgate send` against a running gateway: every option the API takes reaches the message,
`--wait` prints each status to the final one, and stops at `--timeout`; `smsgate simulator
--help` tells its defaults."""

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smsgate.cli import build_parser, main
from tests.api.harness import running_gateway


def test_send_with_every_option_then_wait_for_delivery(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def body() -> None:
        async with running_gateway(str(tmp_path / "send.db")) as gw:
            base = str(gw.client.base_url)
            cli = ["send", "--url", base, "--api-key", gw.keys["a"], "--to", "+819012345678"]
            argv = [
                *cli,
                *("--text", "hello", "--from", "SHOP", "--encoding", "ucs2"),
                *("--client-ref", "order-1", "--tag", "spring", "--validity", "600"),
                *("--callback", "https://client.example/status", "--priority", "high"),
                *("--wait", "--timeout", "20", "--poll", "0.05"),
            ]
            code = await asyncio.to_thread(main, argv)
            out = capsys.readouterr().out
            assert code == 0, out
            sent = json.loads(out[: out.index("\n}\n") + 2])
            assert (sent["client_ref"], sent["tag"], sent["from"]) == ("order-1", "spring", "SHOP")
            assert sent["encoding"] == "ucs2" and sent["priority"] == "high"
            assert sent["callback_url"] == "https://client.example/status"
            valid = datetime.fromisoformat(sent["valid_until"]) - datetime.fromisoformat(
                sent["created_at"]
            )
            assert valid == timedelta(seconds=600)
            statuses = re.findall(r"^\S+Z  (\w+)", out, re.MULTILINE)
            assert statuses == ["queued", "sent", "delivered"], out

            # scheduled an hour ahead: --wait gives up at its timeout, exit status 3
            later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
            argv = [*cli, "--text", "later", "--schedule", later, "--wait", "--timeout", "0.2"]
            code = await asyncio.to_thread(main, argv)
            captured = capsys.readouterr()
            assert code == 3
            assert json.loads(captured.out.split("\n}\n")[0] + "\n}")["status"] == "scheduled"
            assert "is still scheduled after 0.2 s" in captured.err

            # refused by the gateway: its error shown, exit status 1
            code = await asyncio.to_thread(main, [*cli[:-1], "+1", "--text", "x"])
            assert code == 1 and "error" in json.loads(capsys.readouterr().out)

    asyncio.run(body())


def test_send_refuses_a_time_without_offset(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["send", "--to", "+819012345678", "--text", "x", "--schedule", "tomorrow"])
    assert exit_.value.code == 2 and "not an ISO 8601 time" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["send", "--to", "+8190", "--text", "x", "--schedule", "2030-01-01T09:00:00"])
    assert "has no offset" in capsys.readouterr().err


def test_simulator_help_tells_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["simulator", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "empty: any credentials bind" not in text
    assert "bind with (default: demo); '' lets any system_id and password bind" in text
    assert "its password (default: demo)" in text
    options = re.findall(r"(--[a-z-]+) [A-Z_]+ ([^-]*)", text)
    assert options and all("default" in help for _, help in options), options
