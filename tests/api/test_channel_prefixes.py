"""SMSC.ru's channel prefixes (`__MAIL__`, `__CALL__`, `__VIBER__`, `__SOC__`, `__TGM__`,
`__BOT__`, `__HLR__`) are refused with `channel_unavailable` on every interface while no
connector carries their channel, never sent as SMS text; the texts are the document's examples.
`__PING__` goes by the SMS connectors: a silent SMS, with nothing for the handset to show."""

from smsgate.domain.account import Account, hash_api_key
from smsgate.domain.errors import CATALOG
from smsgate.domain.status import Status
from smsgate.engine.clock import ManualClock
from smsgate.smpp.pdu import DataSm, SmeAddress, SubmitMulti
from smsgate.smpp.tlv import Tag
from tests.api.dialects import test_p5 as p5
from tests.api.dialects import test_reach as reach
from tests.api.dialects import test_smsc_ru as smsc
from tests.api.harness import Running
from tests.api.smpp_server.customers import Customer, smpp_port, submit
from tests.store.backends import StoreBackend

backend = smsc.backend
ENTRY = CATALOG["channel_unavailable"]
# the SMSC.ru document's forms of each prefix
DOCUMENT_TEXTS = [
    "__MAIL__: Hello\nsubj:Greetings",
    "__CALL__: Hello\nvoice:m",
    "__VIBER__: Hello",
    "__SOC__: Hello",
    "__TGM__: 1234",
    "__BOT__: Hello\nbot:@my_bot",
    "__HLR__",
]


def test_channel_prefixes_are_refused_on_every_interface(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock, account: Account) -> None:
        connection = await Customer().bind(smpp_port(gw.app), smsc.LOGIN, smsc.PASSWORD)
        for text in DOCUMENT_TEXTS:
            pdu = submit(text)
            assert (await connection.request(pdu)).command_status == ENTRY.smpp_status, text
        data = DataSm(source_addr="447700900123", destination_addr="819012345678", dest_addr_ton=1)
        data.tlvs[Tag.MESSAGE_PAYLOAD] = b"__VIBER__: Hello"
        assert (await connection.request(data)).command_status == ENTRY.smpp_status
        multi = SubmitMulti(
            source_addr="Shop",
            source_addr_ton=5,
            dest_addresses=[SmeAddress("819012345678", 1, 1)],
            short_message=b"__HLR__",
        )
        assert (await connection.request(multi)).command_status == ENTRY.smpp_status
        await connection.unbind_and_close()
        native = await gw.send(text="__VIBER__: Hello")
        assert native.status_code == ENTRY.http_status
        assert native.json()["error"]["code"] == "channel_unavailable"
        answer = await smsc.call(gw, "send", phones="79991234567", mes="__MAIL__: Hi\nsubj:S")
        smsc.check_error(answer, "0", int(ENTRY.dialect_codes["smsc_ru"]), None)
        refused = await reach.create(gw, body="__TGM__: 1234")
        reach.assert_error(refused, ENTRY.http_status, int(ENTRY.dialect_codes["reach"]))
        answered = await p5.mt(gw, message="__BOT__: Hello\nbot:@my_bot")
        assert answered["responseCode"] == int(ENTRY.dialect_codes["p5"]), answered
        # nothing was stored, so nothing can reach a carrier
        assert gw.app.store is not None
        for name in ("a", "b"):
            found = await gw.app.store.account_by_api_key_hash(hash_api_key(gw.keys[name]))
            assert found is not None
            assert (await gw.app.store.list_messages(found.id))[0] == []
        # an ordinary text that only mentions a prefix goes
        assert (await gw.send(text="Write __MAIL__ to us")).status_code == 202
        # a ping is a silent SMS: TP-PID 0x40, class 0, no text
        ping = await gw.send(text="__PING__")
        assert ping.status_code == 202 and ping.json()["channel"] == "ping"
        assert await gw.wait_final([ping.json()["id"]]) == {ping.json()["id"]: Status.DELIVERED}
        simulator = gw.app.simulator
        assert simulator is not None
        (submitted,) = [m for m in simulator.messages.values() if m.protocol_id == 0x40]
        assert submitted.data_coding == 0xF0 and submitted.short_message == b""

    smsc.run(backend, scenario)
