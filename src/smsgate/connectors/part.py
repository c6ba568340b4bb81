"""What the engine hands a connector: one part (segment) of a message, and its submit_sm."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from smsgate.smpp.pdu import SubmitSm
from smsgate.smpp.tlv import Tag, TlvValue
from smsgate.text import Sar

# short_message holds at most 254 octets (sm_length is one octet, 255 is reserved); a longer
# part goes in the message_payload TLV instead, which carriers accept up to 64 KB.
SHORT_MESSAGE_LIMIT = 254


class PartKey(NamedTuple):
    """Identifies a part for the engine: its message id and 1-based segment number."""

    message_id: str
    seq: int


@dataclass(frozen=True, slots=True)
class OutboundPart:
    key: PartKey
    source_addr: str
    destination_addr: str
    short_message: bytes
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    dest_addr_ton: int = 1  # international
    dest_addr_npi: int = 1  # ISDN (E.164)
    esm_class: int = 0  # UDHI when short_message starts with a user data header
    data_coding: int = 0
    registered_delivery: int = 1  # a receipt for every outcome
    priority_flag: int = 0
    validity_period: str = ""  # SMPP time string, absolute or relative; "" for the default
    service_type: str = ""
    protocol_id: int = 0
    sar: Sar | None = None  # SAR TLV values when the message is concatenated that way
    tlvs: Mapping[int, TlvValue] = field(default_factory=dict)  # extra TLVs, sent as given


def build_submit_sm(part: OutboundPart) -> SubmitSm:
    pdu = SubmitSm(
        service_type=part.service_type,
        source_addr_ton=part.source_addr_ton,
        source_addr_npi=part.source_addr_npi,
        source_addr=part.source_addr,
        dest_addr_ton=part.dest_addr_ton,
        dest_addr_npi=part.dest_addr_npi,
        destination_addr=part.destination_addr,
        esm_class=part.esm_class,
        protocol_id=part.protocol_id,
        priority_flag=part.priority_flag,
        validity_period=part.validity_period,
        registered_delivery=part.registered_delivery,
        data_coding=part.data_coding,
    )
    if part.tlvs:
        pdu.tlvs.update(part.tlvs)
    if len(part.short_message) > SHORT_MESSAGE_LIMIT:
        pdu.tlvs[Tag.MESSAGE_PAYLOAD] = part.short_message
    else:
        pdu.short_message = part.short_message
    if part.sar is not None:
        pdu.tlvs[Tag.SAR_MSG_REF_NUM] = part.sar.msg_ref_num
        pdu.tlvs[Tag.SAR_TOTAL_SEGMENTS] = part.sar.total_segments
        pdu.tlvs[Tag.SAR_SEGMENT_SEQNUM] = part.sar.segment_seqnum
    return pdu


__all__ = ["SHORT_MESSAGE_LIMIT", "OutboundPart", "PartKey", "build_submit_sm"]
