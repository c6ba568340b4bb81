"""How the message page shows one attempt to deliver a callback or receipt: the receiver's
answer (an HTTP status, or an SMPP command_status by name) or why there was none, and how long
the attempt took."""

from smsgate.domain.outbox import OutboxAttempt
from smsgate.smpp.constants import status_name


def answer(channel: str, attempt: OutboxAttempt) -> str:
    """The receiver's answer, with the error text when it says more than the answer does."""
    detail = attempt.detail or ""
    code = attempt.code
    if code is None:
        return detail
    if channel == "smpp":
        name = status_name(code)
        said = name if name.startswith("0x") else f"{name} ({code:#x})"
        repeated = f"{code:#x}" in detail
    else:
        said = f"HTTP {code}"
        repeated = said in detail
    return said if not detail or repeated else f"{said}: {detail}"


def duration(seconds: float | None) -> str:
    """Milliseconds under a second, else seconds; empty when not measured."""
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"
