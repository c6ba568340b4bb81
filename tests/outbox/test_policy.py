"""The one retry policy: back-off bounds, the jitter's range, the last attempt and the age."""

import random

import pytest

from smsgate.outbox import RetryPolicy

NOW = 1_800_000_000.0


def test_delays_grow_by_the_factor_up_to_the_cap() -> None:
    policy = RetryPolicy(first_delay=2.0, factor=4.0, max_delay=3600.0, jitter=0.0)
    rng = random.Random(1)
    delays = [policy.delay(failed, rng) for failed in range(1, 10)]
    assert delays == [2.0, 8.0, 32.0, 128.0, 512.0, 2048.0, 3600.0, 3600.0, 3600.0]
    assert policy.delay(10_000, rng) == 3600.0  # a long series stays at the cap


def test_jitter_draws_within_its_range_on_both_sides() -> None:
    policy = RetryPolicy(first_delay=10.0, factor=2.0, max_delay=100.0, jitter=0.2)
    rng = random.Random(7)
    draws = [policy.delay(1, rng) for _ in range(2000)]
    assert all(8.0 <= d <= 12.0 for d in draws)
    assert min(draws) < 8.2 and max(draws) > 11.8  # the whole range is used
    capped = [policy.delay(20, rng) for _ in range(2000)]
    assert all(80.0 <= d <= 120.0 for d in capped)  # the cap is jittered too


def test_the_last_attempt_gives_up() -> None:
    policy = RetryPolicy(first_delay=5.0, factor=2.0, max_delay=600.0, jitter=0.0, max_attempts=3)
    rng = random.Random(0)
    assert policy.next_attempt(NOW, 1, NOW, rng) == NOW + 5.0
    assert policy.next_attempt(NOW, 2, NOW + 5, rng) == NOW + 5 + 10.0
    assert policy.next_attempt(NOW, 3, NOW + 15, rng) is None
    # an item's own limit (a callback format's) replaces the policy's, fewer or more
    assert policy.next_attempt(NOW, 1, NOW, rng, max_attempts=1) is None
    assert policy.next_attempt(NOW, 3, NOW, rng, max_attempts=4) == NOW + 20.0


def test_an_item_past_its_max_age_is_given_up_on_its_next_failure() -> None:
    policy = RetryPolicy(first_delay=1.0, factor=2.0, max_delay=60.0, jitter=0.0,
                         max_attempts=1000, max_age=3600.0)  # fmt: skip
    rng = random.Random(0)
    assert policy.next_attempt(NOW, 1, NOW + 3599, rng) == NOW + 3600
    assert policy.next_attempt(NOW, 1, NOW + 3600, rng) is None  # waiting counted too
    ageless = RetryPolicy(max_attempts=1000, max_age=None)
    assert ageless.next_attempt(NOW, 5, NOW + 10**8, rng) is not None


@pytest.mark.parametrize(
    "settings",
    [
        {"first_delay": -1.0},
        {"first_delay": 10.0, "max_delay": 5.0},
        {"factor": 0.5},
        {"jitter": 1.0},
        {"max_attempts": 0},
        {"max_age": 0.0},
    ],
)
def test_settings_that_make_no_schedule_are_refused(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**settings)  # type: ignore[arg-type]
