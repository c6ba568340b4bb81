"""`smsgate bench email` runs a small round end to end and reports what it measured."""

import json

import pytest

from smsgate.bench.email import main


def test_a_small_run_delivers_every_email(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--messages", "40", "--rounds", "1", "--connections", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (measured,) = report["rounds"]
    assert (measured["delivered"], measured["refused"]) == (40, 0)
    assert report["best_per_s"]["2"] == measured["per_s"] > 0


def test_bad_options_are_refused() -> None:
    assert main(["--messages", "0"]) == 2
