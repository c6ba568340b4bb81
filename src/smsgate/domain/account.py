"""Accounts and their credentials.

API keys are long random strings, so a plain SHA-256 is enough to store them and cheap enough to
check on every HTTP request. SMPP passwords are short (at most 8 characters), so they are stored
with scrypt; binds are rare enough to pay for it.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Final

DEFAULT_RATE: Final = 30.0  # messages per second, as SMSC.ru's default
_SCRYPT: Final = {"n": 2**14, "r": 8, "p": 1}
# what an SMPP client's data_coding 0 may mean: the GSM 03.38 alphabet (the default, as at
# SMSC.ru), ASCII (IA5) or Latin-1 (ISO 8859-1)
DATA_CODING_0: Final = ("gsm", "ascii", "latin1")


def new_webhook_secret() -> str:
    """A callback signing key: 256 random bits as hex, the form migration 14 gives too."""
    return secrets.token_hex(32)


@dataclass(slots=True)
class Account:
    id: str
    name: str
    api_key_hash: str | None = None
    smpp_system_id: str | None = None
    smpp_password_hash: str | None = None
    rate_limit: float = DEFAULT_RATE
    created_at: float = 0.0
    enabled: bool = True
    callback_url: str | None = None  # status callbacks of messages that name no URL of their own
    inbound_url: str | None = None  # MO (inbound messages) webhook
    # HMAC key of callback signatures: every account gets one; None only when an operator
    # turned signing off
    webhook_secret: str | None = field(default_factory=new_webhook_secret)
    signature: str | None = None  # signature scheme name (smsgate.callbacks.signing); None: native
    # MO keywords that add the sender to / remove it from the account's opt-out list,
    # space-separated; None: the defaults (smsgate.domain.opt_out)
    opt_out_keywords: str | None = None
    opt_in_keywords: str | None = None
    currency: str | None = None  # of prices and the balance; None: the configured default
    # seconds in which the same source, destination and text is refused as a duplicate;
    # None: the gateway's default, 0: off
    dedup_window: float | None = None
    # addresses and networks (space-separated) its HTTP requests may come from; None: any
    ip_allow: str | None = None
    bot_id: str | None = None  # the bot a KDDI Message Cast client names in its URLs
    retention: float | None = None  # seconds its messages are kept; None: until deleted
    callback_format: str | None = None  # a dialect's callback shape; None: smsgate's own
    # what data_coding 0 means on its SMPP binds (one of DATA_CODING_0); None: "gsm"
    data_coding_0: str | None = None
    # where its RCS bot's webhooks go (users' messages, taps, subscriptions, RCS statuses);
    # None: its inbound URL
    rcs_webhook_url: str | None = None


def new_api_key() -> str:
    return "sg_" + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), dklen=32, **_SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)
