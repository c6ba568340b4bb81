"""What a replacement changes in a message: text and parts, times, receipt request, price."""

from dataclasses import replace

import pytest

from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message
from smsgate.domain.status import Status
from smsgate.engine.balances import Balances
from smsgate.engine.commands import ReplaceCommand
from smsgate.engine.replacement import encode_replacement, price_change, replaced, snapshot
from smsgate.store.changes import BalanceChange
from tests.store.factories import new_message

NOW = 10_000.0
LIMITS = {"max_validity": 14_400.0, "max_schedule_ahead": 86_400.0}


def scheduled_message(at: float = NOW + 3600, validity: float = 600.0) -> Message:
    message = new_message(status=Status.SCHEDULED, created_at=NOW - 10)
    message.scheduled_at, message.valid_until = at, at + validity
    message.parts = [replace(p, status=Status.SCHEDULED) for p in message.parts]
    return message


def test_new_text_is_split_again_and_the_comment_kept_apart() -> None:
    message = scheduled_message()
    command = ReplaceCommand(text="x" * 200 + "\n~~~\nnote")
    new = replaced(message, command, encode_replacement(command, None, 7, 10), NOW, **LIMITS)
    assert (new.text, new.comment, new.segments, len(new.parts)) == ("x" * 200, "note", 2, 2)
    assert all(p.status is Status.SCHEDULED and p.message_id == message.id for p in new.parts)
    assert (new.scheduled_at, new.valid_until) == (message.scheduled_at, message.valid_until)
    assert message.text != new.text  # the original is left alone
    with pytest.raises(GatewayError, match="message_too_long"):
        encode_replacement(ReplaceCommand(text="x" * 2000), None, 7, 10)
    assert encode_replacement(ReplaceCommand(), None, 7, 10) is None  # no text: it stays


def test_a_moved_schedule_keeps_the_validity_length_and_a_past_one_sends_now() -> None:
    message = scheduled_message(validity=600.0)
    moved = replaced(message, ReplaceCommand(scheduled_at=NOW + 7200), None, NOW, **LIMITS)
    assert (moved.status, moved.scheduled_at, moved.valid_until) == (
        Status.SCHEDULED,
        NOW + 7200,
        NOW + 7800,
    )
    now = replaced(message, ReplaceCommand(scheduled_at=NOW - 1), None, NOW, **LIMITS)
    assert (now.status, now.scheduled_at, now.valid_until) == (Status.QUEUED, None, NOW + 600)
    assert {p.status for p in now.parts} == {Status.QUEUED}
    until = replaced(message, ReplaceCommand(valid_until=NOW + 3600 + 60), None, NOW, **LIMITS)
    assert until.valid_until == NOW + 3660
    for bad in (ReplaceCommand(valid_until=NOW + 60), ReplaceCommand(scheduled_at=NOW + 1e6)):
        with pytest.raises(GatewayError):
            replaced(message, bad, None, NOW, **LIMITS)


def test_receipt_request_is_replaced_only_when_given() -> None:
    message = scheduled_message()
    message.registered_delivery, message.receipt_only = True, "failure"
    kept = replaced(message, ReplaceCommand(text=None), None, NOW, **LIMITS)
    assert (kept.registered_delivery, kept.receipt_only) == (True, "failure")
    success = ReplaceCommand(registered_delivery=True, receipt_only="success")
    assert replaced(message, success, None, NOW, **LIMITS).receipt_only == "success"
    off = replaced(message, ReplaceCommand(registered_delivery=False), None, NOW, **LIMITS)
    assert (off.registered_delivery, off.receipt_only) == (False, None)


def test_price_follows_the_segments_on_a_prepaid_balance() -> None:
    balances = Balances()
    balances.load({"acct-1": 100_000}, 0.0)
    message = replace(scheduled_message(), price="0.05", price_unit="EUR")
    longer = replace(message, segments=3)
    assert price_change(balances, message, longer, NOW) == BalanceChange("acct-1", -100_000, NOW)
    assert longer.price == "0.15" and balances.available("acct-1") == 0
    more = replace(message, segments=4)
    with pytest.raises(GatewayError, match="insufficient_balance"):
        price_change(balances, longer, more, NOW)
    shorter = replace(longer, segments=1)
    assert price_change(balances, longer, shorter, NOW) == BalanceChange("acct-1", 100_000, NOW)
    assert shorter.price == "0.05" and balances.available("acct-1") == 100_000
    same = replace(message)
    assert price_change(balances, message, same, NOW) is None


def test_snapshot_is_not_touched_by_later_changes() -> None:
    message = scheduled_message()
    copy = snapshot(message)
    message.status = message.parts[0].status = Status.SENDING
    assert copy.status is Status.SCHEDULED and copy.parts[0].status is Status.SCHEDULED
