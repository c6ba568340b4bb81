"""The timing and retry policies, driven with explicit times (no clock, no sockets)."""

import random

import pytest

from smsgate.connectors.smpp import BindMode, ConnectorConfig, ErrorAction, RetryPolicy
from smsgate.connectors.smpp.pacing import Backoff, ThrottleGovernor
from smsgate.smpp.constants import CommandStatus

S = CommandStatus


def test_backoff_grows_to_its_cap_with_jitter_and_resets() -> None:
    backoff = Backoff(1.0, 30.0, random.Random(5))
    delays = [backoff.next_delay() for _ in range(12)]
    bases = [2.0, 4.0, 8.0, 16.0] + [30.0] * 8
    for delay, base in zip(delays, bases, strict=True):
        assert base / 2 <= delay <= base
    assert len(set(delays)) == len(delays)  # jittered, not in lockstep
    backoff.reset()
    assert 1.0 <= backoff.next_delay() <= 2.0
    # with minimum == maximum there is nothing to jitter
    assert Backoff(0.5, 0.5, random.Random(1)).next_delay() == 0.5


def test_backoff_uses_the_injected_random_source() -> None:
    first = [Backoff(0.5, 10.0, random.Random(9)).next_delay() for _ in range(2)]
    assert first[0] == first[1]
    a, b = Backoff(0.5, 10.0, random.Random(1)), Backoff(0.5, 10.0, random.Random(2))
    assert [a.next_delay() for _ in range(4)] != [b.next_delay() for _ in range(4)]


def test_throttle_pause_grows_per_episode_not_per_answer() -> None:
    governor = ThrottleGovernor(0.1, 1.0, window=100)
    governor.throttled(sent_at=9.9, now=10.0)
    assert governor.pause_left(10.0) == pytest.approx(0.1) and governor.limit == 50
    # the rest of the same burst (sent before the pause began) changes nothing
    for _ in range(20):
        governor.throttled(sent_at=9.95, now=10.01)
    assert governor.episodes == 1 and governor.delay == pytest.approx(0.1)
    assert governor.limit == 50
    # a part sent after the pause is throttled again: a new episode, twice as long
    governor.throttled(sent_at=10.2, now=10.25)
    assert governor.delay == pytest.approx(0.2) and governor.limit == 25
    for n in range(5):
        governor.throttled(sent_at=11.0 + n, now=11.0 + n)
    assert governor.delay == pytest.approx(1.0)  # capped
    assert governor.pause_left(20.0) == 0.0


def test_throttle_relaxes_with_successes_after_the_pause() -> None:
    governor = ThrottleGovernor(0.1, 1.0, window=8)
    governor.throttled(sent_at=0.0, now=0.0)
    governor.throttled(sent_at=0.5, now=0.5)
    assert governor.delay == pytest.approx(0.2) and governor.limit == 2
    governor.succeeded(sent_at=0.55)  # sent during the pause: proves nothing about the rate
    assert governor.delay == pytest.approx(0.2) and governor.limit == 3
    for _ in range(10):
        governor.succeeded(sent_at=1.0)
    assert governor.delay == 0.0 and governor.limit == 8
    governor.throttled(sent_at=2.0, now=2.0)
    assert governor.delay == pytest.approx(0.1)  # starts over from the minimum


def test_retry_table_defaults_and_overrides() -> None:
    policy = RetryPolicy()
    assert policy.action(S.ESME_RTHROTTLED) is ErrorAction.THROTTLE
    assert policy.action(S.ESME_RMSGQFUL) is ErrorAction.THROTTLE
    assert policy.action(S.ESME_RSYSERR) is ErrorAction.RETRY
    assert policy.action(S.ESME_RX_T_APPN) is ErrorAction.RETRY
    assert policy.action(S.ESME_RINVDSTADR) is ErrorAction.PERMANENT
    assert policy.action(0x400) is ErrorAction.PERMANENT  # vendor-specific
    custom = RetryPolicy(
        actions={S.ESME_RSYSERR: ErrorAction.PERMANENT, 0x400: ErrorAction.RETRY},
        default=ErrorAction.RETRY,
    )
    assert custom.action(S.ESME_RSYSERR) is ErrorAction.PERMANENT
    assert custom.action(0x400) is ErrorAction.RETRY
    assert custom.action(S.ESME_RTHROTTLED) is ErrorAction.THROTTLE  # defaults still apply
    assert custom.action(S.ESME_RINVDSTADR) is ErrorAction.RETRY


def test_config_checks_its_bounds() -> None:
    base = {"id": "c", "host": "h", "port": 1, "system_id": "s", "password": "p"}
    config = ConnectorConfig(**base)  # type: ignore[arg-type]
    assert (config.bind_mode, config.binds, config.window) == (BindMode.TRX, 1, 100)
    assert config.ssl_context() is None
    assert ConnectorConfig(**base, tls=True).ssl_context() is not None  # type: ignore[arg-type]
    for bad in ({"window": 0}, {"binds": 0}, {"reconnect_min": 5, "reconnect_max": 1}):
        with pytest.raises(ValueError):
            ConnectorConfig(**base, **bad)  # type: ignore[arg-type]
