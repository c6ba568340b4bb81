"""Column lists and conversions between domain objects and table rows, shared by both backends.

The column types are PostgreSQL's names; the PostgreSQL backend needs them to cast arrays. Rows
read back are indexed by position in the order of these lists (sqlite3 tuples, asyncpg records).
"""

import json
from collections.abc import Sequence
from typing import Any, Final, Protocol

from smsgate.domain.account import Account
from smsgate.domain.inbound import InboundMessage, InboundNumber, InboundSegment, OptOut
from smsgate.domain.message import Message, Part, Priority, StatusChange
from smsgate.domain.outbox import OutboxItem, OutboxState
from smsgate.domain.pricing import PriceRule
from smsgate.domain.routing_tables import ConnectorRow, PortabilityRow, PrefixRow, RouteRow
from smsgate.domain.status import Status
from smsgate.store.changes import (
    IdempotentResponse,
    MessageReplaced,
    MessageUpdate,
    OutboxUpdate,
    PartUpdate,
)


class Row(Protocol):
    """A row read back: an sqlite3 tuple or an asyncpg Record, read by column position."""

    def __getitem__(self, index: int, /) -> Any: ...


MESSAGE_COLUMNS: Final = (
    ("id", "text"),
    ("account_id", "text"),
    ("source", "text"),
    ("source_ton", "int4"),
    ("source_npi", "int4"),
    ("destination", "text"),
    ("text", "text"),
    ("encoding", "text"),
    ("data_coding", "int4"),
    ("segments", "int4"),
    ("created_at", "float8"),
    ("updated_at", "float8"),
    ("valid_until", "float8"),
    ("priority", "int4"),
    ("status", "text"),
    ("client_ref", "text"),
    ("callback_url", "text"),
    ("scheduled_at", "float8"),
    ("carrier", "text"),
    ("route_id", "text"),
    ("registered_delivery", "bool"),
    ("price", "text"),
    ("price_unit", "text"),
    ("error_code", "text"),
    ("error_detail", "text"),
    ("origin", "text"),
    ("tag", "text"),
    ("comment", "text"),
    ("receipt_only", "text"),
    ("udh", "bytea"),
)

PART_COLUMNS: Final = (
    ("message_id", "text"),
    ("seq", "int4"),
    ("short_message", "bytea"),
    ("esm_class", "int4"),
    ("sar_ref", "int4"),
    ("sar_total", "int4"),
    ("sar_seq", "int4"),
    ("status", "text"),
    ("upstream_id", "text"),
    ("connector_id", "text"),
    ("error_code", "text"),
    ("error_detail", "text"),
    ("attempts", "int4"),
    ("submitted_at", "float8"),
    ("done_at", "float8"),
)

HISTORY_COLUMNS: Final = (
    ("message_id", "text"),
    ("part_seq", "int4"),
    ("status", "text"),
    ("at", "float8"),
    ("detail", "text"),
    ("applied", "bool"),
)

ACCOUNT_COLUMNS: Final = (
    ("id", "text"),
    ("name", "text"),
    ("api_key_hash", "text"),
    ("smpp_system_id", "text"),
    ("smpp_password_hash", "text"),
    ("rate_limit", "float8"),
    ("enabled", "bool"),
    ("created_at", "float8"),
    ("callback_url", "text"),
    ("inbound_url", "text"),
    ("webhook_secret", "text"),
    ("signature", "text"),
    ("opt_out_keywords", "text"),
    ("opt_in_keywords", "text"),
    ("currency", "text"),
    ("dedup_window", "float8"),
    ("ip_allow", "text"),
    ("bot_id", "text"),
    ("retention", "float8"),
    ("callback_format", "text"),
)

INBOUND_COLUMNS: Final = (
    ("id", "text"),
    ("connector_id", "text"),
    ("account_id", "text"),
    ("source", "text"),
    ("destination", "text"),
    ("text", "text"),
    ("data_coding", "int4"),
    ("payload", "bytea"),
    ("segments", "int4"),
    ("complete", "bool"),
    ("received_at", "float8"),
    ("reference", "int4"),
)

INBOUND_SEGMENT_COLUMNS: Final = (
    ("source", "text"),
    ("destination", "text"),
    ("reference", "int4"),
    ("total", "int4"),
    ("seq", "int4"),
    ("connector_id", "text"),
    ("data_coding", "int4"),
    ("payload", "bytea"),
    ("received_at", "float8"),
)

INBOUND_NUMBER_COLUMNS: Final = (
    ("number", "text"),
    ("keyword", "text"),
    ("account_id", "text"),
    ("created_at", "float8"),
)

OUTBOX_COLUMNS: Final = (
    ("id", "text"),
    ("channel", "text"),
    ("account_id", "text"),
    ("subject_id", "text"),
    ("event", "text"),
    ("url", "text"),
    ("payload", "jsonb"),
    ("state", "text"),
    ("attempts", "int4"),
    ("next_attempt_at", "float8"),
    ("last_error", "text"),
    ("created_at", "float8"),
    ("updated_at", "float8"),
)

# Updates as rows: the key columns first, then the new values (None: keep the stored one)
PART_UPDATE_COLUMNS: Final = (
    ("message_id", "text"),
    ("seq", "int4"),
    ("status", "text"),
    ("upstream_id", "text"),
    ("connector_id", "text"),
    ("error_code", "text"),
    ("error_detail", "text"),
    ("attempts", "int4"),
    ("submitted_at", "float8"),
    ("done_at", "float8"),
)
MESSAGE_UPDATE_COLUMNS: Final = (
    ("id", "text"),
    ("status", "text"),
    ("at", "float8"),
    ("error_code", "text"),
    ("error_detail", "text"),
    ("carrier", "text"),
    ("route_id", "text"),
)
OUTBOX_UPDATE_COLUMNS: Final = (
    ("id", "text"),
    ("state", "text"),
    ("attempts", "int4"),
    ("next_attempt_at", "float8"),
    ("last_error", "text"),
    ("at", "float8"),
)


def part_update_row(u: PartUpdate) -> tuple[Any, ...]:
    return (
        u.message_id,
        u.seq,
        u.status.value,
        u.upstream_id,
        u.connector_id,
        u.error_code,
        u.error_detail,
        u.attempts,
        u.submitted_at,
        u.done_at,
    )


def message_update_row(u: MessageUpdate) -> tuple[Any, ...]:
    return (u.message_id, u.status.value, u.at, u.error_code, u.error_detail, u.carrier, u.route_id)


def outbox_update_row(u: OutboxUpdate) -> tuple[Any, ...]:
    return (u.id, u.state.value, u.attempts, u.next_attempt_at, u.last_error, u.at)


def names(columns: Sequence[tuple[str, str]], prefix: str = "") -> str:
    return ", ".join(prefix + name for name, _ in columns)


def message_values(m: Message) -> tuple[Any, ...]:
    return (
        m.id,
        m.account_id,
        m.source,
        m.source_ton,
        m.source_npi,
        m.destination,
        m.text,
        m.encoding,
        m.data_coding,
        m.segments,
        m.created_at,
        m.updated_at,
        m.valid_until,
        int(m.priority),
        m.status.value,
        m.client_ref,
        m.callback_url,
        m.scheduled_at,
        m.carrier,
        m.route_id,
        m.registered_delivery,
        m.price,
        m.price_unit,
        m.error_code,
        m.error_detail,
        m.origin,
        m.tag,
        m.comment,
        m.receipt_only,
        m.udh,
    )


def replaced_values(change: MessageReplaced) -> tuple[Any, ...]:
    """The parameters of sql.REPLACE_MESSAGE."""
    m = change.message
    return (
        m.text,
        m.comment,
        m.encoding,
        m.data_coding,
        m.segments,
        m.valid_until,
        m.status.value,
        m.scheduled_at,
        m.registered_delivery,
        m.receipt_only,
        m.price,
        m.price_unit,
        change.at,
        m.id,
    )


def message_from(row: Row, parts: list[Part]) -> Message:
    return Message(
        id=row[0],
        account_id=row[1],
        source=row[2],
        source_ton=row[3],
        source_npi=row[4],
        destination=row[5],
        text=row[6],
        encoding=row[7],
        data_coding=row[8],
        segments=row[9],
        created_at=row[10],
        updated_at=row[11],
        valid_until=row[12],
        priority=Priority(row[13]),
        status=Status(row[14]),
        client_ref=row[15],
        callback_url=row[16],
        scheduled_at=row[17],
        carrier=row[18],
        route_id=row[19],
        registered_delivery=bool(row[20]),
        price=row[21],
        price_unit=row[22],
        error_code=row[23],
        error_detail=row[24],
        origin=row[25],
        tag=row[26],
        comment=row[27],
        receipt_only=row[28],
        udh=None if row[29] is None else bytes(row[29]),
        parts=parts,
    )


def part_values(p: Part) -> tuple[Any, ...]:
    return (
        p.message_id,
        p.seq,
        p.short_message,
        p.esm_class,
        p.sar_ref,
        p.sar_total,
        p.sar_seq,
        p.status.value,
        p.upstream_id,
        p.connector_id,
        p.error_code,
        p.error_detail,
        p.attempts,
        p.submitted_at,
        p.done_at,
    )


def part_from(row: Row) -> Part:
    return Part(
        message_id=row[0],
        seq=row[1],
        short_message=bytes(row[2]),
        esm_class=row[3],
        sar_ref=row[4],
        sar_total=row[5],
        sar_seq=row[6],
        status=Status(row[7]),
        upstream_id=row[8],
        connector_id=row[9],
        error_code=row[10],
        error_detail=row[11],
        attempts=row[12],
        submitted_at=row[13],
        done_at=row[14],
    )


def history_from(row: Row) -> StatusChange:
    return StatusChange(
        message_id=row[0],
        part_seq=row[1],
        status=Status(row[2]),
        at=row[3],
        detail=row[4],
        applied=bool(row[5]),
    )


def account_values(a: Account) -> tuple[Any, ...]:
    return (
        a.id,
        a.name,
        a.api_key_hash,
        a.smpp_system_id,
        a.smpp_password_hash,
        a.rate_limit,
        a.enabled,
        a.created_at,
        a.callback_url,
        a.inbound_url,
        a.webhook_secret,
        a.signature,
        a.opt_out_keywords,
        a.opt_in_keywords,
        a.currency,
        a.dedup_window,
        a.ip_allow,
        a.bot_id,
        a.retention,
        a.callback_format,
    )


def account_from(row: Row) -> Account:
    return Account(
        id=row[0],
        name=row[1],
        api_key_hash=row[2],
        smpp_system_id=row[3],
        smpp_password_hash=row[4],
        rate_limit=row[5],
        enabled=bool(row[6]),
        created_at=row[7],
        callback_url=row[8],
        inbound_url=row[9],
        webhook_secret=row[10],
        signature=row[11],
        opt_out_keywords=row[12],
        opt_in_keywords=row[13],
        currency=row[14],
        dedup_window=row[15],
        ip_allow=row[16],
        bot_id=row[17],
        retention=row[18],
        callback_format=row[19],
    )


def inbound_values(m: InboundMessage) -> tuple[Any, ...]:
    return (
        m.id,
        m.connector_id,
        m.account_id,
        m.source,
        m.destination,
        m.text,
        m.data_coding,
        m.payload,
        m.segments,
        m.complete,
        m.received_at,
        m.reference,
    )


def inbound_from(row: Row) -> InboundMessage:
    return InboundMessage(
        id=row[0],
        connector_id=row[1],
        account_id=row[2],
        source=row[3],
        destination=row[4],
        text=row[5],
        data_coding=row[6],
        payload=bytes(row[7]),
        segments=row[8],
        complete=bool(row[9]),
        received_at=row[10],
        reference=row[11],
    )


def segment_values(s: InboundSegment) -> tuple[Any, ...]:
    return (
        s.source,
        s.destination,
        s.reference,
        s.total,
        s.seq,
        s.connector_id,
        s.data_coding,
        s.payload,
        s.received_at,
    )


def segment_from(row: Row) -> InboundSegment:
    return InboundSegment(
        source=row[0],
        destination=row[1],
        reference=row[2],
        total=row[3],
        seq=row[4],
        connector_id=row[5],
        data_coding=row[6],
        payload=bytes(row[7]),
        received_at=row[8],
    )


def opt_out_rows(changes: Sequence[OptOut], *, active: bool) -> list[tuple[Any, ...]]:
    """The rows to upsert (active) or the keys to delete (not active)."""
    return [
        (c.account_id, c.number, c.at) if active else (c.account_id, c.number)
        for c in changes
        if c.active is active
    ]


def inbound_number_from(row: Row) -> InboundNumber:
    return InboundNumber(number=row[0], keyword=row[1], account_id=row[2], created_at=row[3])


def to_json(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def outbox_values(item: OutboxItem) -> tuple[Any, ...]:
    return (
        item.id,
        item.channel,
        item.account_id,
        item.subject_id,
        item.event,
        item.url,
        to_json(item.payload),
        item.state.value,
        item.attempts,
        item.next_attempt_at,
        item.last_error,
        item.created_at,
        item.created_at if item.updated_at is None else item.updated_at,
    )


def outbox_from(row: Row) -> OutboxItem:
    return OutboxItem(
        id=row[0],
        channel=row[1],
        account_id=row[2],
        subject_id=row[3],
        event=row[4],
        url=row[5],
        payload=json.loads(row[6]),
        state=OutboxState(row[7]),
        attempts=row[8],
        next_attempt_at=row[9],
        last_error=row[10],
        created_at=row[11],
        updated_at=row[12],
    )


def connector_values(c: ConnectorRow) -> tuple[Any, ...]:
    return (c.id, c.kind, to_json(c.config), c.enabled)


def connector_from(row: Row) -> ConnectorRow:
    return ConnectorRow(id=row[0], kind=row[1], config=json.loads(row[2]), enabled=bool(row[3]))


def route_values(r: RouteRow) -> tuple[Any, ...]:
    return (r.id, r.position, to_json(r.spec))


def route_from(row: Row) -> RouteRow:
    return RouteRow(id=row[0], position=row[1], spec=json.loads(row[2]))


def prefix_from(row: Row) -> PrefixRow:
    return PrefixRow(prefix=row[0], carrier=row[1], source=row[2])


def portability_values(r: PortabilityRow) -> tuple[Any, ...]:
    return (r.number, r.carrier, r.updated_at)


def balance_rows(balances: dict[str, tuple[int, float]]) -> list[tuple[str, int, float]]:
    """A write plan's balance changes as rows of sql.BALANCE_UPDATE."""
    return [(account_id, delta, at) for account_id, (delta, at) in balances.items()]


def expired_key_rows(records: Sequence[IdempotentResponse]) -> list[tuple[str, str, float]]:
    return [(r.account_id, r.key, r.expired_before) for r in records]


def idempotent_values(r: IdempotentResponse) -> tuple[Any, ...]:
    return (r.account_id, r.key, r.request_hash, r.status_code, r.body, r.created_at)


def price_values(position: int, rule: PriceRule) -> tuple[Any, ...]:
    return (
        position,
        rule.route_id,
        rule.country,
        rule.carrier,
        rule.currency,
        str(rule.per_segment),
    )
