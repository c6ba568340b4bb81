"""Row functions generated from the column declarations: a record written as a row and read
back is the same record, and each declaration covers every field its record stores."""

from dataclasses import fields, replace
from decimal import Decimal

from smsgate.domain.account import Account
from smsgate.domain.inbound import InboundMessage, InboundNumber, InboundSegment, OptOut
from smsgate.domain.message import Message, Part, Priority
from smsgate.domain.outbox import OutboxItem, OutboxState
from smsgate.domain.pricing import PriceRule
from smsgate.domain.routing_tables import ConnectorRow, RouteRow
from smsgate.domain.status import Status
from smsgate.store import rows
from smsgate.store.changes import MessageUpdate, PartUpdate
from tests.store.factories import new_account, new_message


def test_a_message_and_its_parts_round_trip() -> None:
    message = new_message(parts=2, client_ref="ref-1")
    message.priority = Priority.HIGH
    message.udh = b"\x05\x00\x03"
    parts = [rows.part_from(rows.part_values(part)) for part in message.parts]
    assert parts == message.parts
    assert rows.message_from(rows.message_values(message), parts) == message
    assert rows.message_values(message)[rows.MESSAGES.names().split(", ").index("status")] == (
        "accepted"
    )


def test_stored_records_round_trip() -> None:
    account = new_account()
    assert rows.account_from(rows.account_values(account)) == account
    inbound = InboundMessage("in-1", "sim", "8190", "1234", None, 4, b"\xff", 8.0, "acct-1", 2)
    assert rows.inbound_from(rows.inbound_values(inbound)) == inbound
    segment = InboundSegment("8190", "1234", 7, 2, 1, "sim", 0, b"hi", 11.0)
    assert rows.segment_from(rows.segment_values(segment)) == segment
    number = InboundNumber("8190", "STOP", "acct-1", 1.0)
    assert rows.inbound_number_from(rows.inbound_number_values(number)) == number
    connector = ConnectorRow("sim", "simulator", {"b": [1, 2], "a": None}, enabled=False)
    assert rows.connector_values(connector)[2] == '{"a":null,"b":[1,2]}'
    assert rows.connector_from(rows.connector_values(connector)) == connector
    route = RouteRow("r1", 3, {"connectors": ["sim"]})
    assert rows.route_from(rows.route_values(route)) == route
    rule = PriceRule(
        route_id=None, country="JP", carrier=None, currency="JPY", per_segment=Decimal("3.30")
    )
    assert rows.price_values(4, rule) == (4, None, "JP", None, "JPY", "3.30")
    assert rows.price_from(rows.price_values(4, rule)[1:]) == rule
    assert rows.opt_out_from(("acct-1", "8190", 5.0)) == OptOut("acct-1", "8190", 5.0)


def test_an_outbox_item_never_updated_was_updated_when_created() -> None:
    item = OutboxItem("ob-1", "http", "acct-1", "m-1", "delivered", {"a": 1}, 9.0, 9.5)
    values = rows.outbox_values(item)
    assert values[-2:] == (9.0, 9.0)
    assert rows.outbox_from(values) == replace(item, updated_at=9.0)
    settled = replace(item, state=OutboxState.DONE, attempts=1, updated_at=10.0)
    assert rows.outbox_from(rows.outbox_values(settled)) == settled


def test_updates_as_rows_key_first() -> None:
    part = PartUpdate("m-1", 2, Status.SENT, 5.5, "abc", "sim", attempts=1, submitted_at=5.5)
    assert rows.part_update_row(part) == ("m-1", 2, "sent", "abc", "sim", None, None, 1, 5.5, None)
    message = MessageUpdate("m-1", Status.FAILED, 6.0, "expired", carrier="docomo")
    assert rows.message_update_row(message) == (
        "m-1",
        "failed",
        6.0,
        "expired",
        None,
        "docomo",
        None,
    )


def test_declarations_cover_every_stored_field() -> None:
    for table, record, unstored in (
        (rows.MESSAGES, Message, {"parts"}),  # a table of their own
        (rows.PARTS, Part, set()),
        (rows.ACCOUNTS, Account, set()),
        (rows.OUTBOX, OutboxItem, set()),
        (rows.INBOUND, InboundMessage, set()),
        (rows.SEGMENTS, InboundSegment, set()),
        (rows.CONNECTORS, ConnectorRow, set()),
        (rows.OPT_OUTS, OptOut, {"active"}),  # an inactive opt-out is a deleted row
    ):
        declared = {column.attribute for column in table.columns}
        assert declared == {f.name for f in fields(record)} - unstored, table.name
