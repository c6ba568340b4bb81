"""status.json's separatedSuccessCount, one case per kind of send: the parts of a settled send
that the carrier accepted (docs/dialects/p5.md), null while the send is under way."""

from smsgate.api.http.dialects.p5_view import send_status
from smsgate.domain.message import Message, Part
from smsgate.domain.status import Status

NOW = 1_800_000_000.0


def send(
    status: Status, parts: list[tuple[Status, str | None]], error: str | None = None
) -> Message:
    """A send of len(parts) segments; each part's status and the carrier's id for it."""
    message = Message(
        id="0" * 32,
        account_id="a",
        source="12345",
        source_ton=0,
        source_npi=0,
        destination="819012345678",
        text="ご予約の確認です。",
        encoding="ucs2",
        data_coding=8,
        segments=len(parts),
        created_at=NOW,
        updated_at=NOW,
        valid_until=NOW + 86_400,
        status=status,
        carrier="docomo",
        error_code=error,
    )
    message.parts = [
        Part(message.id, seq, b"", status=part_status, upstream_id=upstream)
        for seq, (part_status, upstream) in enumerate(parts, 1)
    ]
    return message


def count(message: Message) -> int | None:
    item = send_status(message)
    value = item["separatedSuccessCount"]
    assert value is None or isinstance(value, int)
    return value


def test_a_send_still_on_its_way_has_no_count() -> None:
    # sent: the carrier took it, its outcome is not known yet (statusId 1)
    sent = send(Status.SENT, [(Status.SENT, "c-1")])
    assert (send_status(sent)["statusId"], count(sent)) == ("1", None)
    queued = send(Status.QUEUED, [(Status.QUEUED, None)])
    assert (send_status(queued)["statusId"], count(queued)) == ("0", None)


def test_a_delivered_send_counts_its_part() -> None:
    delivered = send(Status.DELIVERED, [(Status.DELIVERED, "c-1")])
    assert (send_status(delivered)["statusId"], count(delivered)) == ("2", 1)


def test_a_failed_send_counts_only_what_reached_the_carrier() -> None:
    # undelivered at the handset: the carrier had taken the part
    undelivered = send(Status.UNDELIVERED, [(Status.UNDELIVERED, "c-1")], "undeliverable")
    assert (send_status(undelivered)["statusId"], count(undelivered)) == ("3", 1)
    # refused by the carrier, or with no route: nothing went out
    refused = send(Status.FAILED, [(Status.FAILED, None)], "carrier_rejected")
    assert (send_status(refused)["statusId"], count(refused)) == ("3", 0)
    no_route = send(Status.FAILED, [(Status.FAILED, None)], "no_route")
    assert count(no_route) == 0


def test_a_canceled_send_that_never_went_out_counts_nothing() -> None:
    canceled = send(Status.CANCELED, [(Status.CANCELED, None)], "canceled")
    item = send_status(canceled)
    assert (item["statusId"], item["detailedStatusId"], count(canceled)) == ("3", "90904", 0)


def test_a_multi_part_send_counts_its_accepted_parts() -> None:
    whole = send(Status.DELIVERED, [(Status.DELIVERED, f"c-{n}") for n in range(1, 4)])
    assert count(whole) == 3
    # the carrier took two of three parts and refused the third
    partial = send(
        Status.FAILED,
        [(Status.DELIVERED, "c-1"), (Status.DELIVERED, "c-2"), (Status.FAILED, None)],
        "carrier_rejected",
    )
    assert (send_status(partial)["statusId"], count(partial)) == ("3", 2)
