"""Mobile-originated (MO) messages: as received, their parts before reassembly, the numbers
that route them to accounts, and the numbers that opted out."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A mobile-originated message received from a carrier."""

    id: str
    connector_id: str
    source: str
    destination: str
    text: str | None  # None when the payload is not text (binary data_coding)
    data_coding: int
    payload: bytes
    received_at: float
    account_id: str | None = None  # None until a number-to-account mapping claims it
    segments: int = 1
    complete: bool = True  # False when some segments never arrived
    reference: int | None = None  # the concatenation reference of a message sent in parts


@dataclass(frozen=True, slots=True)
class InboundSegment:
    """One part of a concatenated MO message, kept until its message is stored whole (or
    flushed as partial), so that a restart in between loses no part."""

    source: str
    destination: str
    reference: int
    total: int
    seq: int
    connector_id: str
    data_coding: int
    payload: bytes  # the part's body without its UDH
    received_at: float


@dataclass(frozen=True, slots=True)
class OptOut:
    """A number stops (active) or resumes (not active) receiving an account's messages."""

    account_id: str
    number: str  # E.164 digits
    at: float
    active: bool = True


@dataclass(frozen=True, slots=True)
class InboundNumber:
    """A number (or a keyword on it) whose MO messages go to an account."""

    number: str  # as carriers send it: digits, no "+"
    keyword: str  # upper case; "" takes the number's MO that no keyword claims
    account_id: str
    created_at: float
