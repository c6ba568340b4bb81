"""Text the stores can keep: no NUL (U+0000) and no unpaired surrogate (U+D800 to U+DFFF).

PostgreSQL's text refuses NUL and neither backend can encode half of a surrogate pair as UTF-8,
so such a value would fail the write (and with it every message committed in the same
transaction) or a read. Interfaces hand the engine what clients sent; the engine checks it here
before anything is stored or looked up, so every interface and backend refuses it alike.
"""

import re
from collections.abc import Iterable
from typing import Final

from smsgate.domain.errors import GatewayError

_UNSTORABLE: Final = re.compile("[\x00\ud800-\udfff]")


def unstorable(value: str) -> str | None:
    """What in `value` cannot be stored ("U+0000 at character 5"), or None."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    return f"U+{ord(found.group()):04X} at character {found.start() + 1}"


def storable(value: str) -> str:
    """`value` with what cannot be stored replaced by U+FFFD: for a record of what was
    refused."""
    return _UNSTORABLE.sub("\ufffd", value)


def check_fields(fields: Iterable[tuple[str, object]], code: str = "invalid_character") -> None:
    """GatewayError(`code`) naming the first (name, value) whose string value cannot be
    stored; values that are not strings are not text and pass."""
    for name, value in fields:
        # per message on the accept path: ASCII without NUL (nearly every value) needs no regex
        if (
            isinstance(value, str)
            and ("\x00" in value or not value.isascii())
            and (what := unstorable(value)) is not None
        ):
            raise GatewayError(code, f"{name}: {what}")


def check_lookup(fields: Iterable[tuple[str, object]]) -> None:
    """The same for the ids and filters of a read: GatewayError("invalid_filter_character")."""
    check_fields(fields, "invalid_filter_character")
