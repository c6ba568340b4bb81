"""The message ids customers see on the SMPP server, and back.

The store knows a message by a 128-bit time-ordered id written as 32 hex characters
(`smsgate.domain.ids`). SMPP customers get the same number, by default in decimal
(`smpp_message_ids = "decimal"`): SMSC.ru's ids are decimal and its clients read receipts with
`id:(\\d+)`. The decimal reading needs no second numbering kept in step with the store: it is
stable, unique and reversible, and at most 39 digits, within SMPP's 64-character message_id
and a single token in the receipt text. `"hex"` gives the 32 stored characters.

Both forms are read back whatever the setting (query_sm, cancel_sm, replace_sm). They cannot
be mistaken for each other: a decimal id of 32 digits would be a time in the first day of 1970.

With the SINGLE bind option each part of a multi-part message has its own id, the message id
and the part number (`<id>-<n>`), which query_sm and the part's receipt use.
"""

import re
from enum import StrEnum
from typing import Final

_SEPARATOR: Final = "-"
_HEX_LENGTH: Final = 32
_HEX_ID: Final = re.compile(r"[0-9a-fA-F]{32}")
_DECIMAL_LENGTH: Final = 39  # digits of the largest 128-bit number


class IdFormat(StrEnum):
    DECIMAL = "decimal"
    HEX = "hex"


def _is_hex_id(value: str) -> bool:
    return _HEX_ID.fullmatch(value) is not None


def customer_id(message_id: str, ids: IdFormat = IdFormat.DECIMAL) -> str:
    """A stored message id as the customer sees it ('' stays '': nothing was accepted)."""
    if ids is IdFormat.HEX or not _is_hex_id(message_id):
        return message_id
    return str(int(message_id, 16))


def part_id(message_id: str, seq: int, single: bool, ids: IdFormat = IdFormat.DECIMAL) -> str:
    """The id of part `seq` of a message: its own with SINGLE, else the message's."""
    shown = customer_id(message_id, ids)
    return f"{shown}{_SEPARATOR}{seq}" if single and shown else shown


def engine_id(shown: str) -> str:
    """The stored id of a customer's id in either form; anything else as given (it names no
    message, so a look-up finds none)."""
    if _is_hex_id(shown):
        return shown.lower()
    if shown.isascii() and shown.isdigit() and len(shown) <= _DECIMAL_LENGTH:
        number = int(shown)
        if number.bit_length() <= 128:
            return f"{number:0{_HEX_LENGTH}x}"
    return shown


def split_id(shown: str) -> tuple[str, int | None]:
    """(stored message id, part number or None) of a customer's message or part id."""
    head, sep, tail = shown.rpartition(_SEPARATOR)
    if sep and head and tail.isdigit():
        return engine_id(head), int(tail)
    return engine_id(shown), None
