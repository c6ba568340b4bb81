"""Delivery receipt text carried in deliver_sm / data_sm short_message: build and parse.

The de-facto format (SMPP 3.4 appendix B, not normative)::

    id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD
    err:E text:...

SMSCs deviate from it in many small ways, so parsing is tolerant (see parse_receipt_text) while
building always produces the canonical form.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from smsgate.smpp.constants import MessageState
from smsgate.smpp.smpp_time import SmppTimeError, format_receipt_date, parse_receipt_date

__all__ = [
    "Receipt",
    "ReceiptError",
    "build_receipt_text",
    "normalise_message_id",
    "parse_receipt_text",
    "receipt_id_candidates",
    "stat_to_state",
    "state_to_stat",
]

TEXT_LIMIT = 20
# message_id is a C-Octet String of at most 65 octets; longer strings are not SMPP ids.
MAX_MESSAGE_ID_LENGTH = 65


class ReceiptError(ValueError):
    """Receipt text that cannot be parsed, or a Receipt that cannot be written as text."""


_STAT_BY_STATE = MappingProxyType(
    {
        MessageState.SCHEDULED: "SCHEDULED",
        MessageState.ENROUTE: "ENROUTE",
        MessageState.DELIVERED: "DELIVRD",
        MessageState.EXPIRED: "EXPIRED",
        MessageState.DELETED: "DELETED",
        MessageState.UNDELIVERABLE: "UNDELIV",
        MessageState.ACCEPTED: "ACCEPTD",
        MessageState.UNKNOWN: "UNKNOWN",
        MessageState.REJECTED: "REJECTD",
        MessageState.SKIPPED: "SKIPPED",
    }
)
# Parsing also takes the state spelled out in full (DELIVERED, UNDELIVERABLE, ...).
_STATE_BY_STAT = MappingProxyType(
    {word: state for state, word in _STAT_BY_STATE.items()}
    | {state.name: state for state in MessageState}
)


def state_to_stat(state: MessageState) -> str:
    """The canonical stat word of a state (DELIVRD, UNDELIV, ...)."""
    return _STAT_BY_STATE[state]


def stat_to_state(word: str) -> MessageState:
    """The state a stat word stands for, in any case; ReceiptError for an unknown word."""
    # Unicode upper-casing turns some non-ASCII letters (U+017F long s) into ASCII ones.
    state = _STATE_BY_STAT.get(word.strip().upper()) if word.isascii() else None
    if state is None:
        raise ReceiptError(f"unknown receipt stat {word!r}")
    return state


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery receipt. Absent fields are None (or "" for the string fields).

    ``stat`` is the word as received; when left empty it is filled with the canonical word of
    ``state``. ``error`` is kept as a string because SMSCs put letters and long codes in it.
    Parsed dates are naive: receipts give the SMSC's local time without a zone.
    """

    message_id: str
    state: MessageState
    stat: str = ""
    submitted: int | None = None
    delivered: int | None = None
    submit_date: datetime | None = None
    done_date: datetime | None = None
    error: str = ""
    text: str = ""

    def __post_init__(self) -> None:
        if not self.stat:
            object.__setattr__(self, "stat", state_to_stat(self.state))

    @property
    def is_final(self) -> bool:
        return self.state.is_final


def _single_token(name: str, value: str) -> str:
    # Whitespace would end the value early when the text is parsed back. str.split() cuts at
    # exactly the characters str.isspace() names, in one call rather than one per character.
    if value.split(maxsplit=1) != [value]:
        raise ReceiptError(f"cannot write receipt field {name} as {value!r}")
    return value


def build_receipt_text(receipt: Receipt, *, seconds: bool = False) -> str:
    """The canonical receipt text. Absent fields are left out, except ``text:`` which ends it.

    The stat word is always the canonical one for ``receipt.state``; counts are three digits
    and an all-digit error code is padded to three, as the convention has them.
    """
    parts = [f"id:{_single_token('id', receipt.message_id)}"]
    for key, count in (("sub", receipt.submitted), ("dlvrd", receipt.delivered)):
        if count is not None:
            if count < 0:
                raise ReceiptError(f"receipt {key} count cannot be negative: {count}")
            parts.append(f"{key}:{count:03d}")
    for key, date in (("submit date", receipt.submit_date), ("done date", receipt.done_date)):
        if date is not None:
            try:
                parts.append(f"{key}:{format_receipt_date(date, seconds=seconds)}")
            except SmppTimeError as exc:
                raise ReceiptError(str(exc)) from None
    parts.append(f"stat:{state_to_stat(receipt.state)}")
    if receipt.error:
        error = _single_token("err", receipt.error)
        parts.append(f"err:{error.zfill(3) if _is_ascii_digits(error) else error}")
    parts.append(f"text:{receipt.text[:TEXT_LIMIT]}")
    return " ".join(parts)


def _is_ascii_digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


# A key only counts at the start or after whitespace, so "text:" inside an id does not match.
# "submit date" also appears as "submit_date" or "submitdate".
_TEXT_KEY = re.compile(r"(?<!\S)(text)\s*:", re.IGNORECASE)
_FIELD_KEY = re.compile(
    r"(?<!\S)(id|sub|dlvrd|submit[\s_]*date|done[\s_]*date|stat|err)\s*:", re.IGNORECASE
)


def _keys(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    # Case-insensitive matching lets U+017F (long s) and U+212A (Kelvin sign) stand for s and k;
    # no SMSC means those, so such a match is not a key.
    return [match for match in pattern.finditer(text) if match.group(1).isascii()]


def _fields(head: str) -> dict[str, str]:
    """Field values by normalised key. A value is the first word up to the next known key;
    anything else there (unknown vendor fields, junk) is ignored."""
    keys = _keys(_FIELD_KEY, head)
    fields: dict[str, str] = {}
    for position, match in enumerate(keys, start=1):
        name = match.group(1).lower()
        # "submit_date", "submitdate", "Submit  Date" all become "submit date".
        key = re.sub(r"[\s_]*date$", " date", name)
        if key in fields:
            raise ReceiptError(f"receipt has field {key!r} twice")
        end = keys[position].start() if position < len(keys) else len(head)
        words = head[match.end() : end].split()
        fields[key] = words[0] if words else ""
    return fields


def _count(fields: dict[str, str], key: str) -> int | None:
    value = fields.get(key, "")
    if not value:
        return None
    if not _is_ascii_digits(value):
        raise ReceiptError(f"receipt {key} must be digits, got {value!r}")
    return int(value)


def _date(fields: dict[str, str], key: str) -> datetime | None:
    value = fields.get(key, "")
    if not value:
        return None
    try:
        return parse_receipt_date(value)
    except SmppTimeError as exc:
        raise ReceiptError(f"receipt {key}: {exc}") from None


def parse_receipt_text(text: str) -> Receipt:
    """Parse receipt text as SMSCs actually send it.

    Accepted: keys in any case and order, extra whitespace, "submit_date" spellings, dates with
    or without seconds, stat words in any case, any error code, trailing NULs, and any field
    missing except id and stat. ``text:`` runs to the end of the string (it may hold colons and
    things that look like keys), so fields after it are part of the text. A field given twice,
    an unparseable count or date, or an unknown stat word raises ReceiptError.
    """
    text = text.rstrip("\x00")
    text_keys = _keys(_TEXT_KEY, text)
    head, body = text, ""
    if text_keys:
        head, body = text[: text_keys[0].start()], text[text_keys[0].end() :].strip()
    fields = _fields(head)
    message_id = fields.get("id", "")
    if not message_id:
        raise ReceiptError(f"receipt has no id: {text[:80]!r}")
    stat = fields.get("stat", "")
    if not stat:
        raise ReceiptError(f"receipt has no stat: {text[:80]!r}")
    return Receipt(
        message_id=message_id,
        state=stat_to_state(stat),
        stat=stat,
        submitted=_count(fields, "sub"),
        delivered=_count(fields, "dlvrd"),
        submit_date=_date(fields, "submit date"),
        done_date=_date(fields, "done date"),
        error=fields.get("err", ""),
        text=body,
    )


_HEX = re.compile(r"[0-9a-f]+", re.ASCII)


def normalise_message_id(message_id: str) -> str:
    """The form to index a submitted message id under: trimmed, lower-cased, and without
    leading zeros when it is all hex digits (SMSCs vary the case and the padding of hex ids).

    Ids that differ only in letter case are taken as the same id.
    """
    normal = message_id.strip().lower()
    if _HEX.fullmatch(normal):
        return normal.lstrip("0") or "0"
    return normal


def receipt_id_candidates(message_id: str) -> tuple[str, ...]:
    """The normalised forms a receipt's message id may have been indexed under, best first.

    SMSCs are known to give the id in submit_sm_resp in hex and in the receipt in decimal (or
    the other way round). Index each submitted id under normalise_message_id() only, and look a
    receipt up by these candidates in order, taking the first hit: its own normal form first,
    then the hex form of its decimal reading, then the decimal form of its hex reading. The
    conversions on the lookup side cover both directions, so the index needs no converted keys.

    The readings are ambiguous: an all-digit id is valid hex too, so "123" also yields "7b"
    (123 read as decimal) and "291" (0x123 read as hex). Trying the id's own form first means a
    pending message with exactly that id always wins; but if only message "291" is pending on
    an SMSC that uses decimal throughout, a receipt for "123" would be matched to it. Use the
    converted candidates only for SMSCs known to switch bases.
    """
    normal = normalise_message_id(message_id)
    if not normal:
        return ()
    forms = [normal]
    # The length bound keeps int() clear of Python's limit on huge decimal conversions.
    if _HEX.fullmatch(normal) and len(normal) <= MAX_MESSAGE_ID_LENGTH:
        if normal.isdigit():
            forms.append(format(int(normal, 10), "x"))
        forms.append(str(int(normal, 16)))
    return tuple(dict.fromkeys(forms))
