"""The users who subscribed to an account's RCS bot (a `newUser` event of the channel)."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Subscriber:
    account_id: str
    user: str  # E.164 digits
    subscribed_at: float  # Unix seconds; the first subscription is kept
