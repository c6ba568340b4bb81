"""What a credential an operator supplies must be: long and plain enough to be a secret and to
travel unquoted, and, for SMPP, within what the protocol carries.

A generated API key ("sg_" and 43 URL-safe characters) passes every rule. An SMPP bind carries
system_id and password as c-octet strings of at most 16 and 9 octets with their NUL, read as
ASCII: a longer or non-ASCII password would be stored and could then never bind.
"""

import re
from typing import Final

SMPP_MAX_SYSTEM_ID: Final = 15  # octets, without the NUL
SMPP_MAX_PASSWORD: Final = 8  # octets, without the NUL
# letters, digits and - _ . ~ : what a Bearer token, a query parameter and a form field carry
# unescaped; spaces, quotes and control characters would be mangled by some client on the way
_API_KEY: Final = re.compile(r"[A-Za-z0-9._~-]+")
_PRINTABLE_ASCII: Final = re.compile(r"[\x21-\x7e]+")  # no space, no control character


class CredentialError(ValueError):
    """A credential breaks a rule; the message says which."""


def check_api_key(key: str, min_length: int) -> None:
    if len(key) < min_length:
        raise CredentialError(
            f"the API key has {len(key)} characters; at least {min_length} "
            "(leave it out for a generated one)"
        )
    if not _API_KEY.fullmatch(key):
        raise CredentialError("the API key may hold letters, digits and - _ . ~ only")


def check_system_id(system_id: str) -> None:
    if not 1 <= len(system_id) <= SMPP_MAX_SYSTEM_ID:
        raise CredentialError(f"the SMPP system_id has 1 to SMPP's {SMPP_MAX_SYSTEM_ID} characters")
    if not _PRINTABLE_ASCII.fullmatch(system_id):
        raise CredentialError("the SMPP system_id holds ASCII letters, digits and punctuation only")


def check_smpp_password(password: str, min_length: int) -> None:
    if not _PRINTABLE_ASCII.fullmatch(password):
        raise CredentialError("the SMPP password holds ASCII letters, digits and punctuation only")
    if len(password) > SMPP_MAX_PASSWORD:
        raise CredentialError(
            f"the SMPP password is longer than SMPP's {SMPP_MAX_PASSWORD} characters"
        )
    if len(password) < min_length:
        raise CredentialError(
            f"the SMPP password has {len(password)} characters; at least {min_length}"
        )
