"""Short runs of the whole-system benchmarks: every message makes it through, and the figures
they print are there (the rates themselves are what `smsgate bench` is for, not a test)."""

import json
from pathlib import Path

import pytest

from smsgate.bench import e2e, rcs, smpp
from smsgate.bench.processes import gateway_config
from smsgate.config import load_config
from tests.store.backends import PG_URL, require_postgres


def test_e2e_run_delivers_every_message(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--messages", "400", "--batch", "50", "--connections", "2", "--backend", "sqlite"]
    assert e2e.main([*args, "--json", "--timeout", "60"]) == 0
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    assert run["accepted"] == run["receipts_applied"] == 400
    assert run["gateway_cpu_s_per_10k"] > 0
    assert run["machine_pace"] > 0
    expected = run["end_to_end_per_s"] / run["machine_pace"]
    assert run["end_to_end_per_s_at_reference_pace"] == pytest.approx(expected, rel=0.01)


def test_smpp_run_gets_every_receipt_back(capsys: pytest.CaptureFixture[str]) -> None:
    assert smpp.main(["--messages", "400", "--binds", "2", "--json", "--timeout", "60"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["accepted"] == result["receipts_delivered"] == 400
    assert result["refused_by_status"] == {}
    p50, p99 = result["submit_ms_p50_p99"]
    assert 0 < p50 <= p99
    assert result["accepted_per_s_at_reference_pace"] > 0


def test_smpp_run_with_fewer_messages_than_binds(capsys: pytest.CaptureFixture[str]) -> None:
    assert smpp.main(["--messages", "1", "--binds", "3", "--json", "--timeout", "60"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["accepted"] == result["receipts_delivered"] == 1


def test_smpp_rounds_beside_the_bare_server(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--messages", "300", "--binds", "1", "--rounds", "2", "--reference"]
    assert smpp.main([*args, "--json", "--timeout", "60"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [r["round"] for r in result["rounds"]] == [0, 1]
    assert [r["round"] for r in result["reference_rounds"]] == [0, 1]
    # each round numbers its messages afresh: none is refused as the same text to the same number
    assert all(r["accepted"] == r["receipts_delivered"] == 300 for r in result["rounds"])
    assert result["carrier_submitted"] == 600 and result["carrier_duplicates"] == 0
    assert all(r["accepted"] == 300 for r in result["reference_rounds"])
    assert result["target_per_s"] == 25_000
    expected = result["accepted_per_s"] / result["reference_accepted_per_s"]
    assert result["ratio_to_reference"] == pytest.approx(expected, abs=0.001)


def test_a_bench_configuration_sets_what_it_is_given_and_keeps_the_rest(tmp_path: Path) -> None:
    common = {"db": "x.db", "http_port": 0, "queue": 10, "carrier_port": 1, "connector": ""}
    given = load_config(
        gateway_config(tmp_path / "a.toml", **common, smpp_window=50, durability="process"),
        env={},
    )
    assert (given.smpp_window, given.durability) == (50, "process")
    default = load_config(gateway_config(tmp_path / "b.toml", **common), env={})
    assert (default.smpp_window, default.durability) == (2000, "disk")


def test_rcs_run_delivers_both_kinds_and_falls_back(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--messages", "20", "--rounds", "1", "--connections", "2", "--fallbacks", "3"]
    assert rcs.main([*args, "--ttl", "1", "--json", "--timeout", "30"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [r["kind"] for r in result["rounds"]] == ["sms", "rcs"]
    for run in result["rounds"]:
        assert run["accepted"] == run["delivered"] == 20
        assert run["per_s"] > 0
        assert 0 <= run["gateway_cpu_s_per_10k"] <= run["gateway_cpu_s_per_10k_settled"]
    fallback = result["fallback_ms"]
    assert fallback["messages"] == fallback["sent_by_sms"] == fallback["delivered"] == 3
    # the SMS goes after the RCS time ends, within the channel timeout job's interval
    assert 0 <= fallback["p50"] <= fallback["p95"] <= fallback["max"] < 30_000
    assert result["sms_per_s"] > 0 and result["rcs_per_s"] > 0
    assert result["ratio"] == pytest.approx(result["rcs_per_s"] / result["sms_per_s"], abs=0.001)


def test_two_nodes_on_one_postgres_deliver_every_message_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    require_postgres()
    args = ["--messages", "300", "--connections", "4", "--backend", "postgres", "--nodes", "2"]
    assert e2e.main([*args, "--pg", PG_URL, "--json", "--timeout", "60"]) == 0
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    assert run["nodes"] == 2
    assert run["accepted"] == run["receipts_applied"] == run["carrier_submitted"] == 300
    assert run["carrier_duplicates"] == 0
    assert len(run["node_cpu_s_per_10k"]) == 2
    assert all(cpu > 0 for cpu in run["node_cpu_s_per_10k"])
    assert run["database_cpu_s_per_10k"] > 0
