"""What counts as an e-mail address here: a plain `local@domain` (RFC 5321's mailbox without
quoting or comments), the local part ASCII, the domain ASCII or an internationalised name
(sent in its IDNA form), at most 254 characters as SMTP allows."""

import re
from typing import Final

MAX_ADDRESS: Final = 254
_LOCAL: Final = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL: Final = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def smtp_address(value: str) -> str | None:
    """The address as it goes into the SMTP envelope (the domain in IDNA form), or None when
    `value` is not an address."""
    if len(value) > MAX_ADDRESS or value.count("@") != 1:
        return None
    local, _, domain = value.partition("@")
    if len(local) > 64 or not _LOCAL.fullmatch(local):
        return None
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return None
    labels = ascii_domain.split(".")
    if len(ascii_domain) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    if len(labels) < 2 and ascii_domain.lower() != "localhost":
        return None
    return f"{local}@{ascii_domain}"


def is_address(value: str) -> bool:
    return smtp_address(value) is not None


__all__ = ["MAX_ADDRESS", "is_address", "smtp_address"]
