"""SMPP codec: exact bytes of known PDUs (written out from the SMPP 3.4/5.0 layouts), every decode
error with the command_status it carries, and every encoder refusal."""

import pytest

from smsgate.smpp import codec
from smsgate.smpp.constants import CommandId, CommandStatus, MessageState
from smsgate.smpp.errors import PduDecodeError, PduEncodeError
from smsgate.smpp.pdu import (
    PDU_CLASSES,
    AlertNotification,
    BindReceiverResp,
    BindTransceiver,
    BindTransmitter,
    BindTransmitterResp,
    BroadcastSm,
    DataSm,
    DeliverSm,
    DistributionList,
    EnquireLink,
    GenericNack,
    Pdu,
    QuerySmResp,
    Response,
    SmeAddress,
    SubmitMulti,
    SubmitMultiResp,
    SubmitSm,
    SubmitSmResp,
    UnsuccessSme,
)
from smsgate.smpp.tlv import Tag

S = CommandStatus


def h(text: str) -> bytes:
    """Hex with spaces and line breaks allowed, so the fields can be laid out one per chunk."""
    return bytes.fromhex("".join(text.split()))


def frame(command_id: int, body: bytes, seq: int = 1, status: int = 0) -> bytes:
    """A PDU with a correct command_length around an arbitrary (maybe broken) body."""
    return (
        (16 + len(body)).to_bytes(4, "big") + h(f"{command_id:08x} {status:08x} {seq:08x}") + body
    )


def decode_error(data: bytes) -> PduDecodeError:
    with pytest.raises(PduDecodeError) as info:
        codec.decode(data)
    return info.value


def check_both_ways(pdu: Pdu, wire: bytes) -> None:
    assert codec.encode(pdu) == wire
    assert codec.decode(wire) == pdu
    assert codec.read_header(wire) == len(wire)


# --- known PDUs, byte for byte -----------------------------------------------------------------

ENQUIRE_LINK = h("00000010 00000015 00000000 00000001")

BIND_TRANSCEIVER = h(
    "00000024 00000009 00000000 0000002a"
    " 736d736761746500"  # system_id "smsgate"
    " 73656372657400"  # password "secret"
    " 00"  # system_type ""
    " 34 01 01"  # interface_version 3.4, addr_ton, addr_npi
    " 00"  # address_range ""
)

SUBMIT_SM = h(
    "0000003f 00000004 00000000 00000007"
    " 00"  # service_type
    " 05 00 496e666f00"  # source ton=alphanumeric, npi=unknown, "Info"
    " 01 01 34343737303039303031323300"  # dest ton=international, npi=isdn, "447700900123"
    " 00 00 00"  # esm_class, protocol_id, priority_flag
    " 00 00"  # schedule_delivery_time, validity_period
    " 01 00 00 00"  # registered_delivery, replace_if_present, data_coding, sm_default_msg_id
    " 02 4869"  # sm_length, "Hi"
    " 0204 0002 1234"  # user_message_reference
    " 020a 0002 0b84"  # source_port 2948
)

SUBMIT_SM_RESP = h("00000017 80000004 00000000 00000007 61626331323300")

DELIVER_SM_RECEIPT = h(
    "0000005f 00000005 00000000 00000008"
    " 00"
    " 01 01 34343737303039303031323300"  # source "447700900123"
    " 05 00 496e666f00"  # destination "Info"
    " 04 00 00"  # esm_class: SMSC delivery receipt
    " 00 00"
    " 00 00 00 00"
    " 1e 69643a61626331323320737461743a44454c49565244206572723a303030"  # 30 octets of text
    " 001e 0007 61626331323300"  # receipted_message_id "abc123"
    " 0427 0001 02"  # message_state DELIVERED
)

GENERIC_NACK = h("00000010 80000000 00000003 00000005")

SUBMIT_MULTI = h(
    "0000003f 00000021 00000000 00000009"
    " 00"
    " 01 01 3132333400"  # source "1234"
    " 02"  # number_of_dests
    " 01 01 01 34343737303039303031323300"  # dest_flag SME, ton, npi, "447700900123"
    " 02 667269656e647300"  # dest_flag distribution list, "friends"
    " 00 00 00 00 00 00 00 00 00"  # esm .. sm_default_msg_id
    " 03 616263"  # short_message "abc"
)

QUERY_SM_RESP = h(
    "0000002a 80000003 00000000 0000000a"
    " 61626331323300"  # message_id "abc123"
    " 3236303130313132303030303030302b00"  # final_date "260101120000000+"
    " 02 00"  # message_state DELIVERED, error_code
)

BROADCAST_SM = h(
    "00000041 00000111 00000000 0000000b"
    " 00 01 01 3132333400"  # service_type, source ton, npi, "1234"
    " 00 00 00 00"  # message_id, priority_flag, schedule_delivery_time, validity_period
    " 00 00 00"  # replace_if_present_flag, data_coding, sm_default_msg_id
    " 0606 0003 000102"  # broadcast_area_identifier, first area
    " 0606 0003 000304"  # broadcast_area_identifier again: SMPP 5.0 allows repeats
    " 0601 0003 000010"  # broadcast_content_type
    " 0604 0002 0001"  # broadcast_rep_num
    " 0605 0003 080005"  # broadcast_frequency_interval
)


def test_enquire_link() -> None:
    check_both_ways(EnquireLink(1), ENQUIRE_LINK)


def test_bind_transceiver() -> None:
    pdu = BindTransceiver(42, system_id="smsgate", password="secret", addr_ton=1, addr_npi=1)
    assert pdu.interface_version == 0x34
    check_both_ways(pdu, BIND_TRANSCEIVER)


def test_submit_sm_with_tlvs() -> None:
    pdu = SubmitSm(
        7,
        source_addr_ton=5,
        source_addr="Info",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="447700900123",
        registered_delivery=1,
        short_message=b"Hi",
        tlvs={Tag.USER_MESSAGE_REFERENCE: 0x1234, Tag.SOURCE_PORT: 2948},
    )
    check_both_ways(pdu, SUBMIT_SM)


def test_submit_sm_resp() -> None:
    check_both_ways(SubmitSmResp(7, message_id="abc123"), SUBMIT_SM_RESP)
    assert SubmitSm(7).response(message_id="abc123") == SubmitSmResp(7, 0, {}, "abc123")


def test_deliver_sm_receipt() -> None:
    pdu = DeliverSm(
        8,
        source_addr_ton=1,
        source_addr_npi=1,
        source_addr="447700900123",
        dest_addr_ton=5,
        destination_addr="Info",
        esm_class=0x04,
        short_message=b"id:abc123 stat:DELIVRD err:000",
        tlvs={Tag.RECEIPTED_MESSAGE_ID: "abc123", Tag.MESSAGE_STATE: MessageState.DELIVERED},
    )
    check_both_ways(pdu, DELIVER_SM_RECEIPT)


def test_generic_nack() -> None:
    check_both_ways(GenericNack(5, S.ESME_RINVCMDID), GENERIC_NACK)


def test_submit_multi_with_both_destination_kinds() -> None:
    pdu = SubmitMulti(
        9,
        source_addr_ton=1,
        source_addr_npi=1,
        source_addr="1234",
        dest_addresses=[SmeAddress("447700900123", 1, 1), DistributionList("friends")],
        short_message=b"abc",
    )
    check_both_ways(pdu, SUBMIT_MULTI)


def test_submit_multi_resp_with_unsuccess_smes() -> None:
    wire = h(
        "00000020 80000021 00000000 0000000c"
        " 78797a00"  # message_id "xyz"
        " 01"  # no_unsuccess
        " 01 01 3132333400 0000000b"  # ton, npi, "1234", error_status_code ESME_RINVDSTADR
    )
    pdu = SubmitMultiResp(12, message_id="xyz", unsuccess_smes=[UnsuccessSme("1234", 1, 1, 0xB)])
    check_both_ways(pdu, wire)


def test_query_sm_resp() -> None:
    pdu = QuerySmResp(
        10, message_id="abc123", final_date="260101120000000+", message_state=2, error_code=0
    )
    check_both_ways(pdu, QUERY_SM_RESP)


def test_broadcast_sm_with_repeated_area_identifier() -> None:
    pdu = BroadcastSm(
        11,
        source_addr_ton=1,
        source_addr_npi=1,
        source_addr="1234",
        tlvs={
            Tag.BROADCAST_AREA_IDENTIFIER: [h("000102"), h("000304")],
            Tag.BROADCAST_CONTENT_TYPE: h("000010"),
            Tag.BROADCAST_REP_NUM: 1,
            Tag.BROADCAST_FREQUENCY_INTERVAL: h("080005"),
        },
    )
    check_both_ways(pdu, BROADCAST_SM)


def test_alert_notification_and_data_sm_take_65_octet_addresses() -> None:
    long_address = "9" * 64
    for pdu in (
        AlertNotification(3, source_addr=long_address, esme_addr=long_address),
        DataSm(4, source_addr=long_address, destination_addr=long_address),
    ):
        assert codec.decode(codec.encode(pdu)) == pdu


def test_unknown_and_vendor_tlvs_stay_raw_and_reencode_identically() -> None:
    wire = frame(
        CommandId.ENQUIRE_LINK,
        h("1401 0003 616263  7777 0000  020a 0002 0050  3fff 0001 ff"),
        seq=3,
    )
    pdu = codec.decode(wire)
    assert pdu.tlvs == {0x1401: b"abc", 0x7777: b"", Tag.SOURCE_PORT: 80, 0x3FFF: b"\xff"}
    assert codec.encode(pdu) == wire


def test_repeated_tag_becomes_list_in_wire_order_and_reencodes_identically() -> None:
    wire = frame(CommandId.SUBMIT_SM_RESP, h("00 1400 0001 01  1400 0002 0203  1400 0000"))
    pdu = codec.decode(wire)
    assert pdu.tlvs == {0x1400: [b"\x01", b"\x02\x03", b""]}
    assert codec.encode(pdu) == wire


def test_cstring_tlv_without_nul_is_tolerated() -> None:
    wire = frame(CommandId.DELIVER_SM_RESP, h("00 001e 0003 616263"))
    assert codec.decode(wire).tlvs == {Tag.RECEIPTED_MESSAGE_ID: "abc"}


@pytest.mark.parametrize(
    "cls", [c for c in PDU_CLASSES if issubclass(c, Response)], ids=lambda c: c.__name__
)
def test_response_with_empty_body_decodes_to_defaults(cls: type[Pdu]) -> None:
    pdu = codec.decode(frame(cls.command_id, b"", seq=77, status=S.ESME_RSYSERR))
    assert pdu == cls(77, S.ESME_RSYSERR)


def test_response_with_default_fields_still_encodes_its_body() -> None:
    # An empty body and an all-default body decode alike; the encoder writes the latter.
    assert codec.encode(SubmitSmResp(1)) == h("00000011 80000004 00000000 00000001 00")
    assert codec.encode(BindTransmitterResp(1)) == h("00000011 80000002 00000000 00000001 00")


def test_submit_multi_resp_may_stop_after_message_id() -> None:
    wire = frame(CommandId.SUBMIT_MULTI_RESP, h("61626300"), status=S.ESME_RSUBMITFAIL)
    assert codec.decode(wire) == SubmitMultiResp(1, S.ESME_RSUBMITFAIL, {}, "abc", [])


def test_short_message_of_255_octets() -> None:
    pdu = SubmitSm(1, short_message=bytes(range(255)))
    assert codec.decode(codec.encode(pdu)) == pdu


def test_255_destinations() -> None:
    pdu = SubmitMulti(1, dest_addresses=[SmeAddress(str(i), 1, 1) for i in range(255)])
    assert codec.decode(codec.encode(pdu)) == pdu


# --- header and framing errors ------------------------------------------------------------------


def test_read_header_needs_four_octets() -> None:
    assert codec.read_header(b"") is None
    assert codec.read_header(b"\x00\x00\x00") is None
    assert codec.read_header(b"\x00\x00\x00\x10") == 16


@pytest.mark.parametrize("length", [0, 15])
def test_read_header_command_length_below_header_size_is_fatal(length: int) -> None:
    data = h(f"{length:08x} 00000015 00000000 00000063")
    with pytest.raises(PduDecodeError) as info:
        codec.read_header(data)
    assert info.value.status == S.ESME_RINVCMDLEN
    assert info.value.fatal
    assert info.value.sequence_number == 0x63
    assert info.value.command_id == CommandId.ENQUIRE_LINK


def test_read_header_command_length_above_max_is_fatal() -> None:
    too_big = codec.DEFAULT_MAX_PDU_SIZE + 1
    assert codec.read_header(codec.DEFAULT_MAX_PDU_SIZE.to_bytes(4, "big")) is not None
    with pytest.raises(PduDecodeError) as info:
        codec.read_header(h(f"{too_big:08x} 00000004"))
    assert (info.value.status, info.value.fatal) == (S.ESME_RINVCMDLEN, True)
    assert info.value.sequence_number is None
    assert info.value.command_id == CommandId.SUBMIT_SM
    with pytest.raises(PduDecodeError) as info:
        codec.read_header(h("00001000"), max_size=0x0FFF)
    assert info.value.fatal


def test_decode_shorter_than_header_is_fatal() -> None:
    err = decode_error(ENQUIRE_LINK[:15])
    assert (err.status, err.fatal, err.sequence_number) == (S.ESME_RINVCMDLEN, True, None)


@pytest.mark.parametrize("length", [15, 17, 0xFFFFFFFF])
def test_decode_command_length_disagreeing_with_size_is_fatal(length: int) -> None:
    err = decode_error(length.to_bytes(4, "big") + ENQUIRE_LINK[4:])
    assert (err.status, err.fatal, err.sequence_number) == (S.ESME_RINVCMDLEN, True, 1)


def test_unknown_command_id_is_not_fatal_and_keeps_the_sequence() -> None:
    err = decode_error(frame(0x00000099, b"abc", seq=0x1234))
    assert err.status == S.ESME_RINVCMDID
    assert not err.fatal
    assert err.sequence_number == 0x1234
    assert err.command_id == 0x99


# --- body errors --------------------------------------------------------------------------------


def body_error(command_id: int, body: bytes) -> PduDecodeError:
    err = decode_error(frame(command_id, body, seq=0x4242))
    assert err.sequence_number == 0x4242
    assert err.command_id == command_id
    assert not err.fatal
    return err


def submit_sm_body(source: bytes = b"1234", dest: bytes = b"5678", sm: bytes = b"\x02hi") -> bytes:
    return b"\0" + b"\1\1" + source + b"\0" + b"\1\1" + dest + b"\0" + bytes(9) + sm


def test_truncated_body() -> None:
    body = submit_sm_body()
    assert codec.decode(frame(CommandId.SUBMIT_SM, body)) == SubmitSm(
        1, 0, {}, "", 1, 1, "1234", 1, 1, "5678", short_message=b"hi"
    )
    for cut in (1, 3, 8, 12, 14, 20, len(body) - 3):
        assert body_error(CommandId.SUBMIT_SM, body[:cut]).status == S.ESME_RINVCMDLEN, cut


def test_missing_nul() -> None:
    err = body_error(CommandId.BIND_TRANSMITTER, b"smsgate")
    assert err.status == S.ESME_RINVCMDLEN
    err = body_error(CommandId.QUERY_SM, b"abc123\0\1\1" + b"12")
    assert err.status == S.ESME_RINVCMDLEN


def test_over_long_source_addr() -> None:
    err = body_error(CommandId.SUBMIT_SM, submit_sm_body(source=b"1" * 21))
    assert err.status == S.ESME_RINVSRCADR
    assert codec.decode(frame(CommandId.SUBMIT_SM, submit_sm_body(source=b"1" * 20)))


def test_over_long_destination_addr() -> None:
    err = body_error(CommandId.SUBMIT_SM, submit_sm_body(dest=b"2" * 21))
    assert err.status == S.ESME_RINVDSTADR
    multi = b"\0\1\1" + b"1234\0" + b"\1" + b"\1\1\1" + b"2" * 21 + b"\0" + bytes(9) + b"\0"
    assert body_error(CommandId.SUBMIT_MULTI, multi).status == S.ESME_RINVDSTADR


def test_over_long_distribution_list_name() -> None:
    multi = b"\0\1\1" + b"1234\0" + b"\1" + b"\2" + b"d" * 21 + b"\0" + bytes(9) + b"\0"
    assert body_error(CommandId.SUBMIT_MULTI, multi).status == S.ESME_RINVDLNAME


def test_over_long_system_id() -> None:
    body = b"s" * 16 + b"\0" + b"pw\0" + b"\0" + b"\x34\0\0\0"
    assert body_error(CommandId.BIND_TRANSCEIVER, body).status == S.ESME_RINVSYSID
    assert body_error(CommandId.BIND_RECEIVER_RESP, b"s" * 16 + b"\0").status == S.ESME_RINVSYSID
    assert codec.decode(frame(CommandId.BIND_RECEIVER_RESP, b"s" * 15 + b"\0")) == (
        BindReceiverResp(1, system_id="s" * 15)
    )


def test_over_long_password() -> None:
    body = b"smsgate\0" + b"p" * 9 + b"\0" + b"\0" + b"\x34\0\0\0"
    assert body_error(CommandId.BIND_TRANSMITTER, body).status == S.ESME_RINVPASWD


def test_sm_length_past_the_end() -> None:
    err = body_error(CommandId.SUBMIT_SM, submit_sm_body(sm=b"\x05abcd"))
    assert err.status == S.ESME_RINVMSGLEN
    err = body_error(CommandId.DELIVER_SM, submit_sm_body(sm=b"\xff"))
    assert err.status == S.ESME_RINVMSGLEN


def test_tlv_header_cut_short() -> None:
    for stray in (h("02"), h("020a"), h("020a00")):
        err = body_error(CommandId.SUBMIT_SM, submit_sm_body() + stray)
        assert err.status == S.ESME_RINVOPTPARSTREAM


def test_tlv_length_past_the_end() -> None:
    err = body_error(CommandId.SUBMIT_SM, submit_sm_body() + h("0424 0010 616263"))
    assert err.status == S.ESME_RINVOPTPARSTREAM
    err = body_error(CommandId.ENQUIRE_LINK, h("1400 0001"))
    assert err.status == S.ESME_RINVOPTPARSTREAM


def test_tlv_framing_is_checked_after_a_repeated_tag() -> None:
    repeated = h("1400 0001 01 1400 0001 02")
    assert codec.decode(frame(CommandId.ENQUIRE_LINK, repeated)).tlvs == {0x1400: [b"\1", b"\2"]}
    for tail in (h("1401 0064 0102"), h("14"), h("1401 00")):
        err = body_error(CommandId.ENQUIRE_LINK, repeated + tail)
        assert err.status == S.ESME_RINVOPTPARSTREAM


@pytest.mark.parametrize(
    "tlv",
    [
        "020a 0001 50",  # source_port: 2 octets
        "020a 0003 000050",
        "0204 0000",  # user_message_reference: 2 octets
        "0427 0002 0002",  # message_state: 1 octet
        "0017 0002 0001",  # qos_time_to_live: 4 octets
        "0423 0002 0000",  # network_error_code: exactly 3 octets
    ],
)
def test_known_tlv_with_wrong_length(tlv: str) -> None:
    err = body_error(CommandId.SUBMIT_SM, submit_sm_body() + h(tlv))
    assert err.status == S.ESME_RINVPARLEN


def test_cstring_tlv_too_long() -> None:
    # receipted_message_id holds at most 64 characters and its NUL.
    ok = codec.decode(frame(CommandId.DELIVER_SM_RESP, b"\0" + h("001e 0041") + b"x" * 64 + b"\0"))
    assert ok.tlvs == {Tag.RECEIPTED_MESSAGE_ID: "x" * 64}
    for value in (b"x" * 65, b"x" * 65 + b"\0"):
        tlv = h("001e") + len(value).to_bytes(2, "big") + value
        assert body_error(CommandId.DELIVER_SM_RESP, b"\0" + tlv).status == S.ESME_RINVPARLEN


def test_bad_dest_flag() -> None:
    multi = b"\0\1\1" + b"1234\0" + b"\1" + b"\3\1\1" + b"5678\0" + bytes(9) + b"\0"
    assert body_error(CommandId.SUBMIT_MULTI, multi).status == S.ESME_RINVDESTFLAG


def test_submit_multi_with_fewer_destinations_than_announced() -> None:
    multi = b"\0\1\1" + b"1234\0" + b"\2" + b"\1\1\1" + b"5678\0"
    assert body_error(CommandId.SUBMIT_MULTI, multi).status == S.ESME_RINVCMDLEN


def test_unsuccess_sme_cut_short() -> None:
    body = b"id\0" + b"\1" + b"\1\1" + b"5678\0" + b"\0\0"
    assert body_error(CommandId.SUBMIT_MULTI_RESP, body).status == S.ESME_RINVCMDLEN


# --- encoder refusals ---------------------------------------------------------------------------


def encode_error(pdu: Pdu) -> PduEncodeError:
    with pytest.raises(PduEncodeError) as info:
        codec.encode(pdu)
    return info.value


@pytest.mark.parametrize(
    "pdu",
    [
        SubmitSm(1, source_addr="1" * 21),
        SubmitSm(1, destination_addr="2" * 21),
        SubmitSm(1, service_type="CMTXYZ"),
        SubmitSm(1, short_message=bytes(256)),
        BindTransmitter(1, system_id="s" * 16),
        BindTransmitter(1, password="p" * 9),
        DataSm(1, source_addr="1" * 65),
        QuerySmResp(1, message_id="m" * 65),
        SubmitMulti(1, source_addr="1" * 21),
        SubmitMulti(1, dest_addresses=[SmeAddress("2" * 21)]),
        SubmitMulti(1, dest_addresses=[DistributionList("d" * 21)]),
        SubmitMultiResp(1, unsuccess_smes=[UnsuccessSme("2" * 21)]),
        EnquireLink(1, tlvs={Tag.RECEIPTED_MESSAGE_ID: "r" * 65}),
        EnquireLink(1, tlvs={0x1400: b"x" * 0x10000}),
    ],
    ids=lambda pdu: type(pdu).__name__,
)
def test_too_long(pdu: Pdu) -> None:
    encode_error(pdu)


@pytest.mark.parametrize(
    "pdu",
    [
        SubmitSm(1, source_addr="12\x0034"),
        BindTransceiver(1, system_id="\0"),
        SubmitMulti(1, service_type="a\0"),
        SubmitMulti(1, dest_addresses=[SmeAddress("12\x0034")]),
        SubmitMulti(1, dest_addresses=[DistributionList("dl\0")]),
        SubmitMultiResp(1, message_id="\0x"),
        SubmitMultiResp(1, unsuccess_smes=[UnsuccessSme("1\0")]),
        DeliverSm(1, tlvs={Tag.RECEIPTED_MESSAGE_ID: "ab\0cd"}),
    ],
    ids=lambda pdu: type(pdu).__name__,
)
def test_nul_inside_a_cstring(pdu: Pdu) -> None:
    assert "NUL" in str(encode_error(pdu))


@pytest.mark.parametrize(
    "pdu",
    [
        SubmitSm(1, source_addr="€"),
        SubmitSm(1, destination_addr="\u0100"),
        SubmitMulti(1, source_addr="€"),
        SubmitMulti(1, dest_addresses=[SmeAddress("€")]),
        SubmitMultiResp(1, unsuccess_smes=[UnsuccessSme("€")]),
        DeliverSm(1, tlvs={Tag.RECEIPTED_MESSAGE_ID: "€"}),
    ],
    ids=lambda pdu: type(pdu).__name__,
)
def test_text_outside_latin1(pdu: Pdu) -> None:
    encode_error(pdu)


@pytest.mark.parametrize(
    "pdu",
    [
        SubmitSm(1, esm_class=256),
        SubmitSm(1, data_coding=-1),
        SubmitMulti(1, esm_class=300),
        SubmitMulti(1, dest_addresses=[SmeAddress("1", 256, 0)]),
        SubmitMultiResp(1, unsuccess_smes=[UnsuccessSme("1", 0, 0, 1 << 32)]),
        BindTransmitter(1, interface_version=0x100),
        EnquireLink(1 << 32),
        EnquireLink(-1),
        EnquireLink(1, command_status=1 << 32),
        EnquireLink(1, tlvs={Tag.SOURCE_PORT: 0x10000}),
        EnquireLink(1, tlvs={Tag.SAR_TOTAL_SEGMENTS: 256}),
        EnquireLink(1, tlvs={Tag.QOS_TIME_TO_LIVE: -1}),
        EnquireLink(1, tlvs={0x10000: b""}),
        EnquireLink(1, tlvs={0x1400: 5}),  # an unknown tag takes raw octets only
        EnquireLink(1, tlvs={Tag.SOURCE_PORT: "80"}),
    ],
    ids=lambda pdu: type(pdu).__name__,
)
def test_values_out_of_range_or_of_the_wrong_type(pdu: Pdu) -> None:
    encode_error(pdu)


def test_more_than_255_destinations() -> None:
    encode_error(SubmitMulti(1, dest_addresses=[SmeAddress("1")] * 256))
    encode_error(SubmitMultiResp(1, unsuccess_smes=[UnsuccessSme("1")] * 256))


def test_at_the_limits_everything_encodes() -> None:
    pdu = SubmitSm(
        0x7FFFFFFF,
        0xFFFFFFFF,
        {Tag.QOS_TIME_TO_LIVE: 0xFFFFFFFF, Tag.SOURCE_PORT: 0xFFFF, Tag.DEST_ADDR_SUBUNIT: 0xFF},
        service_type="ÿ" * 5,
        source_addr="\x01" * 20,
        destination_addr="ÿ" * 20,
        esm_class=255,
        short_message=bytes(255),
    )
    assert codec.decode(codec.encode(pdu)) == pdu
