"""Typed errors of the SMPP core; a decode error carries the command_status the peer should get."""

from smsgate.smpp.constants import CommandStatus, status_name


class SmppError(Exception):
    """Base of every error raised by smsgate.smpp."""


class PduDecodeError(SmppError, ValueError):
    """Bytes that are not a valid PDU.

    `status` is the command_status to answer with; `sequence_number` and `command_id` are set when
    the header could be read. `fatal` means the stream cannot be re-framed (bad command_length): the
    connection has to be closed after the generic_nack.
    """

    def __init__(
        self,
        message: str,
        status: int,
        *,
        sequence_number: int | None = None,
        command_id: int | None = None,
        fatal: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.sequence_number = sequence_number
        self.command_id = command_id
        self.fatal = fatal

    def __str__(self) -> str:
        return f"{self.args[0]} ({status_name(self.status)})"


class PduEncodeError(SmppError, ValueError):
    """A PDU whose fields cannot be encoded (too long, out of range, not representable)."""


class SessionError(SmppError):
    """The local side tried something the SMPP session does not allow in its state."""


class WindowFullError(SessionError):
    """A request was sent while the outstanding-request window was full."""


__all__ = [
    "CommandStatus",
    "PduDecodeError",
    "PduEncodeError",
    "SessionError",
    "SmppError",
    "WindowFullError",
]
