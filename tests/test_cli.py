"""`smsgate serve` and `smsgate smpp-send` as an operator runs them: real processes and sockets."""

import json
import os
import re
import signal
import subprocess
import sys

import pytest

from smsgate.cli import main


def test_serve_then_send_and_stop_cleanly() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "smsgate", "serve", "--port", "0", "--receipt-delay", "0.01"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        banner = ""
        while "Ctrl-C" not in banner:
            line = server.stdout.readline()
            assert line, f"serve exited early: {banner}"
            banner += line
        match = re.search(r"127\.0\.0\.1:(\d+)", banner)
        assert match, banner
        assert "system_id=demo password=demo" in banner
        port = match.group(1)
        command = ["smpp-send", "--port", port, "--to", "+819012345678"]
        sender = subprocess.run(
            [sys.executable, "-m", "smsgate", *command, "--text", "日本語のテキスト" * 10],
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
            env=env,
        )
        assert sender.returncode == 0, sender.stderr
        result = json.loads(sender.stdout)
        assert result["encoding"] == "ucs2" and result["segments"] == 2
        assert [r["stat"] for r in result["receipts"]] == ["DELIVRD", "DELIVRD"]
        assert sorted(r["id"] for r in result["receipts"]) == sorted(result["message_ids"])
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=15)
    assert server.returncode == 0, output
    counters = json.loads(output.strip().splitlines()[-1])
    assert counters == {"submitted": 2, "throttled": 0, "receipts_sent": 2, "binds": 1}


def test_send_to_nothing_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    # port 9 (discard) is closed on loopback: a refused connection, reported in one line
    code = main(["smpp-send", "--port", "9", "--to", "+819012345678", "--text", "x"])
    assert code == 2
    assert "smsgate smpp-send:" in capsys.readouterr().err
