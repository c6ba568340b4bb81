"""The message ids customers see. A message is known by its engine id; with the SINGLE bind
option each part of a multi-part message has its own id, the message id and the part number
(`<id>-<n>`), which query_sm and the part's receipt use."""

_SEPARATOR = "-"


def part_id(message_id: str, seq: int, single: bool) -> str:
    return f"{message_id}{_SEPARATOR}{seq}" if single and message_id else message_id


def split_id(customer_id: str) -> tuple[str, int | None]:
    """(engine message id, part number or None)."""
    head, sep, tail = customer_id.rpartition(_SEPARATOR)
    if sep and head and tail.isdigit():
        return head, int(tail)
    return customer_id, None
