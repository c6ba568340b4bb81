"""What a read of messages or inbound messages may be narrowed to: keyword arguments declared
once and shared by the store's reads and the engine's queries (`**filters: Unpack[...]`).
Times are Unix seconds, `*_after` inclusive and `*_before` exclusive."""

from typing import TypedDict

from smsgate.domain.status import Status


class MessageFilters(TypedDict, total=False):
    status: Status | None
    source: str | None
    destination: str | None
    client_ref: str | None
    created_after: float | None
    created_before: float | None
    tag: str | None
    comment_contains: str | None  # a part of the customer's comment (case-sensitive)
    channel: str | None  # the channel it goes (or went) by


class MessagePage(MessageFilters, total=False):
    """A page by cursor: newest first, `limit` rows after the one `cursor` names."""

    limit: int
    cursor: str | None


class NumberedPage(MessageFilters, total=False):
    """A page by position: `limit` rows `offset` rows in, newest first."""

    offset: int
    limit: int


class InboundFilters(TypedDict, total=False):
    source: str | None
    destination: str | None
    received_after: float | None
    received_before: float | None


class InboundPage(InboundFilters, total=False):
    limit: int
    cursor: str | None
