"""An account's API keys beyond its first (`Account.api_key_hash`): any of them opens the HTTP
APIs as the account, so that a client can move to a new key before the old one is revoked.

A key is known by its id and label once created; its secret is shown once and only its hash is
stored (`hash_api_key`), as for the first key."""

from dataclasses import dataclass
from typing import Final

from smsgate.domain.account import hash_api_key, new_api_key
from smsgate.domain.errors import GatewayError
from smsgate.domain.ids import new_id

MAX_LABEL: Final = 100  # characters
MAX_KEYS: Final = 20  # per account, beside its first key: enough to rotate, not a key store


@dataclass(frozen=True, slots=True)
class ApiKey:
    """What is shown of a key: never its secret or its hash."""

    id: str
    account_id: str
    label: str
    created_at: float


def checked_label(label: str | None) -> str:
    """The label as stored (trimmed; "" for none); GatewayError for one too long or with
    control characters."""
    text = (label or "").strip()
    if len(text) > MAX_LABEL:
        raise GatewayError("parameter_too_long", f"a key's label is at most {MAX_LABEL} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise GatewayError("invalid_request", "a key's label has no control characters")
    return text


def new_account_key(account_id: str, label: str | None, at: float) -> tuple[ApiKey, str, str]:
    """A new key of the account: what is shown of it, its secret (shown once) and its hash."""
    secret = new_api_key()
    key = ApiKey(id=new_id(), account_id=account_id, label=checked_label(label), created_at=at)
    return key, secret, hash_api_key(secret)
