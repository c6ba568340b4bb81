"""Send one message over SMPP and wait for its delivery receipts: `smsgate smpp-send`."""

import asyncio
import contextlib
from dataclasses import dataclass, field

from smsgate.connectors.smpp.submit import OutboundPart, PartKey, build_submit_sm
from smsgate.smpp.constants import Npi, Ton, is_receipt
from smsgate.smpp.pdu import BindTransceiver, DeliverSm, Request
from smsgate.smpp.receipt import Receipt, ReceiptError, parse_receipt_text
from smsgate.smpp.tlv import Tag
from smsgate.text import Concatenation, Encoding, encode_message
from smsgate.transport.smpp_connection import SmppConnection, connect


@dataclass
class SendResult:
    message_ids: list[str] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)
    encoding: str = ""
    segments: int = 0


def address(number: str) -> tuple[int, int, str]:
    """(ton, npi, digits) for a +E.164 number, an alphanumeric sender or a national number."""
    if number.startswith("+"):
        return Ton.INTERNATIONAL, Npi.ISDN, number[1:]
    if not number.isdigit():
        return Ton.ALPHANUMERIC, Npi.UNKNOWN, number
    return Ton.UNKNOWN, Npi.ISDN, number


async def send_and_wait(
    host: str,
    port: int,
    *,
    system_id: str,
    password: str,
    source: str,
    destination: str,
    text: str,
    encoding: Encoding | None = None,
    concatenation: Concatenation = Concatenation.UDH8,
    receipt_timeout: float = 10.0,
) -> SendResult:
    message = encode_message(text, reference=1, encoding=encoding, concatenation=concatenation)
    result = SendResult(encoding=message.encoding.value, segments=message.segments)
    arrived = asyncio.Event()

    def on_request(conn: SmppConnection, pdu: Request) -> None:
        conn.send(pdu.response())
        if isinstance(pdu, DeliverSm) and is_receipt(pdu.esm_class):
            try:
                result.receipts.append(parse_receipt_text(pdu.short_message.decode("latin-1")))
            except ReceiptError:
                receipted = pdu.tlvs.get(Tag.RECEIPTED_MESSAGE_ID)
                print(f"unparseable receipt for {receipted!r}: {pdu.short_message!r}")
            arrived.set()

    bind = BindTransceiver(system_id=system_id, password=password)
    conn = await connect(host, port, bind, on_request)
    try:
        source_ton, source_npi, source_addr = address(source)
        dest_ton, dest_npi, dest_addr = address(destination)
        for seq, part in enumerate(message.parts, 1):
            # a body over 254 octets (Concatenation.PAYLOAD) goes in message_payload
            pdu = build_submit_sm(
                OutboundPart(
                    key=PartKey("smpp-send", seq),
                    source_addr=source_addr,
                    source_addr_ton=source_ton,
                    source_addr_npi=source_npi,
                    destination_addr=dest_addr,
                    dest_addr_ton=dest_ton,
                    dest_addr_npi=dest_npi,
                    short_message=part.short_message,
                    esm_class=part.esm_class,
                    data_coding=message.data_coding,
                    sar=part.sar,
                )
            )
            response = await conn.call(pdu)
            result.message_ids.append(getattr(response, "message_id", ""))

        async def all_receipts() -> None:
            while len(result.receipts) < len(result.message_ids):
                arrived.clear()
                await arrived.wait()

        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_receipts(), receipt_timeout)
    finally:
        await conn.unbind_and_close()
    return result
