"""HLR lookups: what a lookup found, the receipt text SMSC.ru's clients read it from, and the
portability row a ported number's result gives.

A lookup asks the subscriber's home network (its HLR) about a number instead of sending it
anything. Its result reaches the customer as a delivery report: SMPP customers get a receipt
whose text carries the result's fields in a fixed order,

    id:<id> stat:<status> err:<err> imsi:<imsi> msc:<msc> mcc:<mcc> mnc:<mnc>
    cn:<cn> net:<net> rcn:<rcn> rnet:<rnet>          (one line, fields separated by one space)

with the country and network names (cn, net; rcn, rnet while roaming) urlencoded as PHP's
`urlencode` does (a space is "+", everything but letters, digits and "-_." is %XX of its
UTF-8 bytes), so that every field is one space-free token; HTTP customers get the same
result as a JSON object (`HlrResult.report_result`).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final
from urllib.parse import quote_plus, unquote_plus

from smsgate.domain.mobile_networks import network
from smsgate.domain.routing_tables import PortabilityRow
from smsgate.domain.status import Status

# the receipt's fields, in their order; the first three are the receipt's own
RECEIPT_FIELDS: Final = (
    "id",
    "stat",
    "err",
    "imsi",
    "msc",
    "mcc",
    "mnc",
    "cn",
    "net",
    "rcn",
    "rnet",
)
NUMERIC_FIELDS: Final = ("imsi", "msc", "mcc", "mnc")  # digits, or empty when unknown
NAME_FIELDS: Final = ("cn", "net", "rcn", "rnet")  # urlencoded in the receipt text
# the keys of a lookup's result as the engine keeps it and customers get it
RESULT_KEYS: Final = (*NUMERIC_FIELDS, *NAME_FIELDS, "ported")

# The err of a lookup that found no subscriber, when the provider gave no code of its own:
# the GSM MAP error numbers (3GPP TS 29.002) for an unknown and an absent subscriber.
ERR_NONE: Final = "000"
ERR_UNKNOWN_SUBSCRIBER: Final = "001"
ERR_ABSENT_SUBSCRIBER: Final = "006"
_MAX_ERR_DIGITS: Final = 3
_MAX_DIGITS: Final = 15  # an IMSI, and an MSC's E.164 address, have at most 15 digits
MAX_NAME_LENGTH: Final = 64  # a country's or network's name, before encoding


class HlrTextError(ValueError):
    """A receipt text that is not an HLR result, or a result that cannot be written as one."""


class SubscriberState(StrEnum):
    FOUND = "ok"  # the HLR knows the subscriber (reachable or not, it exists)
    ABSENT = "absent"  # known, but not reachable now (switched off, out of coverage)
    UNKNOWN = "unknown"  # no such subscriber (the number is not in service)


@dataclass(frozen=True, slots=True)
class HlrResult:
    """What an HLR lookup found. Numeric fields are digits or "" when the HLR did not say;
    `roaming_*` are set only while the subscriber is in another network than its own.
    `error` is a network error number (at most three digits) the provider gave, or ""."""

    state: SubscriberState
    imsi: str = ""
    msc: str = ""
    mcc: str = ""
    mnc: str = ""
    country: str = ""
    network: str = ""
    roaming_country: str = ""
    roaming_network: str = ""
    ported: bool = False
    error: str = ""

    def __post_init__(self) -> None:
        for name in NUMERIC_FIELDS:
            value = getattr(self, name)
            if value and not (value.isascii() and value.isdigit() and len(value) <= _MAX_DIGITS):
                raise ValueError(f"{name} must be up to {_MAX_DIGITS} digits, not {value!r}")
        names = (self.country, self.network, self.roaming_country, self.roaming_network)
        if any(len(name) > MAX_NAME_LENGTH for name in names):
            raise ValueError(f"a country or network name is longer than {MAX_NAME_LENGTH}")
        if self.error and not (
            self.error.isascii() and self.error.isdigit() and len(self.error) <= _MAX_ERR_DIGITS
        ):
            raise ValueError(f"error must be up to {_MAX_ERR_DIGITS} digits, not {self.error!r}")

    @property
    def status(self) -> Status:
        """DELIVERED for a subscriber found, UNDELIVERED otherwise."""
        return Status.DELIVERED if self.state is SubscriberState.FOUND else Status.UNDELIVERED

    @property
    def label(self) -> str:
        """The receipt's stat word."""
        return "DELIVRD" if self.state is SubscriberState.FOUND else "UNDELIV"

    @property
    def err(self) -> str:
        """The receipt's err: the provider's code, else the MAP error of the state."""
        if self.error:
            return self.error.zfill(_MAX_ERR_DIGITS)
        if self.state is SubscriberState.ABSENT:
            return ERR_ABSENT_SUBSCRIBER
        if self.state is SubscriberState.UNKNOWN:
            return ERR_UNKNOWN_SUBSCRIBER
        return ERR_NONE

    def report_result(self) -> dict[str, Any]:
        """The result as a delivery report carries it (and an HTTP customer gets it)."""
        return {
            "imsi": self.imsi,
            "msc": self.msc,
            "mcc": self.mcc,
            "mnc": self.mnc,
            "cn": self.country,
            "net": self.network,
            "rcn": self.roaming_country,
            "rnet": self.roaming_network,
            "ported": self.ported,
        }


def encode_name(value: str) -> str:
    """A name as PHP's urlencode writes it (quote_plus leaves "~" alone; urlencode does not)."""
    return quote_plus(value, safe="").replace("~", "%7E")


def receipt_text(
    message_id: str, status_label: str, err: str, result: Mapping[str, Any] | None
) -> str:
    """The receipt text of a lookup: every field in the document's order, a field the result
    does not have (or None) written empty. HlrTextError for a value that would not read back
    (an id or stat with a space, a numeric field that is not digits)."""
    if not message_id or not _token(message_id):
        raise HlrTextError(f"a message id must be one token, not {message_id!r}")
    if not status_label.isascii() or not status_label.isalnum():
        raise HlrTextError(f"stat must be a word, not {status_label!r}")
    if not err.isascii() or not err.isdigit():
        raise HlrTextError(f"err must be digits, not {err!r}")
    found = result or {}
    fields = [f"id:{message_id}", f"stat:{status_label}", f"err:{err}"]
    for name in NUMERIC_FIELDS:
        value = _text(found.get(name))
        if value and not (value.isascii() and value.isdigit()):
            raise HlrTextError(f"{name} must be digits, not {value!r}")
        fields.append(f"{name}:{value}")
    fields.extend(f"{name}:{encode_name(_text(found.get(name)))}" for name in NAME_FIELDS)
    return " ".join(fields)


def parse_receipt_text(text: str) -> dict[str, str]:
    """The fields of an HLR receipt text, names decoded, every field of the document present
    ("" for one the text lacks: some senders stop after the last known one). HlrTextError for
    a text that does not start with id, stat and err, has a field twice or out of order, or a
    token that is no `name:value` of the document."""
    fields = dict.fromkeys(RECEIPT_FIELDS, "")
    position = 0
    for token in text.split(" "):
        name, colon, value = token.partition(":")
        if not colon:
            raise HlrTextError(f"{token!r} is not name:value")
        try:
            index = RECEIPT_FIELDS.index(name, position)
        except ValueError:
            known = name in RECEIPT_FIELDS
            problem = "repeated or out of order" if known else "not a field of an HLR receipt"
            raise HlrTextError(f"{name!r} is {problem}") from None
        if index > position and position < len(("id", "stat", "err")):
            raise HlrTextError("an HLR receipt starts with id, stat and err")
        fields[name] = unquote_plus(value) if name in NAME_FIELDS else value
        position = index + 1
    if position < len(("id", "stat", "err")):
        raise HlrTextError("an HLR receipt starts with id, stat and err")
    return fields


def portability_row(number: str, result: Mapping[str, Any], now: float) -> PortabilityRow | None:
    """The portability table's row for `number` (E.164 digits) from a lookup's result (as a
    delivery report carries it) that says the number was ported: the carrier of the network
    the HLR named. None when the result does not say ported, or names a network that no
    carrier id stands for (nothing is known to route it by)."""
    if not (number.isascii() and number.isdigit() and len(number) <= _MAX_DIGITS):
        raise ValueError(f"{number!r} is not E.164 digits")
    if result.get("ported") is not True:
        return None
    found = network(_text(result.get("mcc")), _text(result.get("mnc")))
    if found is None or found.carrier is None:
        return None
    return PortabilityRow(number, found.carrier, now)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _token(value: str) -> bool:
    return " " not in value and ":" not in value and value.isprintable()


__all__ = [
    "ERR_ABSENT_SUBSCRIBER",
    "ERR_NONE",
    "ERR_UNKNOWN_SUBSCRIBER",
    "NAME_FIELDS",
    "NUMERIC_FIELDS",
    "RECEIPT_FIELDS",
    "RESULT_KEYS",
    "HlrResult",
    "HlrTextError",
    "SubscriberState",
    "encode_name",
    "parse_receipt_text",
    "portability_row",
    "receipt_text",
]
