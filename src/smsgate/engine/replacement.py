"""A message replaced before it reached a carrier (SMPP replace_sm): its new text, parts,
times, receipt request and price. The engine checks that no part has left and writes the
result (`Gateway.replace`)."""

from dataclasses import replace
from decimal import Decimal

from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message
from smsgate.domain.pricing import to_micros
from smsgate.domain.status import Status
from smsgate.engine.balances import Balances
from smsgate.engine.commands import ReplaceCommand
from smsgate.engine.message_text import data_coding_of, encode_text, parts_of
from smsgate.engine.timing import check_validity, start_of
from smsgate.store.changes import BalanceChange
from smsgate.text import EncodedMessage, Encoding


def replaced(
    message: Message,
    command: ReplaceCommand,
    encoded: tuple[str, str | None, EncodedMessage] | None,
    now: float,
    *,
    max_validity: float,
    max_schedule_ahead: float,
) -> Message:
    """A new Message with what `command` changes (the text as `encode_text` gave it, if it
    changes); GatewayError for a schedule or validity out of bounds."""
    old_start = message.scheduled_at or message.created_at
    if command.scheduled_at is None:
        scheduled = message.scheduled_at if message.status is Status.SCHEDULED else None
        scheduled = start_of(scheduled, now, float("inf"))
    else:
        scheduled = start_of(command.scheduled_at, now, max_schedule_ahead)
    start = scheduled or now
    if command.valid_until is not None:
        valid_until = start + check_validity(command.valid_until - start, max_validity)
    elif scheduled != message.scheduled_at:
        # the validity period keeps its length from the new start
        valid_until = start + (message.valid_until - old_start)
    else:
        valid_until = message.valid_until
    status = Status.SCHEDULED if scheduled else Status.QUEUED
    new = replace(
        message,
        scheduled_at=scheduled,
        valid_until=valid_until,
        status=status,
        updated_at=now,
        parts=[replace(p, status=status) for p in message.parts],
    )
    if command.registered_delivery is not None:
        new.registered_delivery = command.registered_delivery
        new.receipt_only = command.receipt_only if command.registered_delivery else None
    if encoded is not None:
        new.text, new.comment, text = encoded
        new.encoding = text.encoding.value
        binary = message.encoding == Encoding.BINARY.value
        new.data_coding = data_coding_of(text, message.data_coding if binary else None)
        new.segments = text.segments
        new.parts = parts_of(message.id, text, status)
    return new


def snapshot(message: Message) -> Message:
    """A copy of the message and its parts, which later changes of the message leave alone."""
    return replace(message, parts=[replace(p) for p in message.parts])


def encode_replacement(
    command: ReplaceCommand, header: bytes | None, reference: int, max_segments: int
) -> tuple[str, str | None, EncodedMessage] | None:
    """The new text encoded and split (behind the message's own UDH elements, `header`), or
    None when the text stays."""
    if command.text is None:
        return None
    return encode_text(command.text, command.encoding, reference, max_segments, header)


def price_change(balances: Balances, old: Message, new: Message, at: float) -> BalanceChange | None:
    """The new price (the per-segment price fixed at acceptance, times the new segments) set on
    `new`; for a prepaid account, the difference taken from or given back to its balance in
    memory, and the change to write (settle it with `balances.settled`). GatewayError
    "insufficient_balance" when the balance does not cover a higher price."""
    if old.price is None or new.segments == old.segments:
        return None
    new.price = str(Decimal(old.price) / old.segments * new.segments)
    if not balances.prepaid(old.account_id) or old.error_code == "price_exceeded":
        return None
    more = to_micros(Decimal(new.price)) - to_micros(Decimal(old.price))
    if more > 0 and not balances.take(old.account_id, more):
        raise GatewayError("insufficient_balance", f"the new price is {new.price}")
    if more < 0:
        balances.give_back(old.account_id, -more)
    return BalanceChange(old.account_id, -more, at)
