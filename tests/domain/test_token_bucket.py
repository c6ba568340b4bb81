import pytest

from smsgate.domain.token_bucket import TokenBucket


def test_a_second_worth_then_the_rate() -> None:
    bucket = TokenBucket(5.0, now=0.0)
    assert [bucket.take(0.0) for _ in range(6)] == [True] * 5 + [False]
    assert not bucket.take(0.1)  # half a token came back
    assert bucket.take(0.2)
    assert bucket.take(100.0) and bucket.tokens == 4.0  # never more than the burst


def test_take_up_to_takes_whole_tokens() -> None:
    bucket = TokenBucket(5.0, now=0.0)
    assert bucket.take_up_to(0.0, 12) == 5
    assert bucket.take_up_to(0.3, 12) == 1  # 1.5 tokens: one whole


def test_a_small_burst_spreads_the_rate() -> None:
    bucket = TokenBucket(100.0, now=0.0, burst=10.0)
    for _ in range(10):
        assert bucket.wait_time(0.0) == 0.0
        bucket.spend()
    assert bucket.wait_time(0.0) == pytest.approx(0.01)
    assert bucket.wait_time(0.01) == 0.0


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(0.0, now=0.0)
