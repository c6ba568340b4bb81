"""kill -9 in the middle of a stream of messages loses none that got a 202 (bounded run; the
20,000-message figure comes from `smsgate bench crash`)."""

import json

import pytest

from smsgate.bench.crash import main


@pytest.mark.parametrize("durability", ["disk", "process"])
def test_sigkill_mid_stream_loses_nothing(
    capsys: pytest.CaptureFixture[str], durability: str
) -> None:
    """Either durability survives a kill of the gateway's process: "process" leaves the last
    commits to the operating system, which a kill does not take down."""
    code = main(["--messages", "2000", "--json", "--timeout", "120", "--durability", durability])
    result = json.loads(capsys.readouterr().out)
    assert result["acked"] >= 1900  # requests cut by the kill got no 202 and promised nothing
    assert 0 < result["acked_before_kill"] < result["acked"]
    assert result["lost"] == 0, result["lost_ids"]
    assert set(result["final_by_status"]) == {"delivered"}
    assert result["duplicates"] <= result["window"]
    assert code == 0
