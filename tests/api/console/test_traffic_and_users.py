"""The dashboard's traffic ring, the console users' rules and the lockout's back-off, and the
`smsgate user` commands on a real SQLite file."""

import json
from pathlib import Path

import pytest

from smsgate.api.console.traffic import MINUTES, TrafficSampler
from smsgate.cli import main
from smsgate.domain.console_user import (
    ConsoleUserError,
    Role,
    check_console_password,
    check_user,
    hash_console_password,
    lock_for,
)
from smsgate.domain.message import Message
from smsgate.domain.status import Status
from smsgate.engine.counters import Counters
from tests.store.factories import new_message


def test_traffic_counts_per_minute_and_fills_quiet_minutes() -> None:
    counters = Counters()
    now = [600.0]
    traffic = TrafficSampler(counters, lambda: now[0])
    counters.accepted, counters.submitted = 5, 3
    traffic.sample()
    message: Message = new_message()
    traffic.on_status(message, Status.DELIVERED)
    traffic.on_status(message, Status.CANCELED)  # not a delivery outcome
    now[0] = 725.0  # two minutes later
    counters.accepted = 7
    series = traffic.series()
    assert len(series) == MINUTES and series[-1].start == 720.0
    assert (series[-1].accepted, series[-3].accepted, series[-3].sent) == (2, 5, 3)
    assert series[-3].delivered == 1 and series[-3].failed == 0
    assert series[-2].accepted == 0  # a quiet minute is shown as such


def test_user_rules_and_lockout_back_off() -> None:
    assert check_user("ann", "customer", "acc") is Role.CUSTOMER
    for name, role, account in (
        ("bad name", "operator", None),
        ("ann", "boss", None),
        ("ann", "customer", None),
        ("ann", "operator", "acc"),
    ):
        with pytest.raises(ConsoleUserError):
            check_user(name, role, account)
    with pytest.raises(ConsoleUserError):
        hash_console_password("short")
    stored = hash_console_password("a long enough one")
    assert stored.startswith("$argon2id$")
    assert check_console_password("a long enough one", stored)
    assert not check_console_password("a long enough onE", stored)
    assert not check_console_password("x", "not a hash")
    assert [lock_for(n) for n in (4, 5, 6, 7)] == [0.0, 30.0, 60.0, 120.0]
    assert lock_for(40) == 3600.0


def test_user_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "u.db")
    assert main(["user", "create", "boss", "--role", "operator", "--db", db]) == 0
    drawn = json.loads(capsys.readouterr().out)
    assert drawn["role"] == "operator" and len(drawn["password"]) >= 10
    assert main(["user", "create", "cust", "--role", "customer", "--db", db]) == 2
    assert "belongs to one account" in capsys.readouterr().err
    assert main(["user", "create", "boss", "--role", "operator", "--db", db]) == 2
    assert "called 'boss'" in capsys.readouterr().err
    assert main(["user", "passwd", "boss", "--password", "another long one", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out) == {"name": "boss"}
    assert main(["user", "list", "--db", db]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == [
        {
            "name": "boss",
            "role": "operator",
            "account_id": None,
            "failures": 0,
            "locked_until": None,
        }
    ]
