"""SMPP over TLS: the connector verifies the carrier's certificate and works as over TCP."""

import asyncio
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from smsgate.connectors.smpp import SmppConnector
from smsgate.simulator.smsc import SimulatorConfig
from tests.conftest import start_simulator
from tests.connectors.helpers import (
    Recorder,
    connector_config,
    make_part,
    submit_all,
    watch_log,
)


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-days", "1", "-subj", "/CN=smsgate test carrier",
            "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return cert, key


def test_parts_and_receipts_over_tls(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))

    async def main() -> None:
        sim = await start_simulator(SimulatorConfig(tls=server, receipt_delay=0.01))
        recorder = Recorder()
        connector = SmppConnector(connector_config(sim.config.port, tls=client))
        await connector.start(recorder)
        try:
            submit_all(connector, [make_part(n) for n in range(20)])
            await recorder.wait_until(lambda: len(recorder.receipts) == 20)
            assert {report.carrier_ids[0] for report in recorder.receipts} == recorder.submitted_ids
            conn = connector.links[0].conn
            assert conn is not None and conn.transport is not None
            assert conn.transport.get_extra_info("ssl_object") is not None
        finally:
            await connector.stop(drain_timeout=1.0)
            await sim.stop()

    asyncio.run(main())


def test_untrusted_certificate_is_refused(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)

    async def main() -> None:
        sim = await start_simulator(SimulatorConfig(tls=server))
        recorder = Recorder()
        # tls=True: the system's trust store, which does not know this certificate
        config = connector_config(sim.config.port, tls=True, reconnect_min=0.01)
        connector = SmppConnector(config)
        with watch_log("smsgate.connectors.smpp.link", "failed") as failures:
            await connector.start(recorder)
            submit_all(connector, [make_part(1)])
            try:
                await failures.wait_for(2)  # refused, then refused again after the back-off
                assert connector.stats.bind_failures >= 2
                assert connector.links_up == 0 and sim.counters["binds"] == 0
            finally:
                unsent = await connector.stop(drain_timeout=0.5)
                await sim.stop()
        assert [part.key for part in unsent] == [make_part(1).key]

    asyncio.run(main())
