"""smpplib, an SMPP client nobody on this team wrote, sends each of SMSC.ru's channel prefixes
to smsgate's SMPP server, on both backends: every one reaches its simulated provider (the SMTP
relay, the provider of calls, Viber, Telegram and social networks, the HLR provider, the SMS
carrier for a ping) and comes back as a receipt; the HLR receipt's text is read with the
document's own regular expression."""

import asyncio
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import smpplib.consts

from smsgate.smpp.constants import MessageState
from smsgate.text import encode_message
from tests.api.harness import running_gateway
from tests.api.smpp_server.customers import add_smpp_account, smpp_port
from tests.interop.smpplib_session import SOURCE, Session, bind
from tests.store.backends import BACKENDS, store_backend

pytestmark = pytest.mark.interop

PHONE = "819012345678"
ADDRESS = "ann@example.jp"
# (destination, text) per channel, the texts as SMSC.ru's document writes them
SENDS = {
    "email": (ADDRESS, "__MAIL__: Your invoice is ready\nsubj:Invoice 42"),
    "voice": (PHONE, "__CALL__: Your code is 4 8 2 9\nvoice:w"),
    "viber": (PHONE, "__VIBER__: Sale today"),
    "social": (PHONE, "__SOC__: Hello from the shop"),
    "telegram": (PHONE, "__TGM__: 482913"),
    "bot": (PHONE, "__BOT__: Your order shipped\nbot:@shop_bot"),
    "hlr": (PHONE, "__HLR__"),
    "ping": (PHONE, "__PING__"),
}
# SMSC.ru's regular expression for the text of an HLR receipt (its document, as a fact)
HLR_RECEIPT = re.compile(
    r"^id:(\d+) stat:(\w+) err:(\d+) imsi:(\d*) msc:(\d*) mcc:(\d*) mnc:(\d*)"
    r" cn:([^ ]*) net:([^ ]*) rcn:([^ ]*) rnet:([^ ]*)"
)


def send_each(port: int) -> Session:
    """Bind, submit one message per channel with a receipt asked for, read every answer."""
    session = bind(port, timeout=30)
    for destination, text in SENDS.values():
        (part,) = encode_message(text, reference=1).parts
        session.client.send_message(
            source_addr_ton=smpplib.consts.SMPP_TON_INTL,
            source_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
            source_addr=SOURCE,
            dest_addr_ton=smpplib.consts.SMPP_TON_INTL if destination.isdigit() else 0,
            dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN if destination.isdigit() else 0,
            destination_addr=destination,
            short_message=part.short_message,
            registered_delivery=1,
        )
    session.read_until(len(SENDS), len(SENDS))
    session.client.unbind()
    session.client.disconnect()
    return session


@pytest.mark.parametrize("backend_name", BACKENDS)
def test_every_prefix_reaches_its_provider_and_comes_back_as_a_receipt(
    backend_name: str, tmp_path: Path
) -> None:
    async def scenario(url: str) -> tuple[Session, dict[str, Any]]:
        async with running_gateway(url, simulator_channels=True) as gw:
            await add_smpp_account(gw.app, "smpplib")
            simulators = gw.app.channel_simulators
            assert simulators is not None and gw.app.simulator is not None
            # every call answered: the test is about reaching the provider, not its share
            providers = simulators.providers
            providers.config = replace(providers.config, no_answer_share=0.0)
            session = await asyncio.to_thread(send_each, smpp_port(gw.app))
            got = {
                "mail": simulators.relay.mailbox(ADDRESS),
                "provider": simulators.providers.received(PHONE),
                "hlr": simulators.hlr.config,
                "pings": [m for m in gw.app.simulator.messages.values() if m.protocol_id == 0x40],
                "sms": len(gw.app.simulator.messages),
            }
            return session, got

    with store_backend(backend_name, tmp_path) as backend:
        session, got = asyncio.run(scenario(backend.url))
    assert [r.status for r in sorted(session.resps, key=lambda r: r.sequence)] == [0] * len(SENDS)
    receipts = {pdu.receipted_message_id.decode(): pdu for pdu in session.receipts}
    assert len(receipts) == len(SENDS)
    # nothing but the ping went to the SMS carrier, and that without a text
    (ping,) = got["pings"]
    assert got["sms"] == 1 and ping.short_message == b"" and ping.data_coding == 0xF0
    (mail,) = got["mail"]
    assert mail.message["Subject"] == "Invoice 42"
    assert mail.message.get_content().strip() == "Your invoice is ready"
    by_channel = {r.channel: r.fields for r in got["provider"]}
    assert sorted(by_channel) == ["bot", "social", "telegram", "viber", "voice"]
    assert by_channel["telegram"].get("code") == "482913"
    assert by_channel["bot"].get("bot") == "@shop_bot"
    hlr = [pdu for pdu in receipts.values() if pdu.short_message.startswith(b"id:")]
    texts = [(pdu.short_message or pdu.message_payload or b"").decode("latin-1") for pdu in hlr]
    found = [m for text in texts if (m := HLR_RECEIPT.match(text))]
    assert len(found) == 1, texts
    _, stat, err, imsi, _, mcc, mnc, *_ = found[0].groups()
    assert err == "000"
    assert stat == "DELIVRD" and mcc == "440" and imsi.startswith("440" + mnc)
    states = {int(pdu.message_state) for pdu in receipts.values()}
    assert states <= {MessageState.DELIVERED, MessageState.UNDELIVERABLE}
