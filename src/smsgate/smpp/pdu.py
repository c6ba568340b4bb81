"""SMPP 3.4 and 5.0 PDUs as typed dataclasses.

Each body field declares its wire form (`cstring`, `u8`, `short_message`, ...); the codec compiles
those declarations into straight-line encoders and decoders. Field sizes are the spec's maxima
including the terminating NUL. Every PDU may carry TLVs in `tlvs`, keyed by tag (see `tlv.Tag`).
"""

from dataclasses import dataclass, field
from typing import Any, ClassVar

from smsgate.smpp.constants import CommandId, CommandStatus
from smsgate.smpp.tlv import TlvValue

S = CommandStatus


@dataclass(frozen=True, slots=True)
class Wire:
    """The wire form of one mandatory field.

    kind: "cstr" (C-octet string, `size` = max octets incl. NUL), "u8"/"u32", "sm" (sm_length
    octet followed by that many octets), "dests" (submit_multi destinations), "unsuccess"
    (submit_multi_resp failures). `status` is the command_status for a bad value in this field.
    """

    kind: str
    size: int = 0
    status: int = CommandStatus.ESME_RINVPARLEN


def cstring(size: int, status: int = S.ESME_RINVPARLEN) -> str:
    return field(default="", metadata={"wire": Wire("cstr", size, status)})


def u8(default: int = 0, status: int = S.ESME_RINVPARLEN) -> int:
    return field(default=default, metadata={"wire": Wire("u8", 1, status)})


def short_message() -> bytes:
    return field(default=b"", metadata={"wire": Wire("sm", 255, S.ESME_RINVMSGLEN)})


@dataclass(slots=True)
class SmeAddress:
    """A submit_multi destination that is one SME address."""

    address: str = ""
    ton: int = 0
    npi: int = 0


@dataclass(slots=True)
class DistributionList:
    """A submit_multi destination that names a distribution list kept by the SMSC."""

    name: str = ""


@dataclass(slots=True)
class UnsuccessSme:
    """One failed destination in submit_multi_resp."""

    address: str = ""
    ton: int = 0
    npi: int = 0
    error_status: int = 0


Destination = SmeAddress | DistributionList


def destinations() -> list[Destination]:
    return field(default_factory=list, metadata={"wire": Wire("dests", 255, S.ESME_RINVNUMDESTS)})


def unsuccess_list() -> list[UnsuccessSme]:
    return field(default_factory=list, metadata={"wire": Wire("unsuccess", 255)})


@dataclass(slots=True)
class Pdu:
    """Header fields and TLVs shared by every PDU; command_id is a class constant."""

    command_id: ClassVar[int]
    sequence_number: int = 0
    command_status: int = 0
    tlvs: dict[int, TlvValue] = field(default_factory=dict)

    @property
    def is_response(self) -> bool:
        return bool(self.command_id & 0x80000000)

    @property
    def name(self) -> str:
        return CommandId(self.command_id).name.lower()


@dataclass(slots=True)
class Request(Pdu):
    """A PDU that expects a response of class `response_class` with the same sequence number."""

    response_class: ClassVar[type["Response"] | None] = None

    def response(self, status: int = 0, **fields: Any) -> "Response":
        """The response to this request, with the same sequence number."""
        if self.response_class is None:
            raise TypeError(f"{self.name} has no response PDU")
        return self.response_class(self.sequence_number, status, **fields)


@dataclass(slots=True)
class Response(Pdu):
    pass


# -- session management ------------------------------------------------------------------------


@dataclass(slots=True)
class GenericNack(Response):
    command_id = CommandId.GENERIC_NACK


@dataclass(slots=True)
class BindResp(Response):
    system_id: str = cstring(16, S.ESME_RINVSYSID)


@dataclass(slots=True)
class BindTransmitterResp(BindResp):
    command_id = CommandId.BIND_TRANSMITTER_RESP


@dataclass(slots=True)
class BindReceiverResp(BindResp):
    command_id = CommandId.BIND_RECEIVER_RESP


@dataclass(slots=True)
class BindTransceiverResp(BindResp):
    command_id = CommandId.BIND_TRANSCEIVER_RESP


@dataclass(slots=True)
class Bind(Request):
    system_id: str = cstring(16, S.ESME_RINVSYSID)
    password: str = cstring(9, S.ESME_RINVPASWD)
    system_type: str = cstring(13, S.ESME_RINVSYSTYP)
    interface_version: int = u8(0x34)
    addr_ton: int = u8()
    addr_npi: int = u8()
    address_range: str = cstring(41)


@dataclass(slots=True)
class BindTransmitter(Bind):
    command_id = CommandId.BIND_TRANSMITTER
    response_class = BindTransmitterResp


@dataclass(slots=True)
class BindReceiver(Bind):
    command_id = CommandId.BIND_RECEIVER
    response_class = BindReceiverResp


@dataclass(slots=True)
class BindTransceiver(Bind):
    command_id = CommandId.BIND_TRANSCEIVER
    response_class = BindTransceiverResp


@dataclass(slots=True)
class Outbind(Request):
    """Sent by an SMSC that connected to an ESME, inviting it to bind; it has no response."""

    command_id = CommandId.OUTBIND
    system_id: str = cstring(16, S.ESME_RINVSYSID)
    password: str = cstring(9, S.ESME_RINVPASWD)


@dataclass(slots=True)
class UnbindResp(Response):
    command_id = CommandId.UNBIND_RESP


@dataclass(slots=True)
class Unbind(Request):
    command_id = CommandId.UNBIND
    response_class = UnbindResp


@dataclass(slots=True)
class EnquireLinkResp(Response):
    command_id = CommandId.ENQUIRE_LINK_RESP


@dataclass(slots=True)
class EnquireLink(Request):
    command_id = CommandId.ENQUIRE_LINK
    response_class = EnquireLinkResp


@dataclass(slots=True)
class AlertNotification(Request):
    """Tells an ESME that a mobile became available; it has no response."""

    command_id = CommandId.ALERT_NOTIFICATION
    source_addr_ton: int = u8()
    source_addr_npi: int = u8()
    source_addr: str = cstring(65, S.ESME_RINVSRCADR)
    esme_addr_ton: int = u8()
    esme_addr_npi: int = u8()
    esme_addr: str = cstring(65, S.ESME_RINVDSTADR)


# -- message submission and delivery -----------------------------------------------------------


@dataclass(slots=True)
class MessageIdResp(Response):
    message_id: str = cstring(65, S.ESME_RINVMSGID)


@dataclass(slots=True)
class SubmitSmResp(MessageIdResp):
    command_id = CommandId.SUBMIT_SM_RESP


@dataclass(slots=True)
class DeliverSmResp(MessageIdResp):
    command_id = CommandId.DELIVER_SM_RESP


@dataclass(slots=True)
class DataSmResp(MessageIdResp):
    command_id = CommandId.DATA_SM_RESP


@dataclass(slots=True)
class ShortMessageBase(Request):
    """The shared layout of submit_sm and deliver_sm."""

    service_type: str = cstring(6, S.ESME_RINVSERTYP)
    source_addr_ton: int = u8()
    source_addr_npi: int = u8()
    source_addr: str = cstring(21, S.ESME_RINVSRCADR)
    dest_addr_ton: int = u8()
    dest_addr_npi: int = u8()
    destination_addr: str = cstring(21, S.ESME_RINVDSTADR)
    esm_class: int = u8()
    protocol_id: int = u8()
    priority_flag: int = u8()
    schedule_delivery_time: str = cstring(17, S.ESME_RINVSCHED)
    validity_period: str = cstring(17, S.ESME_RINVEXPIRY)
    registered_delivery: int = u8()
    replace_if_present_flag: int = u8()
    data_coding: int = u8()
    sm_default_msg_id: int = u8()
    short_message: bytes = short_message()


@dataclass(slots=True)
class SubmitSm(ShortMessageBase):
    command_id = CommandId.SUBMIT_SM
    response_class = SubmitSmResp


@dataclass(slots=True)
class DeliverSm(ShortMessageBase):
    command_id = CommandId.DELIVER_SM
    response_class = DeliverSmResp


@dataclass(slots=True)
class DataSm(Request):
    command_id = CommandId.DATA_SM
    response_class = DataSmResp
    service_type: str = cstring(6, S.ESME_RINVSERTYP)
    source_addr_ton: int = u8()
    source_addr_npi: int = u8()
    source_addr: str = cstring(65, S.ESME_RINVSRCADR)
    dest_addr_ton: int = u8()
    dest_addr_npi: int = u8()
    destination_addr: str = cstring(65, S.ESME_RINVDSTADR)
    esm_class: int = u8()
    registered_delivery: int = u8()
    data_coding: int = u8()


@dataclass(slots=True)
class SubmitMultiResp(Response):
    command_id = CommandId.SUBMIT_MULTI_RESP
    message_id: str = cstring(65, S.ESME_RINVMSGID)
    unsuccess_smes: list[UnsuccessSme] = unsuccess_list()


@dataclass(slots=True)
class SubmitMulti(Request):
    command_id = CommandId.SUBMIT_MULTI
    response_class = SubmitMultiResp
    service_type: str = cstring(6, S.ESME_RINVSERTYP)
    source_addr_ton: int = u8()
    source_addr_npi: int = u8()
    source_addr: str = cstring(21, S.ESME_RINVSRCADR)
    dest_addresses: list[Destination] = destinations()
    esm_class: int = u8()
    protocol_id: int = u8()
    priority_flag: int = u8()
    schedule_delivery_time: str = cstring(17, S.ESME_RINVSCHED)
    validity_period: str = cstring(17, S.ESME_RINVEXPIRY)
    registered_delivery: int = u8()
    replace_if_present_flag: int = u8()
    data_coding: int = u8()
    sm_default_msg_id: int = u8()
    short_message: bytes = short_message()


# -- ancillary operations ----------------------------------------------------------------------


@dataclass(slots=True)
class QuerySmResp(Response):
    command_id = CommandId.QUERY_SM_RESP
    message_id: str = cstring(65, S.ESME_RINVMSGID)
    final_date: str = cstring(17)
    message_state: int = u8()
    error_code: int = u8()


@dataclass(slots=True)
class QuerySm(Request):
    command_id = CommandId.QUERY_SM
    response_class = QuerySmResp
    message_id: str = cstring(65, S.ESME_RINVMSGID)
    source_addr_ton: int = u8()
    source_addr_npi: int = u8()
    source_addr: str = cstring(21, S.ESME_RINVSRCADR)


@dataclass(slots=True)
class CancelSmResp(Response):
    command_id = CommandId.CANCEL_SM_RESP


@dataclass(slots=True)
class CancelSm(Request):
    command_id = CommandId.CANCEL_SM
    response_class = CancelSmResp
    service_type: str = cstring(6, S.ESME_RINVSERTYP)
    message_id: str = cstring(65, S.ESME_RINVMSGID)
    source_addr_ton: int = u8()
    source_addr_npi: int = u8()
    source_addr: str = cstring(21, S.ESME_RINVSRCADR)
    dest_addr_ton: int = u8()
    dest_addr_npi: int = u8()
    destination_addr: str = cstring(21, S.ESME_RINVDSTADR)


@dataclass(slots=True)
class ReplaceSmResp(Response):
    command_id = CommandId.REPLACE_SM_RESP


@dataclass(slots=True)
class ReplaceSm(Request):
    command_id = CommandId.REPLACE_SM
    response_class = ReplaceSmResp
    message_id: str = cstring(65, S.ESME_RINVMSGID)
    source_addr_ton: int = u8()
    source_addr_npi: int = u8()
    source_addr: str = cstring(21, S.ESME_RINVSRCADR)
    schedule_delivery_time: str = cstring(17, S.ESME_RINVSCHED)
    validity_period: str = cstring(17, S.ESME_RINVEXPIRY)
    registered_delivery: int = u8()
    sm_default_msg_id: int = u8()
    short_message: bytes = short_message()


# -- SMPP 5.0 broadcast ------------------------------------------------------------------------


@dataclass(slots=True)
class BroadcastSmResp(Response):
    command_id = CommandId.BROADCAST_SM_RESP
    message_id: str = cstring(65, S.ESME_RINVMSGID)


@dataclass(slots=True)
class BroadcastSm(Request):
    """Cell broadcast; its areas, content type, repetitions and interval travel as TLVs."""

    command_id = CommandId.BROADCAST_SM
    response_class = BroadcastSmResp
    service_type: str = cstring(6, S.ESME_RINVSERTYP)
    source_addr_ton: int = u8()
    source_addr_npi: int = u8()
    source_addr: str = cstring(21, S.ESME_RINVSRCADR)
    message_id: str = cstring(65, S.ESME_RINVMSGID)
    priority_flag: int = u8()
    schedule_delivery_time: str = cstring(17, S.ESME_RINVSCHED)
    validity_period: str = cstring(17, S.ESME_RINVEXPIRY)
    replace_if_present_flag: int = u8()
    data_coding: int = u8()
    sm_default_msg_id: int = u8()


@dataclass(slots=True)
class QueryBroadcastSmResp(Response):
    command_id = CommandId.QUERY_BROADCAST_SM_RESP
    message_id: str = cstring(65, S.ESME_RINVMSGID)


@dataclass(slots=True)
class QueryBroadcastSm(Request):
    command_id = CommandId.QUERY_BROADCAST_SM
    response_class = QueryBroadcastSmResp
    message_id: str = cstring(65, S.ESME_RINVMSGID)
    source_addr_ton: int = u8()
    source_addr_npi: int = u8()
    source_addr: str = cstring(21, S.ESME_RINVSRCADR)


@dataclass(slots=True)
class CancelBroadcastSmResp(Response):
    command_id = CommandId.CANCEL_BROADCAST_SM_RESP


@dataclass(slots=True)
class CancelBroadcastSm(Request):
    command_id = CommandId.CANCEL_BROADCAST_SM
    response_class = CancelBroadcastSmResp
    service_type: str = cstring(6, S.ESME_RINVSERTYP)
    message_id: str = cstring(65, S.ESME_RINVMSGID)
    source_addr_ton: int = u8()
    source_addr_npi: int = u8()
    source_addr: str = cstring(21, S.ESME_RINVSRCADR)


PDU_CLASSES: tuple[type[Pdu], ...] = (
    GenericNack,
    BindTransmitter,
    BindTransmitterResp,
    BindReceiver,
    BindReceiverResp,
    BindTransceiver,
    BindTransceiverResp,
    Outbind,
    Unbind,
    UnbindResp,
    EnquireLink,
    EnquireLinkResp,
    AlertNotification,
    SubmitSm,
    SubmitSmResp,
    DeliverSm,
    DeliverSmResp,
    DataSm,
    DataSmResp,
    SubmitMulti,
    SubmitMultiResp,
    QuerySm,
    QuerySmResp,
    CancelSm,
    CancelSmResp,
    ReplaceSm,
    ReplaceSmResp,
    BroadcastSm,
    BroadcastSmResp,
    QueryBroadcastSm,
    QueryBroadcastSmResp,
    CancelBroadcastSm,
    CancelBroadcastSmResp,
)

PDU_BY_ID: dict[int, type[Pdu]] = {cls.command_id: cls for cls in PDU_CLASSES}
