"""Pages of a listing: limits, the opaque cursors of keyset pagination, and the key the
periodic jobs page by."""

import base64
import binascii
from typing import Final, NamedTuple

from smsgate.store.errors import InvalidCursorError

MAX_PAGE: Final = 1000  # rows per page of list_messages / list_inbound
MAX_UNFINISHED_PAGE: Final = 10_000


class Due(NamedTuple):
    """A message a periodic job found due: when (its validity's or its channel's end) and
    which. Pages come in this order, and the last one of a page is where the next starts."""

    at: float
    id: str


FROM_THE_START: Final = Due(float("-inf"), "")


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        last_id = raw.decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursorError(f"not a cursor from this API: {cursor!r}") from None
    if not last_id or not last_id.isprintable():
        raise InvalidCursorError(f"not a cursor from this API: {cursor!r}")
    return last_id


def check_limit(limit: int, maximum: int) -> int:
    if not 1 <= limit <= maximum:
        raise ValueError(f"limit must be between 1 and {maximum}, not {limit}")
    return limit
