"""Smoke tests of `smsgate bench codec`, `smsgate bench fuzz` and `smsgate bench console`: they
run in-process with tiny parameters and print what they promise. No timing is asserted."""

import json
from collections.abc import Callable
from typing import Any

import pytest

from smsgate.bench import codec as bench_codec
from smsgate.bench import console as bench_console
from smsgate.bench import fuzz as bench_fuzz
from smsgate.smpp import codec


def run_json(
    main: Callable[[list[str]], int], argv: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, Any]]:
    status = main(argv)
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert len(lines) == 1, "--json prints exactly one line: one JSON object"
    result = json.loads(lines[0])
    assert isinstance(result, dict)
    return status, result


def test_codec_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, result = run_json(bench_codec.main, ["--json", "--seconds", "0.2"], capsys)
    assert status == 0
    assert result["round_trips_per_s"] > 0
    assert result["encode_per_s"] > 0
    assert result["decode_per_s"] > 0
    assert result["seconds"] == 0.2
    assert result["rounds"] == 5
    assert result["python"]["version"].count(".") == 2
    assert result["python"]["executable"]
    reference = result["reference"]
    assert reference["name"] == "smpp.pdu3"
    target = result["target"]
    assert target["round_trips_per_s"] == 300_000
    assert target["reference_round_trips_per_s"] == 13_900
    assert target["ratio"] == pytest.approx(300_000 / 13_900, abs=0.01)
    assert "13,900" in target["note"]
    if reference["available"]:
        assert reference["round_trips_per_s"] > 0
        expected = result["round_trips_per_s"] / reference["round_trips_per_s"]
        assert result["ratio"] == pytest.approx(expected, rel=0.01)
        assert target["met"] is (result["ratio"] >= target["ratio"])
    else:
        assert result["ratio"] is None
        assert target["met"] is None
        assert reference["reason"]


def test_codec_without_the_reference(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing() -> None:
        raise ImportError("No module named 'smpp'")

    monkeypatch.setattr(bench_codec, "reference_workload", missing)
    status, result = run_json(bench_codec.main, ["--json", "--seconds", "0.05"], capsys)
    assert status == 0
    assert result["round_trips_per_s"] > 0
    assert result["reference"]["available"] is False
    assert result["reference"]["round_trips_per_s"] is None
    assert "not importable" in result["reference"]["reason"]
    assert result["ratio"] is None
    assert bench_codec.main(["--seconds", "0.05"]) == 0
    assert "ratio: not measured" in capsys.readouterr().out


def test_codec_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_codec.main(["--seconds", "0.05"]) == 0
    out = capsys.readouterr().out
    assert "round trips/s" in out
    assert "smpp.pdu3" in out
    assert "300,000" in out and "13,900" in out and "21.6" in out


@pytest.mark.parametrize("argv", [["--seconds", "0"], ["--rounds", "0"], ["--bogus"]])
def test_codec_rejects_bad_arguments(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        bench_codec.main(argv)


def test_fuzz_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, result = run_json(bench_fuzz.main, ["--json", "--count", "2000", "--seed", "7"], capsys)
    assert status == 0
    assert result["unexpected"] == 0
    assert result["unexpected_by_kind"] == {}
    assert result["unexpected_examples"] == []
    assert result["inputs"] == 2000
    assert result["seed"] == 7
    assert sum(result["inputs_by_source"].values()) == 2000
    assert all(result["inputs_by_source"][source] > 0 for source in bench_fuzz.SOURCES)
    assert result["decoded"] + result["decode_errors"] == 2000
    assert sum(result["errors_by_status"].values()) == result["decode_errors"]
    assert sum(result["read_header"].values()) == 2000
    # The mix reaches well past the header: body errors of several kinds, and successes.
    assert result["decoded"] > 0
    assert {"ESME_RINVCMDLEN", "ESME_RINVCMDID", "ESME_RINVOPTPARSTREAM"} <= set(
        result["errors_by_status"]
    )
    assert result["inputs_per_s"] > 0


def test_fuzz_is_deterministic_for_a_seed() -> None:
    def figures(seed: int) -> dict[str, Any]:
        tally, seconds = bench_fuzz.run(500, seed)
        result = bench_fuzz.report(tally, seconds, seed)
        return {k: v for k, v in result.items() if k not in ("seconds", "inputs_per_s")}

    assert figures(3) == figures(3)
    assert figures(3) != figures(4)


def test_fuzz_inputs_cover_every_command_id() -> None:
    inputs = bench_fuzz.Inputs(0)
    seen = set()
    for _ in range(3000):
        source, data = inputs.next()
        if source.startswith("header-"):
            seen.add(int.from_bytes(data[4:8], "big"))
    assert seen == set(bench_fuzz.COMMAND_IDS)


def test_fuzz_reports_unexpected_exceptions(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_decode = codec.decode

    def broken(data: bytes) -> object:
        if len(data) % 7 == 0:
            raise IndexError("planted")
        return real_decode(data)

    monkeypatch.setattr(codec, "decode", broken)
    assert bench_fuzz.main(["--count", "300"]) == 1
    out = capsys.readouterr().out
    assert "decode: unexpected exception" in out
    assert "IndexError: planted" in out
    assert out.count("--- decode: unexpected exception") == bench_fuzz.EXAMPLES_KEPT


def test_fuzz_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_fuzz.main(["--count", "300"]) == 0
    out = capsys.readouterr().out
    assert "300 inputs" in out
    assert "unexpected: 0" in out


def test_console_sqlite_json(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--backend", "sqlite", "--messages", "400", "--repeat", "1", "--refreshes", "3"]
    assert bench_console.main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["messages"] == 400 and report["skipped"] == {}
    assert list(report["results"]) == ["sqlite"]
    result = report["results"]["sqlite"]
    assert result["fill_s"] >= 0
    searches = result["search"]
    assert "newest 10000" in searches and "status canceled" in searches
    for name, page in searches.items():
        assert 0 < page["ttfb_ms"] <= page["full_ms"], name
    # 200 messages are the measured account's (two take turns), the newest 50 shown first
    assert searches["newest 50"]["rows"] == 50
    assert searches["newest 1000"]["rows"] == searches["newest 10000"]["rows"] == 200
    assert searches["status canceled"]["rows"] == searches["comment text"]["rows"] == 0
    assert 0 < searches["status failed"]["rows"] < 200
    board = result["dashboard"]
    assert board["refreshes"] == 3
    assert board["cpu_ms_per_refresh"] > 0 and board["wall_ms_per_refresh"] > 0


def test_console_refuses_a_bad_store_size() -> None:
    with pytest.raises(SystemExit):
        bench_console.main(["--messages", "0"])
