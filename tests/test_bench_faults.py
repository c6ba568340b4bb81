"""The fault campaign's short version (`smsgate bench faults --short`): real nodes, the
simulated carrier and a callback receiver in processes of their own, one fault each; nothing
accepted lost, duplicates within a window per lost bind, every callback delivered. The
PostgreSQL scenarios need PostgreSQL (a private cluster from its binaries, else the test
server): without it they are skipped with the reason, except under CI=true."""

import json
import os

import pytest

from smsgate.bench.faults import main
from smsgate.bench.faults_postgres import postgres_problem

SQLITE = ["bind_drops", "throttle", "callback_outage", "sqlite_full", "sqlite_corrupt"]
POSTGRES = ["pg_restart", "partition", "node_kill"]


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (CI=true: a missing server is a failure)")
    pytest.skip(reason)


def _campaign(name: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    code = main(["--short", "--json", "--scenario", name])
    (result,) = json.loads(capsys.readouterr().out)["scenarios"]
    if result["skipped"] is not None:  # the restart needs a private cluster
        _missing(f"{name}: {result['skipped']}")
    assert result["lost"] == 0, (result["lost_ids"], result["notes"], result["node_errors"])
    assert result["duplicated"] <= result["duplicate_bound"], result
    assert result["callbacks_delivered"] == result["callbacks_expected"], result
    assert result["passed"] and code == 0
    return dict(result)


@pytest.mark.parametrize("name", SQLITE)
def test_short_fault_scenario_on_sqlite(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = _campaign(name, capsys)
    if name == "sqlite_corrupt":
        assert "damaged" in str(result["notes"])
    else:
        assert int(str(result["accepted"])) > 0
    if name == "sqlite_full":  # the file filled up: refused with the catalog's error
        refused = result["refused"]
        assert isinstance(refused, dict) and any(k.startswith("503 queue_full") for k in refused)


@pytest.mark.parametrize("name", POSTGRES)
def test_short_fault_scenario_on_postgres(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    problem = postgres_problem()
    if problem is not None:
        _missing(problem)
    result = _campaign(name, capsys)
    assert int(str(result["accepted"])) > 0
