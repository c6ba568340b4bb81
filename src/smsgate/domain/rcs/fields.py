"""Checks of one field of RCS content, each refusing with the field's path and the reason.

A path is written as the client wrote the JSON, from `RCSMessage`:
`RCSMessage.richcardMessage.message.generalPurposeCardCarousel.content[2].title`.
"""

import math
import re
from collections.abc import Collection
from datetime import datetime
from typing import Any, Final, NoReturn

from smsgate.domain.errors import GatewayError
from smsgate.domain.rcs import limits

# an ISO 8601 date and time with its offset from UTC (`Z` or `+09:00`); a bare date or a time
# without an offset names no instant
_TIMESTAMP: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})", re.ASCII
)
# RFC 6838's restricted name for a MIME subtype
_SUBTYPE: Final = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}", re.ASCII)
# a scheme, a host (no user part: `https://bank.example@evil.example` misleads), then anything
# but spaces and control characters
_URL: Final = re.compile(
    r"https?://[^\x00-\x20\x7f/?#@\\]+([/?#][^\x00-\x20\x7f]*)?", re.ASCII | re.IGNORECASE
)
_PHONE: Final = re.compile(
    rf"\+?[0-9]{{{limits.MIN_PHONE_DIGITS},{limits.MAX_PHONE_DIGITS}}}", re.ASCII
)


def refuse(path: str, reason: str) -> NoReturn:
    raise GatewayError("invalid_rcs_content", f"{path}: {reason}")


def at(path: str, key: object) -> str:
    return f"{path}.{key}" if isinstance(key, str) else f"{path}.{key!r}"


def fields(
    value: object, path: str, required: Collection[str], optional: Collection[str] = ()
) -> dict[str, Any]:
    """An object with only the given fields, the required ones present."""
    if not isinstance(value, dict):
        refuse(path, "must be an object")
    for key in value:
        if key not in required and key not in optional:
            refuse(at(path, key), "unknown field")
    for key in required:
        if key not in value:
            refuse(at(path, key), "is required")
    return value


def exactly_one(found: dict[str, Any], path: str, names: Collection[str]) -> str:
    """The one of `names` the object has (it has no other field of them)."""
    present = [name for name in names if name in found]
    if len(present) == 1:
        return present[0]
    if not present:
        refuse(path, f"needs one of {', '.join(names)}")
    refuse(path, f"has {' and '.join(present)}: only one is allowed")


def text(value: object, path: str, max_chars: int, *, empty: bool = False) -> str:
    if not isinstance(value, str):
        refuse(path, "must be a string")
    if not value and not empty:
        refuse(path, "must not be empty")
    if len(value) > max_chars:
        refuse(path, f"is {len(value)} characters, more than {max_chars}")
    utf8(value, path)
    return value


def utf8(value: str, path: str) -> bytes:
    """The string as UTF-8: a lone surrogate (a broken `\\ud800` escape) is refused."""
    try:
        return value.encode()
    except UnicodeEncodeError:
        refuse(path, "is not valid Unicode (a lone surrogate)")


def text_bytes(value: object, path: str, max_bytes: int) -> str:
    """A string bounded in UTF-8 bytes (postback data travels as bytes); it may be empty."""
    if not isinstance(value, str):
        refuse(path, "must be a string")
    size = len(utf8(value, path))
    if size > max_bytes:
        refuse(path, f"is {size} bytes as UTF-8, more than {max_bytes}")
    return value


def integer(value: object, path: str, low: int, high: int) -> int:
    """An integer (a float with no fraction, such as 81280.0, becomes one)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        refuse(path, "must be an integer")
    if not low <= value <= high:
        refuse(path, f"must be from {low} to {high}")
    return value


def number(value: object, path: str, low: float, high: float) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        refuse(path, "must be a number")
    # the range is compared without converting: an int too large for a float stays an int
    if (isinstance(value, float) and not math.isfinite(value)) or not low <= value <= high:
        refuse(path, f"must be from {low} to {high}")
    return value


def choice(value: object, path: str, allowed: Collection[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        refuse(path, f"must be one of {', '.join(allowed)}")
    return value


def items(value: object, path: str, low: int, high: int) -> list[Any]:
    if not isinstance(value, list):
        refuse(path, "must be an array")
    if not low <= len(value) <= high:
        refuse(path, f"has {len(value)} items, allowed {low} to {high}")
    return value


def url(value: object, path: str) -> str:
    found = text(value, path, limits.MAX_URL_CHARS)
    if not _URL.fullmatch(found):
        refuse(path, "must be an http or https URL")
    return found


def timestamp(value: object, path: str) -> str:
    found = text(value, path, 64)
    if not _TIMESTAMP.fullmatch(found):
        refuse(
            path, "must be an ISO 8601 date and time with its offset, such as 2024-05-01T09:00:00Z"
        )
    try:
        datetime.fromisoformat(found)
    except ValueError:
        refuse(path, "is not a real date and time")
    return found


def instant(found: str) -> datetime:
    """A timestamp `timestamp` accepted, as a datetime (for comparing two of them)."""
    return datetime.fromisoformat(found)


def mime_type(value: object, path: str, families: Collection[str]) -> str:
    """A MIME type of one of the families (`image`, ...), lower-cased as MIME types compare."""
    found = text(value, path, 255).lower()
    family, _, subtype = found.partition("/")
    if family not in families or not _SUBTYPE.fullmatch(subtype):
        refuse(path, f"must be a MIME type of {', '.join(f'{f}/*' for f in families)}")
    return found


def phone_number(value: object, path: str) -> str:
    found = text(value, path, limits.MAX_PHONE_DIGITS + 1)
    if not _PHONE.fullmatch(found):
        refuse(
            path,
            f"must be {limits.MIN_PHONE_DIGITS} to {limits.MAX_PHONE_DIGITS} digits, "
            "with + before an international number",
        )
    return found
