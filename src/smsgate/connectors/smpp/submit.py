"""The submit_sm of an outbound part: the engine's neutral part in SMPP's terms."""

import time
from datetime import timedelta
from functools import lru_cache

from smsgate.engine.ports import OutboundPart
from smsgate.smpp.constants import EsmClass
from smsgate.smpp.pdu import SubmitSm
from smsgate.smpp.smpp_time import format_relative
from smsgate.smpp.tlv import Tag

# short_message holds at most 254 octets (sm_length is one octet, 255 is reserved); a longer
# part goes in the message_payload TLV instead, which carriers accept up to 64 KB.
SHORT_MESSAGE_LIMIT = 254


def build_submit_sm(part: OutboundPart, now: float | None = None) -> SubmitSm:
    """The part's submit_sm; its validity relative to `now` (Unix seconds, default: now)."""
    validity = ""
    if part.valid_until is not None:
        left = part.valid_until - (time.time() if now is None else now)
        validity = _relative_validity(max(1, int(left)))
    pdu = SubmitSm(
        source_addr_ton=part.source_ton,
        source_addr_npi=part.source_npi,
        source_addr=part.source,
        dest_addr_ton=1,  # international: destinations are E.164
        dest_addr_npi=1,
        destination_addr=part.destination,
        esm_class=EsmClass.UDH_INDICATOR if part.udhi else 0,
        priority_flag=part.priority,
        validity_period=validity,
        registered_delivery=1 if part.receipt else 0,  # a receipt for every outcome
        data_coding=part.data_coding,
        protocol_id=part.protocol_id,  # 0x40 for a ping: acknowledged, shown nowhere
    )
    if len(part.body) > SHORT_MESSAGE_LIMIT:
        pdu.tlvs[Tag.MESSAGE_PAYLOAD] = part.body
    else:
        pdu.short_message = part.body
    if part.sar is not None:
        pdu.tlvs[Tag.SAR_MSG_REF_NUM] = part.sar.msg_ref_num
        pdu.tlvs[Tag.SAR_TOTAL_SEGMENTS] = part.sar.total_segments
        pdu.tlvs[Tag.SAR_SEGMENT_SEQNUM] = part.sar.segment_seqnum
    return pdu


@lru_cache(maxsize=1024)
def _relative_validity(seconds: int) -> str:
    # the messages of a batch share their validity: formatted once, not per part
    return format_relative(timedelta(seconds=seconds))


__all__ = ["SHORT_MESSAGE_LIMIT", "build_submit_sm"]
