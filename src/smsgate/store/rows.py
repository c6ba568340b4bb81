"""The tables both backends read and write, declared once, and their row functions.

Rows read back are indexed by position in the order declared here (sqlite3 tuples, asyncpg
records); the SELECTs of `smsgate.store.sql` list the same columns.
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

from smsgate.domain.account import Account
from smsgate.domain.inbound import InboundMessage, InboundNumber, InboundSegment, OptOut
from smsgate.domain.message import Message, Part, Priority, StatusChange
from smsgate.domain.outbox import AttemptOutcome, OutboxAttempt, OutboxItem, OutboxState
from smsgate.domain.pricing import PriceRule
from smsgate.domain.routing_tables import ConnectorRow, PrefixRow, RouteRow
from smsgate.domain.status import Status
from smsgate.domain.submitted_part import SubmittedPart
from smsgate.store.changes import IdempotentResponse
from smsgate.store.columns import (
    BOOL,
    BYTES,
    JSON,
    OPTIONAL_BYTES,
    PLAIN,
    Column,
    Conversion,
    Table,
    enum,
    make_reader,
    make_values,
)

STATUS: Final = enum(Status)
# a tuple of channel names, kept comma-separated
CHANNELS: Final = Conversion(out="','.join({})", back="tuple({0}.split(',')) if {0} else ()")
OPTIONAL_JSON: Final = Conversion(
    out="None if {0} is None else to_json({0})",
    back="None if {0} is None else json_loads({0})",
    names=JSON.names,
)
DECIMAL: Final = Conversion(out="str({})", back="Decimal({})", names={"Decimal": Decimal})

MESSAGES: Final = Table(
    "messages",
    (
        Column("id", "text"),
        Column("account_id", "text"),
        Column("source", "text"),
        Column("source_ton", "int4"),
        Column("source_npi", "int4"),
        Column("destination", "text"),
        Column("text", "text"),
        Column("encoding", "text"),
        Column("data_coding", "int4"),
        Column("segments", "int4"),
        Column("created_at", "float8"),
        Column("updated_at", "float8"),
        Column("valid_until", "float8"),
        Column("priority", "int4", enum(Priority)),
        Column("status", "text", STATUS),
        Column("client_ref", "text"),
        Column("callback_url", "text"),
        Column("scheduled_at", "float8"),
        Column("carrier", "text"),
        Column("route_id", "text"),
        Column("registered_delivery", "bool", BOOL),
        Column("price", "text"),
        Column("price_unit", "text"),
        Column("error_code", "text"),
        Column("error_detail", "text"),
        Column("origin", "text"),
        Column("tag", "text"),
        Column("comment", "text"),
        Column("receipt_only", "text"),
        Column("udh", "bytea", OPTIONAL_BYTES),
        Column("channel", "text"),
        Column("fallback", "text", CHANNELS),
        Column("channel_until", "float8"),
        Column("content", "text", OPTIONAL_JSON),
        Column("result", "text", OPTIONAL_JSON),
    ),
)
message_values: Final = make_values(MESSAGES)
message_from: Final = make_reader(Message, MESSAGES, extra=("parts",))

# the parameters of sql.REPLACE_MESSAGE: a message rewritten before it reached a carrier
REPLACED: Final = Table(
    "messages",
    (
        *(
            Column(name, kind, convert, f"message.{name}")
            for name, kind, convert in (
                ("text", "text", PLAIN),
                ("comment", "text", PLAIN),
                ("encoding", "text", PLAIN),
                ("data_coding", "int4", PLAIN),
                ("segments", "int4", PLAIN),
                ("valid_until", "float8", PLAIN),
                ("status", "text", STATUS),
                ("scheduled_at", "float8", PLAIN),
                ("registered_delivery", "bool", BOOL),
                ("receipt_only", "text", PLAIN),
                ("price", "text", PLAIN),
                ("price_unit", "text", PLAIN),
                ("callback_url", "text", PLAIN),
                ("channel", "text", PLAIN),
                ("fallback", "text", CHANNELS),
                ("channel_until", "float8", PLAIN),
            )
        ),
        Column("updated_at", "float8", field="at"),
        Column("id", "text", field="message.id"),  # the key, last
    ),
)
replaced_values: Final = make_values(REPLACED)

PARTS: Final = Table(
    "parts",
    (
        Column("message_id", "text"),
        Column("seq", "int4"),
        Column("short_message", "bytea", BYTES),
        Column("esm_class", "int4"),
        Column("sar_ref", "int4"),
        Column("sar_total", "int4"),
        Column("sar_seq", "int4"),
        Column("status", "text", STATUS),
        Column("upstream_id", "text"),
        Column("connector_id", "text"),
        Column("error_code", "text"),
        Column("error_detail", "text"),
        Column("attempts", "int4"),
        Column("submitted_at", "float8"),
        Column("done_at", "float8"),
    ),
)
part_values: Final = make_values(PARTS)
part_from: Final = make_reader(Part, PARTS)

# written from batch.HistoryRow tuples, in this order
HISTORY: Final = Table(
    "status_history",
    (
        Column("message_id", "text"),
        Column("part_seq", "int4"),
        Column("status", "text", STATUS),
        Column("at", "float8"),
        Column("detail", "text"),
        Column("applied", "bool", BOOL),
    ),
)
history_from: Final = make_reader(StatusChange, HISTORY)

ACCOUNTS: Final = Table(
    "accounts",
    (
        Column("id", "text"),
        Column("name", "text"),
        Column("api_key_hash", "text"),
        Column("smpp_system_id", "text"),
        Column("smpp_password_hash", "text"),
        Column("rate_limit", "float8"),
        Column("enabled", "bool", BOOL),
        Column("created_at", "float8"),
        Column("callback_url", "text"),
        Column("inbound_url", "text"),
        Column("webhook_secret", "text"),
        Column("signature", "text"),
        Column("opt_out_keywords", "text"),
        Column("opt_in_keywords", "text"),
        Column("currency", "text"),
        Column("dedup_window", "float8"),
        Column("ip_allow", "text"),
        Column("bot_id", "text"),
        Column("retention", "float8"),
        Column("callback_format", "text"),
        Column("data_coding_0", "text"),
        Column("rcs_webhook_url", "text"),
    ),
)
account_values: Final = make_values(ACCOUNTS)
account_from: Final = make_reader(Account, ACCOUNTS)

INBOUND: Final = Table(
    "inbound",
    (
        Column("id", "text"),
        Column("connector_id", "text"),
        Column("account_id", "text"),
        Column("source", "text"),
        Column("destination", "text"),
        Column("text", "text"),
        Column("data_coding", "int4"),
        Column("payload", "bytea", BYTES),
        Column("segments", "int4"),
        Column("complete", "bool", BOOL),
        Column("received_at", "float8"),
        Column("reference", "int4"),
    ),
)
inbound_values: Final = make_values(INBOUND)
inbound_from: Final = make_reader(InboundMessage, INBOUND)

SEGMENTS: Final = Table(
    "inbound_segments",
    (
        Column("source", "text"),
        Column("destination", "text"),
        Column("reference", "int4"),
        Column("total", "int4"),
        Column("seq", "int4"),
        Column("connector_id", "text"),
        Column("data_coding", "int4"),
        Column("payload", "bytea", BYTES),
        Column("received_at", "float8"),
    ),
)
segment_values: Final = make_values(SEGMENTS)
segment_from: Final = make_reader(InboundSegment, SEGMENTS)

SUBMITTED_PARTS: Final = Table(
    "submitted_parts",
    (
        Column("account_id", "text"),
        Column("source", "text"),
        Column("destination", "text"),
        Column("reference", "int4"),
        Column("total", "int4"),
        Column("seq", "int4"),
        Column("message_id", "text"),
        Column("system_type", "text"),
        Column("pdu", "bytea", BYTES),
        Column("received_at", "float8"),
    ),
)
submitted_part_values: Final = make_values(SUBMITTED_PARTS)
submitted_part_from: Final = make_reader(SubmittedPart, SUBMITTED_PARTS)

INBOUND_NUMBERS: Final = Table(
    "inbound_numbers",
    (
        Column("number", "text"),
        Column("keyword", "text"),
        Column("account_id", "text"),
        Column("created_at", "float8"),
    ),
)
inbound_number_values: Final = make_values(INBOUND_NUMBERS)
inbound_number_from: Final = make_reader(InboundNumber, INBOUND_NUMBERS)

OPT_OUTS: Final = Table(
    "opt_outs", (Column("account_id", "text"), Column("number", "text"), Column("at", "float8"))
)
opt_out_from: Final = make_reader(OptOut, OPT_OUTS)


def opt_out_rows(changes: Sequence[OptOut], *, active: bool) -> list[tuple[Any, ...]]:
    """The rows to upsert (active) or the keys to delete (not active)."""
    return [
        (c.account_id, c.number, c.at) if active else (c.account_id, c.number)
        for c in changes
        if c.active is active
    ]


OUTBOX: Final = Table(
    "outbox",
    (
        Column("id", "text"),
        Column("channel", "text"),
        Column("account_id", "text"),
        Column("subject_id", "text"),
        Column("event", "text"),
        Column("url", "text"),
        Column("payload", "jsonb", JSON),
        Column("state", "text", enum(OutboxState)),
        Column("attempts", "int4"),
        Column("next_attempt_at", "float8"),
        Column("last_error", "text"),
        Column("created_at", "float8"),
        # an item never updated was last updated when it was created
        Column("updated_at", "float8", Conversion(out="o.created_at if {0} is None else {0}")),
    ),
)
outbox_values: Final = make_values(OUTBOX)
outbox_from: Final = make_reader(OutboxItem, OUTBOX)

# each delivery attempt of an outbox item (migration 22); the table's serial id, not listed,
# orders one item's attempts
OUTBOX_ATTEMPTS: Final = Table(
    "outbox_attempts",
    (
        Column("outbox_id", "text"),
        Column("attempt", "int4"),
        Column("at", "float8"),
        Column("outcome", "text", enum(AttemptOutcome)),
        Column("code", "int8"),
        Column("detail", "text"),
        Column("duration", "float8"),
    ),
)
outbox_attempt_values: Final = make_values(OUTBOX_ATTEMPTS)
outbox_attempt_from: Final = make_reader(OutboxAttempt, OUTBOX_ATTEMPTS)


def prune_rows(attempts: Sequence[OutboxAttempt], kept: int) -> list[tuple[str, str, int]]:
    """The rows of sql.PRUNE_ATTEMPTS: each item with an attempt numbered above `kept` once."""
    items = dict.fromkeys(a.outbox_id for a in attempts if a.attempt > kept)
    return [(item, item, kept) for item in items]


# Updates as rows: the key columns first, then the new values (None: keep the stored one)
PART_UPDATES: Final = Table(
    "parts",
    (
        Column("message_id", "text"),
        Column("seq", "int4"),
        Column("status", "text", STATUS),
        Column("upstream_id", "text"),
        Column("connector_id", "text"),
        Column("error_code", "text"),
        Column("error_detail", "text"),
        Column("attempts", "int4"),
        Column("submitted_at", "float8"),
        Column("done_at", "float8"),
    ),
)
part_update_row: Final = make_values(PART_UPDATES)

MESSAGE_UPDATES: Final = Table(
    "messages",
    (
        Column("id", "text", field="message_id"),
        Column("status", "text", STATUS),
        Column("at", "float8"),
        Column("error_code", "text"),
        Column("error_detail", "text"),
        Column("carrier", "text"),
        Column("route_id", "text"),
    ),
)
message_update_row: Final = make_values(MESSAGE_UPDATES)

OUTBOX_UPDATES: Final = Table(
    "outbox",
    (
        Column("id", "text"),
        Column("state", "text", enum(OutboxState)),
        Column("attempts", "int4"),
        Column("next_attempt_at", "float8"),
        Column("last_error", "text"),
        Column("at", "float8"),
    ),
)
outbox_update_row: Final = make_values(OUTBOX_UPDATES)

CONNECTORS: Final = Table(
    "connectors",
    (
        Column("id", "text"),
        Column("kind", "text"),
        Column("config", "jsonb", JSON),
        Column("enabled", "bool", BOOL),
    ),
)
connector_values: Final = make_values(CONNECTORS)
connector_from: Final = make_reader(ConnectorRow, CONNECTORS)

ROUTES: Final = Table(
    "routes", (Column("id", "text"), Column("position", "int4"), Column("spec", "jsonb", JSON))
)
route_values: Final = make_values(ROUTES)
route_from: Final = make_reader(RouteRow, ROUTES)

PREFIXES: Final = Table(
    "carrier_prefixes",
    (Column("prefix", "text"), Column("carrier", "text"), Column("source", "text")),
)
prefix_from: Final = make_reader(PrefixRow, PREFIXES)

PORTABILITY: Final = Table(
    "portability",
    (Column("number", "text"), Column("carrier", "text"), Column("updated_at", "float8")),
)
portability_values: Final = make_values(PORTABILITY)

# a price list's rules, in order; the position column is the rule's place in the list
PRICES: Final = Table(
    "prices",
    (
        Column("route_id", "text"),
        Column("country", "text"),
        Column("carrier", "text"),
        Column("currency", "text"),
        Column(
            "per_segment",
            "text",
            Conversion(out="str({})", back="Decimal({})", names={"Decimal": Decimal}),
        ),
    ),
)
_price_values: Final = make_values(PRICES)
price_from: Final = make_reader(PriceRule, PRICES)


def price_values(position: int, rule: PriceRule) -> tuple[Any, ...]:
    return (position, *_price_values(rule))


IDEMPOTENT: Final = Table(
    "idempotency_keys",
    (
        Column("account_id", "text"),
        Column("idem_key", "text", field="key"),
        Column("request_hash", "text"),
        Column("status_code", "int4"),
        Column("body", "bytea"),
        Column("created_at", "float8"),
    ),
)
idempotent_values: Final = make_values(IDEMPOTENT)


def balance_rows(balances: dict[str, tuple[int, float]]) -> list[tuple[str, int, float]]:
    """A write plan's balance changes as rows of sql.BALANCE_UPDATE."""
    return [(account_id, delta, at) for account_id, (delta, at) in balances.items()]


def expired_key_rows(records: Sequence[IdempotentResponse]) -> list[tuple[str, str, float]]:
    return [(r.account_id, r.key, r.expired_before) for r in records]
