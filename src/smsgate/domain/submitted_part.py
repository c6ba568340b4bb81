"""A part of a concatenated message a customer submitted as several PDUs (SMPP submit_sm with a
UDH or SAR TLVs), kept in the store until its message is accepted whole."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SubmittedPart:
    """Stored before the part's submit_sm_resp and deleted in the write that stores its whole
    message, so that a restart in between loses no part. Every part of a message answers the
    same message id, chosen when its first part was stored."""

    account_id: str
    source: str  # the sender as the customer gave it (with its TON)
    destination: str
    reference: int
    total: int
    seq: int
    message_id: str
    system_type: str  # of the bind it came on: its options (ISO, SINGLE) read it again
    pdu: bytes  # the PDU as it came, decoded again after a restart
    received_at: float
