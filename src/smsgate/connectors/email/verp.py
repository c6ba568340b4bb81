"""Envelope senders that name their part (VERP): a bounce comes back to the envelope sender,
so a sender of its own per part tells which part bounced, whatever the bounce's text says.

    bounces+<id>.<seq>.<mac>@bounces.example

`<id>` is the message id (32 hex digits, the 128 bits of a UUIDv7) in lower-case base32,
`<seq>` the part's number, `<mac>` the first 64 bits of an HMAC-SHA256 of both under the
connector's `bounce_secret`, in base32: without the secret nobody can name a part, so a forged
bounce cannot fail someone else's message. Base32 survives a mail system that changes the case
of the local part; the whole stays within SMTP's 64 characters of local part.
"""

import base64
import binascii
import hashlib
import hmac
import re
from typing import Final

from smsgate.engine.ports import PartKey

MAX_LOCAL: Final = 64  # RFC 5321
_ID_CHARS: Final = 26  # 16 bytes in base32, without padding
_MAC_CHARS: Final = 13  # 8 bytes of the HMAC in base32, without padding
_MAX_SEQ_DIGITS: Final = 3  # parts are numbered up to 255
# what a bounce address's own local part may add: "+", the id, ".", the seq, ".", the mac
TOKEN_CHARS: Final = 1 + _ID_CHARS + 1 + _MAX_SEQ_DIGITS + 1 + _MAC_CHARS
MAX_BASE_LOCAL: Final = MAX_LOCAL - TOKEN_CHARS
_HEX_ID: Final = re.compile(r"[0-9a-f]{32}")
_TOKEN: Final = re.compile(r"([a-z2-7]{26})\.([1-9][0-9]{0,2})\.([a-z2-7]{13})")


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def _mac(secret: str, key: PartKey) -> str:
    digest = hmac.new(secret.encode(), f"{key.message_id}/{key.seq}".encode(), hashlib.sha256)
    return _b32(digest.digest()[:8])


def verp_address(bounce_address: str, secret: str, key: PartKey) -> str | None:
    """The envelope sender of a part, or None for a message id that is not 32 hex digits (it
    could not be told back from the address; such a part is sent as without bounces)."""
    if not _HEX_ID.fullmatch(key.message_id) or not 0 < key.seq < 10**_MAX_SEQ_DIGITS:
        return None
    local, _, domain = bounce_address.partition("@")
    token = f"{_b32(bytes.fromhex(key.message_id))}.{key.seq}.{_mac(secret, key)}"
    return f"{local}+{token}@{domain}"


def is_bounce_address(address: str, bounce_address: str) -> bool:
    """Whether `address` is one of the VERP addresses of `bounce_address` (signed or not)."""
    local, _, domain = address.lower().rpartition("@")
    base_local, _, base_domain = bounce_address.lower().partition("@")
    return domain == base_domain and local.startswith(base_local + "+")


def verp_key(address: str, bounce_address: str, secret: str) -> PartKey | None:
    """The part a VERP address names, or None when it is not one of `bounce_address`'s or its
    signature is wrong."""
    if not is_bounce_address(address, bounce_address):
        return None
    local = address.lower().rpartition("@")[0]
    found = _TOKEN.fullmatch(local.partition("+")[2])
    if found is None:
        return None
    encoded, seq, mac = found.groups()
    try:
        raw = base64.b32decode(encoded.upper() + "======")
    except binascii.Error:
        return None
    if len(raw) != 16:
        return None
    key = PartKey(raw.hex(), int(seq))
    if not hmac.compare_digest(mac, _mac(secret, key)):
        return None
    return key


__all__ = ["MAX_BASE_LOCAL", "is_bounce_address", "verp_address", "verp_key"]
