"""`smsgate bench kannel` end to end in tiny rounds: Kannel and smsgate as real processes
against simulated carriers, every workload, and a report whose gateways delivered what they
accepted, with smsgate on SQLite (every workload) and on PostgreSQL (MT). A smoke test of the
harness: no timing is asserted.

Where Kannel is missing the test is skipped with that reason, except under CI=true, where that
is a failure (as tests/interop/test_kannel_server.py).
"""

import argparse
import asyncio
import os
from pathlib import Path

import asyncpg
import pytest

from smsgate.bench import kannel
from smsgate.bench.kannel import GATEWAYS, WORKLOADS, Round, _table, run, summary
from smsgate.bench.kannel_boxes import BEARERBOX, MISSING, SMSBOX, KannelPorts, kannel_config
from smsgate.bench.processes import DatabaseCpu
from tests.store.backends import PG_URL, require_postgres

MESSAGES, ROUNDS = 40, 2
ROWS = {"mt": ("mt-keepalive", "mt-close"), "mo": ("mo",), "bind50": ("bind50",)}

kannel_missing = pytest.mark.skipif(
    (BEARERBOX is None or SMSBOX is None) and os.environ.get("CI") != "true", reason=MISSING
)


@kannel_missing
@pytest.mark.interop
@pytest.mark.timeout(90)
@pytest.mark.parametrize(
    ("backend", "workloads"),
    [("sqlite", list(WORKLOADS)), ("postgres", ["mt"])],
    ids=["sqlite", "postgres"],
)
def test_every_workload_runs_on_both_gateways_and_each_delivers_what_it_accepted(
    backend: str, workloads: list[str]
) -> None:
    if BEARERBOX is None or SMSBOX is None:
        pytest.fail(MISSING, pytrace=False)  # under CI=true
    if backend == "postgres":
        require_postgres()
    args = argparse.Namespace(
        workloads=workloads,
        messages=MESSAGES,
        rounds=ROUNDS,
        connections=4,
        latency=0.05,
        timeout=30.0,
        durability="disk",
        backend=backend,
        pg=PG_URL,
    )
    report = run(args)
    rows = [row for workload in workloads for row in ROWS[workload]]

    assert [row["workload"] for row in report["summary"]] == rows
    for row in report["summary"]:
        for gateway in GATEWAYS:
            figures = row[gateway]
            assert 0 < figures["median_per_s"] <= figures["best_per_s"]
            assert figures["cpu_s_per_10k"] >= 0  # a round this short may take no clock tick
        assert row["ratio"] > 0 and row["end_to_end_ratio"] > 0
    for gateway in GATEWAYS:
        assert sum(row[gateway]["cpu_s_per_10k"] for row in report["summary"]) > 0
    # the rounds alternate: every round of every workload has one of each gateway
    rounds = report["round_results"]
    assert len(rounds) == len(rows) * ROUNDS * len(GATEWAYS)
    for row in rows:
        for number in range(ROUNDS):
            mine = [r for r in rounds if r["workload"] == row and r["round"] == number]
            assert sorted(r["gateway"] for r in mine) == sorted(GATEWAYS)
            assert all(r["accepted"] == MESSAGES for r in mine)
    # what each accepted reached the carrier (MT) or the customer's receiver (MO)
    expected = {"mt": 2 * ROUNDS * MESSAGES, "mo": ROUNDS * MESSAGES, "bind50": ROUNDS * MESSAGES}
    for workload in workloads:
        for gateway in GATEWAYS:
            assert report["totals"][f"{gateway} {workload}"] == {
                "accepted": expected[workload],
                "delivered": expected[workload],
            }
    assert report["backend"] == backend
    store = {"sqlite": "synchronous=FULL", "postgres": "synchronous_commit on"}[backend]
    assert store in report["durability"]["smsgate"]
    assert "fsync" in report["durability"]["kannel"]
    # the machine's pace before and after, printed with the table (None without smpp.pdu3)
    assert all(p is None or p > 0 for p in report["machine_pace"].values())
    assert "pace " in _table(report).splitlines()[-2]


def test_the_summary_compares_the_medians() -> None:
    def made(gateway: str, per_s: float, cpu: float) -> Round:
        # Kannel passes on at half its rate of acceptance, smsgate at its own
        end_to_end = per_s / 2 if gateway == "kannel" else per_s
        return Round("mo", gateway, 0, 100, per_s, per_s, end_to_end, cpu)

    rows = summary(
        [
            made("kannel", 1000.0, 2.0),
            made("kannel", 3000.0, 4.0),
            made("kannel", 2000.0, 3.0),
            made("smsgate", 500.0, 6.0),
            made("smsgate", 1000.0, 6.0),
            made("smsgate", 1500.0, 9.0),
        ]
    )
    assert rows == [
        {
            "workload": "mo",
            "kannel": {
                "best_per_s": 3000.0,
                "median_per_s": 2000.0,
                "median_accepted_per_s": 2000.0,
                "median_end_to_end_per_s": 1000.0,
                "cpu_s_per_10k": 3.0,
                "listen_drops": 0,
            },
            "smsgate": {
                "best_per_s": 1500.0,
                "median_per_s": 1000.0,
                "median_accepted_per_s": 1000.0,
                "median_end_to_end_per_s": 1000.0,
                "cpu_s_per_10k": 6.0,
                "listen_drops": 0,
            },
            "ratio": 0.5,
            "end_to_end_ratio": 1.0,
            "cpu_ratio": 2.0,
        }
    ]


def test_the_kannel_configuration_binds_once_with_the_window_and_a_file_store(
    tmp_path: Path,
) -> None:
    ports = KannelPorts(13001, 13002, 13003)
    text = kannel_config(
        tmp_path, ports, carrier_port=2775, carrier_password="pw", window=100, mo_url=None
    ).read_text()
    assert "max-pending-submits = 100" in text
    assert "store-type = file" in text
    assert "sms-service" not in text  # no MO service unless asked
    with_mo = kannel_config(
        tmp_path, ports, carrier_port=2775, carrier_password="pw", window=7, mo_url="http://h/mo"
    ).read_text()
    assert 'get-url = "http://h/mo?' in with_mo
    assert "max-messages = 0" in with_mo  # no reply SMS to the handset


def test_the_database_cpu_never_goes_back_when_a_backend_exits() -> None:
    """The PostgreSQL server's CPU in a round: a backend that exits meanwhile (a pool closing a
    connection) took its CPU out of a sum over the living, and a short round came out negative."""
    require_postgres()
    cpu = DatabaseCpu()

    async def readings() -> list[float]:
        seen = [cpu()]
        conn = await asyncpg.connect(PG_URL)
        backend = Path(f"/proc/{conn.get_server_pid()}")
        await conn.fetchval("SELECT count(*) FROM generate_series(1, 500000)")
        seen.append(cpu())  # the backend seen with its work
        await conn.close()
        for _ in range(200):  # until the server has reaped it
            if not backend.exists():
                break
            await asyncio.sleep(0.01)
        seen.append(cpu())
        return seen

    before, during, after = asyncio.run(readings())
    assert before < during <= after


def test_the_end_of_a_count_is_seen_within_milliseconds_with_few_asks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`_until` on a virtual clock: a count rising 2,000 a second reaches 520 at 0.26 s, which
    an ask every 50 ms would see 40 ms late; each ask takes a millisecond."""
    clock = [0.0]
    asks = [0]

    async def sleep(seconds: float) -> None:
        clock[0] += seconds

    async def done() -> int:
        asks[0] += 1
        clock[0] += 0.001
        return min(520, int(clock[0] * 2_000))

    monkeypatch.setattr(kannel.asyncio, "sleep", sleep)
    monkeypatch.setattr(kannel.time, "perf_counter", lambda: clock[0])
    at = asyncio.run(kannel._until(done, 520, 10.0))
    assert 0.26 <= at < 0.265
    assert asks[0] <= 12  # six at 50 ms, then a few closer ones
