"""`smsgate connectors`, `smsgate routes` and `smsgate queue` on real SQLite files; the
connectors' live state read from a running gateway's /metrics over HTTP, with and without the
metrics token, and the configuration alone when no gateway answers."""

import asyncio
import json
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smsgate.cli import main
from smsgate.domain.ids import new_id
from smsgate.domain.outbox import OutboxItem, OutboxState
from smsgate.domain.routing_tables import ConnectorRow, PortabilityRow, RouteRow
from smsgate.store import OutboxUpdate, open_store
from tests.api.harness import running_gateway


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


async def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def _routing_tables(db: str) -> None:
    store = await open_store(db)
    try:
        carrier = {"host": "smsc.example", "port": 2775, "system_id": "gw", "password": "hunter2"}
        await store.upsert_connector(ConnectorRow("docomo-1", "smpp", {**carrier, "binds": 2}))
        await store.upsert_connector(ConnectorRow("backup", "smpp", carrier, enabled=False))
        await store.replace_routes(
            [
                RouteRow("docomo", 0, {
                    "match": {"carriers": ["docomo"]},
                    "connectors": [{"id": "docomo-1", "price": "3.3", "currency": "JPY"}, "backup"],
                }),
                RouteRow("rest", 1, {"connectors": ["backup"]}),
            ]
        )  # fmt: skip
        await store.replace_carrier_prefixes(
            [("81901", "docomo"), ("81902", "kddi"), ("8170", "softbank")], "operator"
        )
        await store.import_portability(
            [
                PortabilityRow("819022223333", "docomo", 1.0),
                PortabilityRow("819011110000", "kddi", 1.0),
            ]
        )
    finally:
        await store.close()


def test_connectors_without_a_gateway_show_the_configuration_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "conf.db")
    asyncio.run(_routing_tables(db))
    config = tmp_path / "smsgate.toml"
    config.write_text(
        '[[connectors]]\nid = "kddi-1"\nhost = "kddi.example"\nport = 2776\n'
        'system_id = "gw2"\npassword = "pa55word"\n'
    )
    url = f"http://127.0.0.1:{closed_port()}"
    argv = ["connectors", "--db", db, "--config", str(config), "--url", url]
    code, out, _ = run(capsys, *argv, "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["gateway"]["running"] is False
    assert f"no gateway is running at {url}" in shown["gateway"]["reason"]
    rows = {row["id"]: row for row in shown["connectors"]}
    assert list(rows) == ["backup", "docomo-1", "kddi-1"]
    assert rows["docomo-1"]["address"] == "smsc.example:2775" and rows["docomo-1"]["binds"] == 2
    assert rows["backup"]["enabled"] is False and rows["backup"]["state"] == "not running"
    assert rows["kddi-1"]["source"].startswith("configuration file")
    assert "hunter2" not in out and "pa55word" not in out

    code, out, _ = run(capsys, *argv, "docomo-1")
    assert code == 0 and "docomo-1" in out and "backup" not in out.splitlines()[1]
    assert "not running or not readable" in out and "configuration only" in out
    code, _, err = run(capsys, *argv, "--timeout", "0")
    assert code == 2 and "--timeout" in err


def test_connectors_show_live_state_of_a_running_gateway(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "live.db")

    async def body() -> None:
        async with running_gateway(db, metrics_allow="", metrics_token="m3trics") as gw:
            sent = [(await gw.send()).json()["id"] for _ in range(3)]
            await gw.wait_final(sent)
            url = str(gw.client.base_url)
            argv = ["connectors", "--db", db, "--url", url, "--json"]
            code, out, _ = await cli(capsys, *argv)  # /metrics is closed to this address
            refused = json.loads(out)["gateway"]
            assert code == 0 and refused["running"] is False
            assert "refused (HTTP 401)" in refused["reason"]
            assert json.loads(out)["connectors"][0]["state"] == "not running"

            code, out, _ = await cli(capsys, *argv, "--token", "m3trics")
            shown = json.loads(out)
            assert shown["gateway"] == {"url": url, "running": True, "waiting_for_a_connector": 0}
            (simulator,) = shown["connectors"]
            assert simulator["id"] == "simulator" and simulator["state"] == "up"
            assert simulator["binds_up"] == 1 and simulator["window_in_use"] == 0
            assert (simulator["submitted"], simulator["failed"], simulator["queued"]) == (3, 0, 0)

            code, out, _ = await cli(capsys, *argv[:-1], "--token", "m3trics")
            assert code == 0 and f"gateway at {url}: running" in out
            header, line = out.splitlines()[:2]
            assert header.split()[-6:] == [
                "state", "binds_up", "window_in_use", "queued", "submitted", "failed",
            ]  # fmt: skip
            assert line.split()[-6:] == ["up", "1", "0", "0", "3", "0"]

    asyncio.run(body())


def test_routes_show_the_table_where_a_number_goes_and_the_carrier_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "routes.db")
    asyncio.run(_routing_tables(db))
    code, out, _ = run(capsys, "routes", "--db", db, "--json")
    assert code == 0
    assert json.loads(out)["routes"] == [
        {"position": 0, "id": "docomo", "match": "carriers docomo", "mode": "failover",
         "connectors": "docomo-1 (3.3 JPY), backup"},
        {"position": 1, "id": "rest", "match": "any", "mode": "failover", "connectors": "backup"},
    ]  # fmt: skip
    code, out, _ = run(capsys, "routes", "--db", db, "--connector", "docomo-1", "--json")
    assert [r["id"] for r in json.loads(out)["routes"]] == ["docomo"]

    # a kddi prefix ported to docomo: the portability table decides
    code, out, _ = run(capsys, "routes", "--db", db, "--to", "+819022223333", "--json")
    assert json.loads(out)["destination"] == {
        "number": "+819022223333", "country": "JP", "carrier": "docomo",
        "carrier_from": "portability", "route": "docomo", "mode": "failover",
        "connectors": "docomo-1 (3.3 JPY), backup",
    }  # fmt: skip
    code, out, _ = run(capsys, "routes", "--db", db, "--to", "+819022224444")
    assert code == 0 and "carrier: kddi" in out and "carrier_from: prefix" in out
    assert "route: rest" in out
    code, _, err = run(capsys, "routes", "--db", db, "--to", "not a number")
    assert code == 2 and err.splitlines()[-1].startswith("smsgate routes: --to not a number: ")
    code, _, err = run(capsys, "routes", "--db", db, "--account", "x")
    assert code == 2 and "--account and --from go with --to" in err

    code, out, _ = run(capsys, "routes", "prefixes", "--db", db, "--json")
    assert [row["prefix"] for row in json.loads(out)] == ["8170", "81901", "81902"]
    code, out, _ = run(capsys, "routes", "prefixes", "--db", db, "--carrier", "KDDI", "--json")
    assert json.loads(out) == [{"prefix": "81902", "carrier": "kddi", "source": "operator"}]
    code, out, _ = run(capsys, "routes", "prefixes", "--db", db, "--prefix", "+8190123")
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["81901"]

    code, out, _ = run(capsys, "routes", "ported", "--db", db, "--json")
    assert json.loads(out) == {
        "ported": [
            {"number": "+819011110000", "carrier": "kddi"},
            {"number": "+819022223333", "carrier": "docomo"},
        ],
        "total": 2,
    }
    code, out, _ = run(capsys, "routes", "ported", "--db", db, "--prefix", "81902")
    assert "+819022223333" in out and "+819011110000" not in out and "1 of 1" in out
    code, out, _ = run(capsys, "routes", "ported", "--db", db, "--carrier", "kddi", "--limit", "1")
    assert "1 of 1 ported numbers" in out
    code, _, err = run(capsys, "routes", "ported", "--db", db, "--limit", "0")
    assert code == 2 and "limit must be between 1 and 1000" in err
    with pytest.raises(SystemExit):
        main(["routes", "ported", "--db", db, "--prefix", "81x"])
    assert "not a number prefix" in capsys.readouterr().err


def test_queue_counts_what_waits_by_account_and_status_and_the_outbox_by_channel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "queue.db")

    async def body() -> None:
        async with running_gateway(db) as gw:
            later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
            soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
            for account, at in (("a", later), ("a", soon), ("b", later)):
                answer = await gw.send(account, scheduled_at=at)
                assert answer.json()["status"] == "scheduled"
            delivered = (await gw.send("a")).json()["id"]
            await gw.wait_final([delivered])
            assert gw.app.store is not None
            accounts = {a.name: a.id for a in await gw.app.store.list_accounts()}
            items = [_item(channel, accounts["a"]) for channel in ("http", "http", "smpp")]
            # owed to an account whose receiver never answers: not claimed during the test
            await gw.app.store.write([*items, _item("http", accounts["b"])])
            await gw.app.store.write(
                [OutboxUpdate(items[0].id, OutboxState.ABANDONED, 2.0, 8, None, "HTTP 503")]
            )

            code, out, _ = await cli(capsys, "queue", "--db", db, "--json")
            assert code == 0
            shown = json.loads(out)
            assert shown["totals"] == {"scheduled": 3}
            waiting = {(m["account"], m["status"]): m for m in shown["messages"]}
            assert set(waiting) == {("a", "scheduled"), ("b", "scheduled")}
            assert waiting["a", "scheduled"]["count"] == 2
            assert waiting["a", "scheduled"]["next_due"] == soon[:19] + "+00:00"
            owed = {(o["channel"], o["state"]): o["count"] for o in shown["outbox"]}
            assert owed == {("http", "pending"): 2, ("http", "dead"): 1, ("smpp", "pending"): 1}

            code, out, _ = await cli(capsys, "queue", "--db", db, "--account", "b", "--json")
            shown = json.loads(out)
            assert [(m["account"], m["count"]) for m in shown["messages"]] == [("b", 1)]
            assert [(o["channel"], o["count"]) for o in shown["outbox"]] == [("http", 1)]

            code, out, _ = await cli(capsys, "queue", "--db", db, "--account", "a")
            assert code == 0 and "messages not final yet" in out and "total: scheduled 2" in out
            assert "outbox (owed to customers)" in out and "dead" in out

    asyncio.run(body())


def _item(channel: str, account_id: str) -> OutboxItem:
    due = time.time() + 3600
    return OutboxItem(
        id=new_id(), channel=channel, account_id=account_id, subject_id=new_id(),
        event="delivered", payload={}, created_at=time.time(), next_attempt_at=due,
        url="https://client.example/cb" if channel == "http" else None,
    )  # fmt: skip
