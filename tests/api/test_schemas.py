from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from smsgate.api.http.schemas import iso_time


@given(st.floats(min_value=0, max_value=4e9, allow_nan=False))
def test_iso_matches_datetime(seconds: float) -> None:
    expected = datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")
    assert iso_time(seconds) == expected.replace("+00:00", "Z")


def test_iso_rounds_up_into_the_next_second() -> None:
    assert iso_time(1_700_000_000.9999996) == "2023-11-14T22:13:21.000Z"
    assert iso_time(None) is None
