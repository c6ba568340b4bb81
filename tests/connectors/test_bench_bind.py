"""`smsgate bench bind` runs end to end (briefly) and reports consistent figures."""

import json

import pytest

from smsgate.bench import bind


@pytest.mark.parametrize("where", [[], ["--in-process"]])
def test_bench_reports_each_window(where: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--latency", "0.02", "--window", "20", "--duration", "0.4", "--warmup", "0.1"]
    assert bind.main([*argv, *where, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["simulator"] == ("in-process" if where else "child-process")
    main, single = report["runs"]
    assert (main["window"], single["window"]) == (20, 1)
    assert main["ceiling_per_second"] == 1000.0 and single["ceiling_per_second"] == 50.0
    for run in (main, single):
        assert run["submitted"] > 0 and run["failed"] == 0
        assert run["percent"] == pytest.approx(
            100 * run["per_second"] / run["ceiling_per_second"], abs=0.2
        )
    # the window overlaps the waits: far more than one at a time, however slow the machine
    assert main["per_second"] > 4 * single["per_second"]


def test_bench_table_and_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--latency", "0.02", "--window", "10", "--compare-window", "0", "--duration", "0.2"]
    assert bind.main([*argv, "--warmup", "0", "--in-process"]) == 0
    out = capsys.readouterr().out
    assert "window" in out and "of ceiling" in out and "Kannel" in out
    assert bind.main(["--latency", "0"]) == 2
