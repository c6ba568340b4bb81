"""When a message starts and how long it stays valid, as accepting and replacing check them."""

from smsgate.domain.errors import GatewayError


def start_of(scheduled: float | None, now: float, max_ahead: float) -> float | None:
    """The time a message is scheduled for, or None to send it now (a time already past);
    GatewayError "invalid_schedule" for one too far ahead."""
    if scheduled is None:
        return None
    if scheduled > now + max_ahead:
        raise GatewayError("invalid_schedule", "too far ahead")
    return scheduled if scheduled > now else None


def check_validity(validity: float, maximum: float) -> float:
    """A validity period in seconds; GatewayError "invalid_validity" outside 1 to `maximum`."""
    if not 0 < validity <= maximum:
        raise GatewayError("invalid_validity", f"between 1 and {maximum:g} seconds")
    return validity
