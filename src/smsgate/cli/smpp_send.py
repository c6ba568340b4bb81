"""Send one message over SMPP and wait for its delivery receipts: `smsgate smpp-send`."""

import argparse
import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from smsgate.cli.common import refuse
from smsgate.cli.simulator import SIMULATOR_PASSWORD, SIMULATOR_SYSTEM_ID
from smsgate.connectors.smpp.submit import build_submit_sm
from smsgate.engine.ports import OutboundPart, PartKey
from smsgate.smpp.constants import Npi, Ton, is_receipt
from smsgate.smpp.pdu import BindTransceiver, DeliverSm, Request
from smsgate.smpp.receipt import Receipt, ReceiptError, parse_receipt_text
from smsgate.smpp.tlv import Tag
from smsgate.text import UDHI, Concatenation, Encoding, TextError, encode_message
from smsgate.transport.smpp_connection import SmppConnection, SmppRequestError, connect


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
                    source=source_addr,
                    destination=dest_addr,
                    body=part.short_message,
                    source_ton=source_ton,
                    source_npi=source_npi,
                    data_coding=message.data_coding,
                    udhi=bool(part.esm_class & UDHI),
                    sar=part.sar,
                )
            )
            pdu.dest_addr_ton, pdu.dest_addr_npi = dest_ton, dest_npi  # as given, not E.164
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


def _smpp_send(args: argparse.Namespace) -> int:
    try:
        result = asyncio.run(
            send_and_wait(
                args.host,
                args.port,
                system_id=args.system_id,
                password=args.password,
                source=args.source,
                destination=args.to,
                text=args.text,
                encoding=Encoding(args.encoding) if args.encoding else None,
                concatenation=Concatenation(args.concatenation),
                receipt_timeout=args.wait,
            )
        )
    except (OSError, TimeoutError, SmppRequestError, TextError) as exc:
        return refuse("smpp-send", exc or type(exc).__name__)
    print(
        json.dumps(
            {
                "encoding": result.encoding,
                "segments": result.segments,
                "message_ids": result.message_ids,
                "receipts": [
                    {"id": r.message_id, "stat": r.stat, "err": r.error} for r in result.receipts
                ],
            },
            indent=2,
        )
    )
    return 0 if len(result.receipts) == len(result.message_ids) else 1


def add_smpp_send_command(commands: Any) -> None:
    """`smsgate smpp-send --to NUMBER --text TEXT [--host HOST --port PORT] ...`"""
    send = commands.add_parser("smpp-send", help="send one SMS over SMPP, wait for receipts")
    send.add_argument("--host", default="127.0.0.1")
    send.add_argument("--port", type=int, default=2775)
    send.add_argument("--system-id", default=SIMULATOR_SYSTEM_ID)
    send.add_argument("--password", default=SIMULATOR_PASSWORD)
    send.add_argument("--source", default="smsgate", help="+E.164, digits or alphanumeric")
    send.add_argument("--to", required=True, help="destination, +E.164")
    send.add_argument("--text", required=True)
    send.add_argument("--encoding", choices=[e.value for e in Encoding], default=None)
    send.add_argument("--concatenation", choices=[c.value for c in Concatenation], default="udh8")
    send.add_argument("--wait", type=float, default=10.0, help="seconds to wait for receipts")
    send.set_defaults(func=_smpp_send)
