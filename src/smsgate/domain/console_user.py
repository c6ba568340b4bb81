"""People who use the web console: operators (every account and the gateway's own pages) and
customers (one account's pages only), with their passwords, login lockout and sessions.

Passwords are hashed with Argon2id (argon2-cffi's defaults): unlike API keys they are chosen by
people, short and guessable, so they need a slow, memory-hard hash. Logins are rare enough to
pay for it (about 50 ms)."""

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD: Final = 10  # characters
MAX_PASSWORD: Final = 200  # longer ones cost hashing time for no gain
NAME_PATTERN: Final = re.compile(r"[A-Za-z0-9._@-]{1,64}")
# failed logins of one user in a row before it is locked; each further failure doubles the lock
LOCK_AFTER: Final = 5
FIRST_LOCK: Final = 30.0  # seconds
LONGEST_LOCK: Final = 3600.0

_HASHER: Final = PasswordHasher()


class Role(StrEnum):
    OPERATOR = "operator"
    CUSTOMER = "customer"


class ConsoleUserError(ValueError):
    """A user name, role or password the console cannot take; the message says why."""


@dataclass(slots=True)
class ConsoleUser:
    name: str
    role: Role
    account_id: str | None  # the customer's account; None for an operator
    password_hash: str
    created_at: float
    failures: int = 0  # failed logins in a row
    locked_until: float = 0.0  # Unix seconds; no login before then

    def sees(self, account_id: str) -> bool:
        """Whether this user may see and act on the account's data."""
        return self.role is Role.OPERATOR or self.account_id == account_id


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    id_hash: str  # SHA-256 of the cookie's value
    user_name: str
    csrf_token: str
    created_at: float
    expires_at: float


def check_user(name: str, role: str, account_id: str | None) -> Role:
    """The role, once the name and the account binding fit it; ConsoleUserError otherwise."""
    if not NAME_PATTERN.fullmatch(name):
        raise ConsoleUserError("a user name is 1 to 64 letters, digits or the characters . _ @ -")
    try:
        chosen = Role(role)
    except ValueError:
        raise ConsoleUserError(f"the role is operator or customer, not {role!r}") from None
    if chosen is Role.CUSTOMER and not account_id:
        raise ConsoleUserError("a customer belongs to one account: name it")
    if chosen is Role.OPERATOR and account_id:
        raise ConsoleUserError("an operator sees every account: name none")
    return chosen


def hash_console_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ConsoleUserError(f"a password is {MIN_PASSWORD} to {MAX_PASSWORD} characters long")
    return _HASHER.hash(password)


def check_console_password(password: str, stored: str) -> bool:
    if len(password) > MAX_PASSWORD:
        return False
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def lock_for(failures: int) -> float:
    """Seconds a user is locked after `failures` failed logins in a row (0: not locked)."""
    if failures < LOCK_AFTER:
        return 0.0
    return float(min(FIRST_LOCK * 2 ** min(failures - LOCK_AFTER, 20), LONGEST_LOCK))
