"""What both smpplib tests do with the client: connect (TCP_NODELAY), bind as a transceiver,
submit texts split by smsgate's text layer, query one message."""

import socket
from dataclasses import dataclass, field
from typing import Any

import smpplib.client
import smpplib.consts

from smsgate.text import encode_message

LONG_GSM = "Long GSM message with an escape € and {braces}. " * 5  # > 160 septets
LONG_UCS2 = "日本語のメッセージです。長いので分割されます。" * 4  # > 70 UCS-2 units
SOURCE = "447700900123"


@dataclass
class Session:
    client: smpplib.client.Client
    resps: list[Any] = field(default_factory=list)  # submit_sm_resp PDUs, in order
    receipts: list[Any] = field(default_factory=list)  # deliver_sm PDUs

    def submit(self, texts: list[str]) -> int:
        """Each text as its parts; how many submit_sm went out."""
        submitted = 0
        for number, text in enumerate(texts):
            message = encode_message(text, reference=number + 7)
            for part in message.parts:
                self.client.send_message(
                    source_addr_ton=smpplib.consts.SMPP_TON_INTL,
                    source_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                    source_addr=SOURCE,
                    dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                    dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
                    destination_addr="819012345678",
                    short_message=part.short_message,
                    data_coding=message.data_coding,
                    esm_class=part.esm_class,
                    registered_delivery=1,
                )
                submitted += 1
        return submitted

    def read_until(self, resps: int, receipts: int) -> None:
        while len(self.resps) < resps or len(self.receipts) < receipts:
            self.client.read_once()

    def query(self, message_id: str) -> Any:
        self.client.query_message(
            message_id=message_id,
            source_addr_ton=smpplib.consts.SMPP_TON_INTL,
            source_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
            source_addr=SOURCE,
        )
        return self.client.read_pdu()


def bind(port: int, timeout: float) -> Session:
    """A transceiver bound as smpplib/secret."""
    client = smpplib.client.Client(
        "127.0.0.1", port, timeout=timeout, allow_unknown_opt_params=True
    )
    session = Session(client)
    client.set_message_received_handler(lambda pdu: session.receipts.append(pdu))  # noqa: PLW0108 (called with pdu=)
    client.set_message_sent_handler(lambda pdu: session.resps.append(pdu))  # noqa: PLW0108
    client.connect()
    assert client._socket is not None
    client._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.bind_transceiver(system_id="smpplib", password="secret")
    return session
