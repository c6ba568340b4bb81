"""The `smsgate` command as an operator runs it: real processes, real sockets."""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from smsgate.cli import main
from smsgate.store import open_store


def _start(args: list[str], env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "smsgate", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        cwd=cwd,
    )
    assert process.stdout is not None
    banner = ""
    while "Ctrl-C" not in banner:
        line = process.stdout.readline()
        if not line:
            process.wait(10)
            pytest.fail(f"{args[0]} exited early: {banner}")
        banner += line
    return process, banner


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    return output


def test_serve_embedded_then_send_over_rest(tmp_path: Path) -> None:
    env = {
        "SMSGATE_HTTP_PORT": "0",
        "SMSGATE_SMPP_PORT": "0",
        "SMSGATE_SMPP_TLS_PORT": "0",
        "SMSGATE_DB": str(tmp_path / "var" / "smsgate.db"),
    }
    server, banner = _start(["serve"], env, tmp_path)
    try:
        url = re.search(r"HTTP API +(http://\S+)", banner)
        key = re.search(r"API key (sg_\S+)", banner)
        assert url and key, banner
        assert "built-in simulator" in banner and "curl -s -X POST" in banner
        headers = {"Authorization": f"Bearer {key.group(1)}"}
        sent = httpx.post(
            url.group(1) + "/v1/messages",
            json={"to": "+819012345678", "text": "Hello from the CLI test"},
            headers=headers,
        )
        assert sent.status_code == 202, sent.text
        message_id = sent.json()["id"]
        message_url = f"{url.group(1)}/v1/messages/{message_id}"
        deadline = time.monotonic() + 20
        status = ""
        while status != "delivered" and time.monotonic() < deadline:
            status = httpx.get(message_url, headers=headers).json()["status"]
            time.sleep(0.05)  # a separate process: polling its API is the only way to watch it
        assert status == "delivered"
    finally:
        _stop(server)
    # a second start finds the same demo account and the message, persisted
    server, banner = _start(["serve"], env, tmp_path)
    try:
        assert key.group(1) in banner
        url = re.search(r"HTTP API +(http://\S+)", banner)
        assert url, banner
        got = httpx.get(f"{url.group(1)}/v1/messages/{message_id}", headers=headers)
        assert got.json()["status"] == "delivered"
    finally:
        _stop(server)


def test_simulator_then_smpp_send(tmp_path: Path) -> None:
    simulator, banner = _start(
        ["simulator", "--port", "0", "--receipt-delay", "0.01"], {}, tmp_path
    )
    try:
        match = re.search(r"127\.0\.0\.1:(\d+)", banner)
        assert match, banner
        args = ["--port", match.group(1), "--to", "+819012345678"]
        sender = subprocess.run(
            [sys.executable, "-m", "smsgate", "smpp-send", *args, "--text", "日本語" * 30],
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert sender.returncode == 0, sender.stderr
        result = json.loads(sender.stdout)
        assert result["encoding"] == "ucs2" and result["segments"] == 2
        assert [r["stat"] for r in result["receipts"]] == ["DELIVRD", "DELIVRD"]
    finally:
        output = _stop(simulator)
    counters = json.loads(output.strip().splitlines()[-1])
    assert counters == {
        "submitted": 2,
        "throttled": 0,
        "receipts_sent": 2,
        "binds": 1,
        "duplicates": 0,
        "queue_full": 0,
        "receipts_dropped": 0,
    }


def test_account_create_prints_credentials_once(tmp_path: Path) -> None:
    env = {**os.environ, "SMSGATE_DB": str(tmp_path / "a.db")}
    command = [sys.executable, "-m", "smsgate", "account", "create", "--name", "acme"]
    created = subprocess.run(
        [*command, "--smpp-system-id", "acme", "--smpp-password", "pw-acme", "--json"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    account = json.loads(created.stdout)
    assert account["name"] == "acme" and account["api_key"].startswith("sg_")
    assert account["smpp_system_id"] == "acme"
    # another account with the same SMPP login
    again = subprocess.run(
        [
            *command[:-1],
            "acme-2",
            "--smpp-system-id",
            "acme",
            "--smpp-password",
            "pw-acme2",
            "--json",
        ],
        check=False,
        capture_output=True,
        text=True,
        env=env,
    )
    assert again.returncode == 2 and "SMPP system_id 'acme'" in again.stderr


def test_send_to_nothing_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    # port 9 (discard) is closed on loopback: a refused connection, reported in one line
    code = main(["smpp-send", "--port", "9", "--to", "+819012345678", "--text", "x"])
    assert code == 2
    assert "smsgate smpp-send:" in capsys.readouterr().err


def test_import_portability_all_or_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "SMSGATE_DB": str(tmp_path / "p.db")}
    good = tmp_path / "good.csv"
    good.write_text("number,carrier\n# moved in May\n+81 90-1000-0001,softbank\n09010000002,au\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("number,carrier\n+819010000003,docomo\nnot-a-number,au\n")
    command = [sys.executable, "-m", "smsgate", "carriers", "import-portability", "--country", "JP"]
    done = subprocess.run(
        [*command, str(good)], check=False, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0 and done.stdout.startswith("2 ported numbers"), done.stderr
    refused = subprocess.run(
        [*command, str(bad)], check=False, capture_output=True, text=True, env=env
    )
    assert refused.returncode == 2 and "line 3" in refused.stderr

    async def check() -> None:
        store = await open_store(env["SMSGATE_DB"])
        try:
            assert sorted(await store.list_portability()) == [
                ("819010000001", "softbank"),
                ("819010000002", "au"),
            ]
        finally:
            await store.close()

    asyncio.run(check())


def test_import_routes_and_prefixes_from_the_console_formats(tmp_path: Path) -> None:
    env = {**os.environ, "SMSGATE_DB": str(tmp_path / "r.db")}
    routes, prefixes, bad = tmp_path / "routes.csv", tmp_path / "prefixes.csv", tmp_path / "b.csv"
    routes.write_text("id,prefixes,connectors\njp,8190,a\nrest,,b\n")
    prefixes.write_text("prefix,carrier\n+81701234,testnet\n")
    bad.write_text("id,connectors\n,a\n")

    def smsgate(*words: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "smsgate", *words]
        return subprocess.run(command, check=False, capture_output=True, text=True, env=env)

    done = smsgate("routes", "import", str(routes))
    assert done.returncode == 0 and done.stdout.startswith("2 routes imported"), done.stderr
    done = smsgate("carriers", "import-prefixes", str(prefixes))
    assert done.returncode == 0 and done.stdout.startswith("1 carrier prefixes"), done.stderr
    refused = smsgate("routes", "import", str(bad))
    assert refused.returncode == 2 and "line 2: the route has no id" in refused.stderr

    async def check() -> None:
        store = await open_store(env["SMSGATE_DB"])
        try:
            assert [(r.id, r.position) for r in await store.list_routes()] == [
                ("jp", 0),
                ("rest", 1),
            ]
            assert ("81701234", "testnet") in [
                (row.prefix, row.carrier) for row in await store.list_carrier_prefixes()
            ]
        finally:
            await store.close()

    asyncio.run(check())
