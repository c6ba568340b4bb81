"""The submit_sm built from a part, and what is read from a receipt PDU."""

from datetime import datetime

from smsgate.connectors.smpp import NetworkError, OutboundPart, PartKey, build_submit_sm, receipt_info
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
        source_addr="Acme",
        source_addr_ton=5,
        source_addr_npi=0,
        destination_addr="819012345678",
        short_message=b"\x00\x41",
        esm_class=0x40,
        data_coding=8,
        registered_delivery=2,
        priority_flag=1,
        validity_period="000001000000000R",
        sar=Sar(7, 3, 2),
        tlvs={Tag.USER_MESSAGE_REFERENCE: 42},
    )
    pdu = codec.decode(codec.encode(build_submit_sm(part)))
    assert isinstance(pdu, SubmitSm)
    assert (pdu.source_addr_ton, pdu.source_addr_npi, pdu.source_addr) == (5, 0, "Acme")
    assert (pdu.dest_addr_ton, pdu.dest_addr_npi, pdu.destination_addr) == (1, 1, "819012345678")
    assert (pdu.esm_class, pdu.data_coding, pdu.registered_delivery) == (0x40, 8, 2)
    assert (pdu.priority_flag, pdu.validity_period) == (1, "000001000000000R")
    assert pdu.short_message == b"\x00\x41"
    assert pdu.tlvs == {
        Tag.USER_MESSAGE_REFERENCE: 42,
        Tag.SAR_MSG_REF_NUM: 7,
        Tag.SAR_TOTAL_SEGMENTS: 3,
        Tag.SAR_SEGMENT_SEQNUM: 2,
    }


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
