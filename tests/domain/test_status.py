import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain.status import (
    FINAL,
    RECEIPT_STATUS,
    Status,
    can_transition,
    message_status,
    next_message_status,
)
from smsgate.smpp.constants import MessageState


def test_statuses_only_move_forward() -> None:
    assert can_transition(Status.ACCEPTED, Status.QUEUED)
    assert can_transition(Status.SENDING, Status.QUEUED)  # requeue after a lost link
    assert can_transition(Status.SENT, Status.DELIVERED)
    assert not can_transition(Status.DELIVERED, Status.SENT)  # a late ENROUTE
    assert not can_transition(Status.SENT, Status.QUEUED)
    # a final status is final, but for a delivered message being read (a rich channel's report)
    for final in FINAL:
        onward = {other for other in Status if can_transition(final, other)}
        assert onward == ({Status.DISPLAYED} if final is Status.DELIVERED else set())
    assert next_message_status(Status.DELIVERED, [Status.DISPLAYED]) is Status.DISPLAYED
    assert next_message_status(Status.DISPLAYED, [Status.DELIVERED]) is None
    assert next_message_status(Status.REVOKED, [Status.DISPLAYED]) is None


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([Status.DELIVERED], Status.DELIVERED),
        ([Status.DELIVERED, Status.DELIVERED], Status.DELIVERED),
        ([Status.DELIVERED, Status.SENT], Status.SENT),
        ([Status.SENT, Status.QUEUED], Status.QUEUED),
        ([Status.DELIVERED, Status.UNDELIVERED], Status.UNDELIVERED),
        ([Status.EXPIRED, Status.FAILED, Status.DELIVERED], Status.FAILED),
        ([Status.DELIVERED, Status.EXPIRED], Status.EXPIRED),
    ],
)
def test_message_status_from_parts(parts: list[Status], expected: Status) -> None:
    assert message_status(parts) is expected


def test_message_status_needs_parts() -> None:
    with pytest.raises(ValueError, match="at least one part"):
        message_status([])


def test_every_message_state_has_a_status() -> None:
    assert set(RECEIPT_STATUS) == set(MessageState)
    assert RECEIPT_STATUS[MessageState.DELIVERED] is Status.DELIVERED
    assert RECEIPT_STATUS[MessageState.ENROUTE] is Status.SENT


def test_first_part_sent_while_the_next_is_in_flight_leaves_the_message_queued() -> None:
    # the message is "sending" in memory (stored as queued): part 1's answer changes nothing
    assert next_message_status(Status.SENDING, [Status.SENT, Status.SENDING]) is None
    assert next_message_status(Status.SENDING, [Status.SENT, Status.QUEUED]) is None
    assert next_message_status(Status.SENDING, [Status.SENT, Status.SENT]) is Status.SENT
    assert next_message_status(Status.SENT, [Status.DELIVERED, Status.SENT]) is None
    assert next_message_status(Status.SENT, [Status.DELIVERED] * 2) is Status.DELIVERED
    assert next_message_status(Status.DELIVERED, [Status.DELIVERED] * 2) is None


@st.composite
def part_histories(draw: st.DrawFn) -> tuple[int, list[tuple[int, Status]]]:
    """A message's parts and a run of part status changes, each one a part may make."""
    count = draw(st.integers(1, 4))
    parts = [Status.QUEUED] * count
    steps: list[tuple[int, Status]] = []
    for _ in range(draw(st.integers(0, 30))):
        index = draw(st.integers(0, count - 1))
        allowed = sorted(s for s in Status if can_transition(parts[index], s))
        if not allowed:
            continue
        parts[index] = draw(st.sampled_from(allowed))
        steps.append((index, parts[index]))
    return count, steps


@given(part_histories())
def test_a_message_status_never_goes_backwards_nor_repeats(
    history: tuple[int, list[tuple[int, Status]]],
) -> None:
    count, steps = history
    parts = [Status.QUEUED] * count
    current = Status.QUEUED
    announced = [current]
    for index, status in steps:
        parts[index] = status
        if status is Status.SENDING and current is Status.QUEUED:
            current = Status.SENDING  # as the dispatcher marks it in memory
            continue
        new = next_message_status(current, parts)
        if new is not None:
            announced.append(new)
            current = new
    stages = [ORDER.index(s if s in ORDER else "final") for s in announced]
    assert stages == sorted(set(stages)), announced
    assert Status.SENDING not in announced
    if all(p in FINAL for p in parts):
        assert announced[-1] is message_status(parts)


# a read report (displayed) is the one step past a final status
ORDER: list[object] = [Status.QUEUED, Status.SENT, "final", Status.DISPLAYED]
