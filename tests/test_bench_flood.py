"""A short run of `smsgate bench flood`: both phases measured, the flood bounded by its cap, and
the gateway still answering /healthz while flooded."""

import json

import pytest

from smsgate.bench import flood


def test_flood_run_reports_both_phases_and_stays_within_its_cap(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert flood.main(["--seconds", "0.5", "--megabytes", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["flood_bytes"] <= 2 * 1024 * 1024 + len(flood._CHUNK)
    assert report["flood_connections"] >= 1
    assert report["healthz_baseline_ms"]["requests"] > 0
    assert report["healthz_flooded_ms"]["requests"] > 0
    assert report["ratio_p50"] is not None
