import pytest

from smsgate.domain.status import FINAL, RECEIPT_STATUS, Status, can_transition, message_status
from smsgate.smpp.constants import MessageState


def test_statuses_only_move_forward() -> None:
    assert can_transition(Status.ACCEPTED, Status.QUEUED)
    assert can_transition(Status.SENDING, Status.QUEUED)  # requeue after a lost link
    assert can_transition(Status.SENT, Status.DELIVERED)
    assert not can_transition(Status.DELIVERED, Status.SENT)  # a late ENROUTE
    assert not can_transition(Status.SENT, Status.QUEUED)
    for final in FINAL:
        assert not any(can_transition(final, other) for other in Status)


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
