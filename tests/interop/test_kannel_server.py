"""Kannel (Debian's `kannel` package), an SMPP client nobody on this team wrote, as a customer:
bearerbox binds to smsgate's SMPP server as a transceiver, a message sent through smsbox's
sendsms HTTP interface reaches the simulated carrier, and its receipt comes back to Kannel,
which calls the dlr-url (an HTTP receiver in this test).

Kannel is installed by `make test` (as root, where apt-get can) and by `.ci/run`; where it is
missing the test is skipped with that reason, except under CI=true, where that is a failure.
"""

import asyncio
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from tests.api.harness import running_gateway
from tests.api.smpp_server.customers import add_smpp_account, smpp_port

pytestmark = pytest.mark.interop

TIMEOUT = 60.0  # Kannel connects within a second or two; receipts follow in milliseconds
BEARERBOX, SMSBOX = (
    shutil.which("bearerbox", path="/usr/sbin:/usr/bin"),
    shutil.which("smsbox", path="/usr/sbin:/usr/bin"),
)

if BEARERBOX is None or SMSBOX is None:
    reason = "Kannel is not installed (apt-get install kannel; `make test` does it as root)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def kannel_config(directory: Path, smpp: int, box: int, admin: int, sendsms: int) -> Path:
    path = directory / "kannel.conf"
    path.write_text(
        f"""group = core
admin-port = {admin}
admin-password = admin
smsbox-port = {box}
box-allow-ip = 127.0.0.1
log-file = "{directory}/bearerbox.log"
log-level = 0
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = smsgate
host = 127.0.0.1
port = {smpp}
transceiver-mode = true
smsc-username = kannel
smsc-password = secret
system-type = VMA
interface-version = 34
source-addr-ton = 1
source-addr-npi = 1
dest-addr-ton = 1
dest-addr-npi = 1
enquire-link-interval = 30
reconnect-delay = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {box}
sendsms-port = {sendsms}
log-file = "{directory}/smsbox.log"
log-level = 0

group = sendsms-user
username = tester
password = secret
"""
    )
    return path


@contextmanager
def kannel_box(program: str, config: Path) -> Iterator[None]:
    """Run bearerbox or smsbox on `config` (its output beside it) until the block ends."""
    with (config.parent / f"{Path(program).name}.out").open("w") as out:
        process = subprocess.Popen([program, str(config)], stdout=out, stderr=out)
        try:
            yield
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class DlrReceiver:
    """The dlr-url Kannel calls: records each query string."""

    def __init__(self) -> None:
        self.calls: list[dict[str, list[str]]] = []
        self.arrived = asyncio.Event()
        self.port = 0

    async def start(self) -> asyncio.Server:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        return server

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request = await reader.readuntil(b"\r\n\r\n")
        target = request.split(b" ", 2)[1].decode()
        self.calls.append(parse_qs(urlsplit(target).query))
        self.arrived.set()
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()


# a UDH of application port addressing (16-bit, to 2948 from 9200) and 8-bit data, as Kannel's
# sendsms takes them (udh=, coding=1): octets as Latin-1 characters
UDH = "\x06\x05\x04\x0b\x84\x23\xf0"
BINARY = "\x00\x01\xfe\xff binary"


def octets(value: str) -> str:
    return quote(value.encode("latin-1"), safe="")


def test_kannel_sends_through_smsgate_and_gets_the_receipt(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running_gateway(str(tmp_path / "gw.db")) as gw:
            account = await add_smpp_account(gw.app, "kannel")
            receiver = DlrReceiver()
            dlr_server = await receiver.start()
            box, admin, sendsms = free_port(), free_port(), free_port()
            config = kannel_config(tmp_path, smpp_port(gw.app), box, admin, sendsms)
            simulator = gw.app.simulator
            assert simulator is not None
            server = gw.app.smpp
            assert server is not None and BEARERBOX is not None and SMSBOX is not None

            async def kannel_bound() -> None:
                while not server.binds.receivers(account.id):
                    await asyncio.sleep(0.05)  # bearerbox is starting and connecting

            with kannel_box(BEARERBOX, config):
                await asyncio.wait_for(kannel_bound(), TIMEOUT)
                # smsbox gives up at once if bearerbox is not listening yet; it is now
                with kannel_box(SMSBOX, config):
                    dlr_url = f"http://127.0.0.1:{receiver.port}/dlr?type=%d&smsc=%i&id=%F"
                    url = (
                        f"http://127.0.0.1:{sendsms}/cgi-bin/sendsms?username=tester&password=secret"
                        f"&from=447700900123&to=819012345678&text={quote('Hello via Kannel')}"
                        f"&dlr-mask=3&dlr-url={quote(dlr_url, safe='')}"
                    )
                    async with httpx.AsyncClient(timeout=TIMEOUT) as client:

                        async def sendsms_up() -> httpx.Response:
                            while True:
                                try:
                                    return await client.get(url)
                                except httpx.TransportError:
                                    await asyncio.sleep(0.1)  # smsbox still starting

                        response = await asyncio.wait_for(sendsms_up(), TIMEOUT)
                        assert response.status_code == 202, response.text
                        # 8-bit data behind an application port header (WAP push's ports)
                        binary = await client.get(
                            url.replace(quote("Hello via Kannel"), octets(BINARY))
                            + f"&coding=1&udh={octets(UDH)}"
                        )
                        assert binary.status_code == 202, binary.text

                    async def delivered() -> None:
                        while sum(call.get("type") == ["1"] for call in receiver.calls) < 2:
                            receiver.arrived.clear()
                            await receiver.arrived.wait()

                    await asyncio.wait_for(delivered(), TIMEOUT)
            dlr_server.close()
            assert simulator.counters["submitted"] >= 1
            assert gw.app.store is not None
            messages, _ = await gw.app.store.list_messages(account.id)
            texts = {m.text: m for m in messages}
            assert texts.keys() == {"Hello via Kannel", BINARY.encode("latin-1").hex()}
            assert {(m.status, m.origin) for m in messages} == {("delivered", "smpp")}
            assert texts[BINARY.encode("latin-1").hex()].udh == UDH.encode("latin-1")[1:]
            seen = {body for destination, body in simulator._seen if destination}
            assert (UDH + BINARY).encode("latin-1") in seen
            call = next(c for c in receiver.calls if c.get("type") == ["1"])
            assert call["smsc"] == ["smsgate"]

    asyncio.run(scenario())
