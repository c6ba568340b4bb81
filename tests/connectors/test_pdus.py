"""The submit_sm built from a part, and what is read from a receipt PDU."""

from datetime import datetime

from smsgate.connectors.smpp import NetworkError, build_submit_sm, delivery_report, receipt_info
from smsgate.domain.status import Status
from smsgate.engine.ports import OutboundPart, PartKey
from smsgate.smpp import codec
from smsgate.smpp.constants import EsmClass, MessageState
from smsgate.smpp.pdu import DataSm, DeliverSm, SubmitSm
from smsgate.smpp.tlv import Tag
from smsgate.text import Sar

RECEIPT = (
    "id:0A1B sub:001 dlvrd:000 submit date:2401011200 done date:2401011205 stat:UNDELIV "
    "err:034 text:Hello"
)


def test_submit_sm_carries_every_field_of_the_part() -> None:
    part = OutboundPart(
        key=PartKey("m1", 2),
        source="Acme",
        source_ton=5,
        source_npi=0,
        destination="819012345678",
        body=b"\x00\x41",
        udhi=True,
        data_coding=8,
        receipt=True,
        priority=1,
        valid_until=1_800_003_600.0,
        sar=Sar(7, 3, 2),
    )
    pdu = codec.decode(codec.encode(build_submit_sm(part, now=1_800_000_000.0)))
    assert isinstance(pdu, SubmitSm)
    assert (pdu.source_addr_ton, pdu.source_addr_npi, pdu.source_addr) == (5, 0, "Acme")
    assert (pdu.dest_addr_ton, pdu.dest_addr_npi, pdu.destination_addr) == (1, 1, "819012345678")
    assert (pdu.esm_class, pdu.data_coding, pdu.registered_delivery) == (0x40, 8, 1)
    # the validity is relative to when the part leaves: an hour
    assert (pdu.priority_flag, pdu.validity_period) == (1, "000000010000000R")
    assert pdu.short_message == b"\x00\x41"
    assert pdu.tlvs == {
        Tag.SAR_MSG_REF_NUM: 7,
        Tag.SAR_TOTAL_SEGMENTS: 3,
        Tag.SAR_SEGMENT_SEQNUM: 2,
    }


def test_no_receipt_and_the_carrier_default_validity() -> None:
    part = OutboundPart(PartKey("m", 1), "1", "2", b"hi", receipt=False)
    pdu = build_submit_sm(part)
    assert pdu.registered_delivery == 0 and pdu.validity_period == "" and pdu.esm_class == 0


def test_a_part_past_its_validity_still_gets_a_second() -> None:
    part = OutboundPart(PartKey("m", 1), "1", "2", b"hi", valid_until=100.0)
    assert build_submit_sm(part, now=200.0).validity_period == "000000000001000R"


def test_long_part_goes_in_message_payload() -> None:
    text = b"x" * 300
    part = OutboundPart(PartKey("m", 1), "1", "2", text)
    pdu = build_submit_sm(part)
    assert pdu.short_message == b"" and pdu.tlvs[Tag.MESSAGE_PAYLOAD] == text
    assert build_submit_sm(OutboundPart(PartKey("m", 1), "1", "2", text[:254])).short_message


def _receipt(**tlvs: object) -> DeliverSm:
    pdu = DeliverSm(esm_class=EsmClass.SMSC_DELIVERY_RECEIPT, short_message=RECEIPT.encode())
    pdu.tlvs.update({Tag[name.upper()]: value for name, value in tlvs.items()})  # type: ignore[misc]
    return pdu


def test_receipt_text_alone_is_enough() -> None:
    info = receipt_info(_receipt())
    assert info.upstream_id == "0A1B" and info.state is MessageState.UNDELIVERABLE
    assert info.error_code == "034" and info.network_error is None
    assert info.done_date == datetime(2024, 1, 1, 12, 5)
    assert info.receipt is not None and info.receipt.text == "Hello"


def test_tlvs_come_before_the_text() -> None:
    info = receipt_info(
        _receipt(
            receipted_message_id="abc",
            message_state=int(MessageState.EXPIRED),
            network_error_code=b"\x03\x00\x1b",
        )
    )
    assert info.upstream_id == "abc" and info.state is MessageState.EXPIRED
    assert info.network_error == NetworkError(3, 27)
    assert info.error_code == "034"  # the text's err when it has one


def test_receipt_in_data_sm_payload_with_only_tlv_error() -> None:
    pdu = DataSm(esm_class=EsmClass.SMSC_DELIVERY_RECEIPT)
    pdu.tlvs[Tag.MESSAGE_PAYLOAD] = b"id:77 stat:DELIVRD"
    pdu.tlvs[Tag.NETWORK_ERROR_CODE] = b"\x03\x00\x05"
    info = receipt_info(pdu)
    assert (info.upstream_id, info.state, info.error_code) == ("77", MessageState.DELIVERED, "005")
    assert info.pdu is pdu


def test_unparseable_receipt_keeps_what_the_tlvs_say() -> None:
    pdu = DeliverSm(esm_class=EsmClass.SMSC_DELIVERY_RECEIPT, short_message=b"garbage")
    pdu.tlvs[Tag.RECEIPTED_MESSAGE_ID] = "x1"
    pdu.tlvs[Tag.MESSAGE_STATE] = 99  # not a state
    info = receipt_info(pdu)
    assert (info.upstream_id, info.state, info.receipt, info.error_code) == ("x1", None, None, "")
    empty = receipt_info(DeliverSm(esm_class=EsmClass.SMSC_DELIVERY_RECEIPT))
    assert (empty.upstream_id, empty.state, empty.done_date) == ("", None, None)


def test_repeated_tlv_takes_the_first_value() -> None:
    pdu = _receipt()
    pdu.tlvs[Tag.RECEIPTED_MESSAGE_ID] = [b"first\x00", b"second\x00"]
    assert receipt_info(pdu).upstream_id == "first"


def test_delivery_report_is_the_engines_reading_of_a_receipt() -> None:
    report = delivery_report(receipt_info(_receipt()))
    assert report.carrier_ids == ("a1b",)  # normalised: lower case, no leading zeros
    assert (report.status, report.label, report.error) == (
        Status.UNDELIVERED,
        "UNDELIVERABLE",
        "034",
    )
    converted = delivery_report(receipt_info(_receipt()), convert_ids=True)
    assert converted.carrier_ids[0] == "a1b" and len(converted.carrier_ids) > 1


def test_delivery_report_without_id_or_state_is_empty() -> None:
    report = delivery_report(receipt_info(DeliverSm(esm_class=EsmClass.SMSC_DELIVERY_RECEIPT)))
    assert report.carrier_ids == () and report.status is None
