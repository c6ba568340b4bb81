"""KDDI Message Cast: how its answers write ids, times and numbers (docs/dialects/kddi.md)."""

import uuid
from typing import Any

from smsgate.api.http.schemas import iso_time


def timestamp(at: float) -> str:
    """ISO 8601 in UTC with milliseconds, as the guide's answer has it: 2022-03-22T11:44:30.231Z."""
    return iso_time(at) or ""


def msg_id(message_id: str) -> str:
    """A message id as the guide's answer writes msgId and orderId: a UUID with hyphens
    (smsgate's ids are UUIDs already, kept as 32 hex digits)."""
    return str(uuid.UUID(message_id))


def message_id(raw: str) -> str:
    """The stored id of a msgId a client sends back, with or without hyphens; anything else
    as it is (no message has it: 404)."""
    try:
        return uuid.UUID(raw).hex
    except ValueError:
        return raw


def national(number: Any) -> Any:
    """A Japanese number (81 and digits) as the national 0 and digits; others as they are."""
    if isinstance(number, str) and number.startswith("81") and number.isdigit():
        return "0" + number[2:]
    return number


def plus(number: Any) -> Any:
    """A number as +digits (userContact's form); anything else as it is."""
    if isinstance(number, str) and number and not number.startswith("+"):
        return "+" + number
    return number
