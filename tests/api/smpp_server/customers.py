"""Customer accounts with SMPP credentials on a running gateway, the server's address, and a
customer ESME built on smsgate's own SMPP transport for the protocol-level tests."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from smsgate.app import App
from smsgate.domain.account import Account, hash_password
from smsgate.domain.ids import new_id
from smsgate.smpp import codec
from smsgate.smpp.pdu import Bind, BindTransceiver, DeliverSm, Pdu, Request, SubmitSm
from smsgate.transport.smpp_connection import SmppConnection, connect
from tests.api.harness import Running, running_gateway
from tests.store.backends import StoreBackend

TIMEOUT = 20.0


async def add_smpp_account(
    app: App, system_id: str, password: str = "secret", rate: float = 10_000.0
) -> Account:
    assert app.store is not None
    account = Account(
        id=new_id(),
        name=system_id,
        smpp_system_id=system_id,
        smpp_password_hash=hash_password(password),
        rate_limit=rate,
    )
    await app.store.create_account(account)
    return account


def smpp_port(app: App) -> int:
    assert app.smpp is not None and app.smpp.port is not None
    return app.smpp.port


class Customer:
    """A customer's ESME on smsgate's own SMPP transport: answers deliver_sm and records them."""

    def __init__(self) -> None:
        self.delivered: list[DeliverSm] = []
        self.arrived = asyncio.Event()
        self.connection: SmppConnection | None = None

    def handle(self, connection: SmppConnection, pdu: Request) -> None:
        if isinstance(pdu, DeliverSm):
            self.delivered.append(pdu)
            self.arrived.set()
        connection.send(pdu.response())

    async def bind(
        self,
        port: int,
        system_id: str,
        password: str = "secret",
        *,
        bind: type[Bind] = BindTransceiver,
        system_type: str = "",
        ssl: Any = None,
    ) -> SmppConnection:
        self.connection = await connect(
            "127.0.0.1",
            port,
            bind(system_id=system_id, password=password, system_type=system_type),
            self.handle,
            ssl=ssl,
        )
        return self.connection

    async def wait_delivered(self, count: int, timeout: float = TIMEOUT) -> list[DeliverSm]:
        async def enough() -> None:
            while len(self.delivered) < count:
                self.arrived.clear()
                await self.arrived.wait()

        await asyncio.wait_for(enough(), timeout)
        return self.delivered


async def raw_exchange(port: int, *chunks: bytes, timeout: float = TIMEOUT) -> list[Pdu]:
    """Send each chunk of raw bytes on one new connection and read one PDU back after each."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answers: list[Pdu] = []
    try:
        for data in chunks:
            writer.write(data)
            await writer.drain()
            header = await asyncio.wait_for(reader.readexactly(16), timeout)
            length = int.from_bytes(header[:4], "big")
            body = await asyncio.wait_for(reader.readexactly(length - 16), timeout)
            answers.append(codec.decode(header + body))
        return answers
    finally:
        writer.close()


def submit(text: str = "Hello", to: str = "819012345678", **fields: Any) -> SubmitSm:
    fields.setdefault("registered_delivery", 1)
    fields.setdefault("short_message", text.encode())
    return SubmitSm(
        source_addr="447700900123",
        source_addr_ton=1,
        source_addr_npi=1,
        destination_addr=to,
        dest_addr_ton=1,
        dest_addr_npi=1,
        **fields,
    )


Scenario = Callable[[Running, int], Awaitable[None]]
REFUSED = "8180"  # destinations the simulated carrier refuses


def run_with_alice(backend: StoreBackend, scenario: Scenario, **settings: Any) -> None:
    """A gateway on `backend` whose carrier refuses REFUSED, with the SMPP account "alice";
    the scenario gets it and its SMPP port."""

    async def main() -> None:
        async with running_gateway(backend.url, **settings) as gw:
            assert gw.app.simulator is not None
            gw.app.simulator.config.reject_destinations = (REFUSED,)
            await add_smpp_account(gw.app, "alice")
            await scenario(gw, smpp_port(gw.app))

    asyncio.run(main())
