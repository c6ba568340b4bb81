"""The e-mail connector's sessions with the relay: TLS (STARTTLS and implicit), AUTH, a
session kept and reused, renewed, the relay down and back, rate, back-pressure and stop."""

import time
from pathlib import Path

import pytest

from smsgate.api.smpp_server.tls import self_signed
from smsgate.connectors.email import EmailConnector, EmailConnectorConfig
from smsgate.simulator.smtp_relay import SmtpRelayConfig, SmtpRelaySimulator
from tests.connectors.email.harness import (
    FROM,
    TIMEOUT,
    Recorder,
    connector_config,
    mail_part,
    rig,
    run,
)

USERS = {"gateway": "s3cret"}


def test_starttls_with_auth_over_a_verified_certificate(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    relay = SmtpRelayConfig(
        port=0, starttls=True, cert_file=str(cert), key_file=str(key), users=USERS
    )

    async def scenario() -> None:
        async with rig(
            relay, starttls=True, ca_file=str(cert), username="gateway", password="s3cret"
        ) as r:
            assert r.connector.submit(mail_part(1))
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            (got,) = r.relay.mailbox("alice@example.com")
            assert (got.login, got.tls) == ("gateway", True)

    run(scenario)


def test_implicit_tls_with_auth(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    relay = SmtpRelayConfig(
        port=0, implicit_tls=True, cert_file=str(cert), key_file=str(key), users=USERS
    )

    async def scenario() -> None:
        async with rig(
            relay,
            starttls=False,
            implicit_tls=True,
            ca_file=str(cert),
            username="gateway",
            password="s3cret",
        ) as r:
            assert r.connector.submit(mail_part(1))
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            (got,) = r.relay.mailbox("alice@example.com")
            assert (got.login, got.tls) == ("gateway", True)

    run(scenario)


def test_wrong_credentials_keep_the_connector_down(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    relay = SmtpRelaySimulator(
        SmtpRelayConfig(port=0, starttls=True, cert_file=str(cert), key_file=str(key), users=USERS)
    )

    async def scenario() -> None:
        port = await relay.start()
        config = connector_config(
            port, starttls=True, ca_file=str(cert), username="gateway", password="wrong"
        )
        connector = EmailConnector(config)
        try:
            await connector.start(Recorder())
            await relay.wait_until(lambda: relay.counters.auth_failures >= 2, TIMEOUT)
            assert not connector.is_up and connector.capacity == 0
        finally:
            assert await connector.stop(1.0) == []
            await relay.stop()

    run(scenario)


def test_an_unverifiable_certificate_keeps_the_connector_down(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    relay = SmtpRelaySimulator(
        SmtpRelayConfig(port=0, starttls=True, cert_file=str(cert), key_file=str(key))
    )

    async def scenario() -> None:
        port = await relay.start()
        connector = EmailConnector(connector_config(port, starttls=True))  # the system's CAs
        try:
            await connector.start(Recorder())
            assert not await connector.wait_up(0.3)
            assert relay.counters.taken == 0
        finally:
            await connector.stop(1.0)
            await relay.stop()

    run(scenario)


def test_one_session_is_kept_for_many_messages_then_renewed() -> None:
    async def scenario() -> None:
        async with rig(connections=1, messages_per_connection=4) as r:
            for n in range(6):
                assert r.connector.submit(mail_part(n))
            await r.events.wait_until(lambda: len(r.events.receipts) == 6)
            # the probe's session at start, then 4 messages in one and 2 in the next
            assert r.relay.counters.sessions == 3
            assert r.connector.links_up == 1
            sent = [got.message["Subject"] for got in r.relay.mailbox("alice@example.com")]
            assert len(sent) == 6

    run(scenario)


def test_an_idle_session_is_closed() -> None:
    async def scenario() -> None:
        async with rig(connections=1, idle_timeout=0.1) as r:
            assert r.connector.submit(mail_part(1))
            await r.events.wait_until(lambda: len(r.events.receipts) == 1)
            assert r.connector.links_up == 1
            # the probe's session at start, then the sender's once idle
            await r.relay.wait_until(lambda: r.relay.counters.quits == 2, TIMEOUT)
            assert r.connector.links_up == 0 and r.connector.is_up
            assert r.connector.submit(mail_part(2))  # a new session for the next one
            await r.events.wait_until(lambda: len(r.events.receipts) == 2)

    run(scenario)


def test_the_connector_comes_up_once_the_relay_listens() -> None:
    async def scenario() -> None:
        placeholder = SmtpRelaySimulator(SmtpRelayConfig(port=0))
        port = await placeholder.start()
        await placeholder.stop()  # the port is free again: nothing listens there
        connector = EmailConnector(connector_config(port))
        events = Recorder()
        relay = SmtpRelaySimulator(SmtpRelayConfig(port=port))
        try:
            await connector.start(events)
            assert not await connector.wait_up(0.2)
            assert not connector.submit(mail_part(0)) or connector.queue_depth == 1
            await relay.start()
            assert await connector.wait_up(TIMEOUT)
            await events.wait_until(lambda: len(events.receipts) == 1)
        finally:
            await connector.stop(1.0)
            await relay.stop()

    run(scenario)


def test_the_rate_spaces_the_messages() -> None:
    async def scenario() -> None:
        async with rig(rate=50.0, connections=2) as r:
            started = time.monotonic()
            for n in range(16):
                assert r.connector.submit(mail_part(n))
            await r.events.wait_until(lambda: len(r.events.receipts) == 16)
            # a burst of 5 (a tenth of a second's worth), then 11 at 50/s: at least 0.2 s
            assert time.monotonic() - started >= 0.2

    run(scenario)


def test_a_full_queue_refuses_parts() -> None:
    async def scenario() -> None:
        async with rig(
            SmtpRelayConfig(port=0, delay=5.0), connections=1, queue_size=2, timeout=10.0
        ) as r:
            assert r.connector.submit(mail_part(1))
            await r.relay.wait_until(lambda: r.connector.in_flight == 1, TIMEOUT)
            assert r.connector.submit(mail_part(2))
            assert r.connector.submit(mail_part(3))
            assert not r.connector.submit(mail_part(4))
            assert r.connector.queue_depth == 2

    run(scenario)


def test_stop_hands_back_what_was_not_relayed() -> None:
    async def scenario() -> None:
        async with rig(SmtpRelayConfig(port=0, delay=5.0), connections=1, timeout=10.0) as r:
            parts = [mail_part(n) for n in range(3)]
            for part in parts:
                assert r.connector.submit(part)
            await r.relay.wait_until(
                lambda: r.relay.counters.taken == 0 and r.connector.in_flight == 1, TIMEOUT
            )
            started = time.monotonic()
            unsent = await r.connector.stop(0.2)
            assert time.monotonic() - started < 2.0
            assert sorted(p.key for p in unsent) == sorted(p.key for p in parts)
            assert not r.events.accepted_parts and not r.events.failures
            assert not r.connector.submit(mail_part(9))

    run(scenario)


def test_stop_lets_a_message_on_its_way_finish_within_the_drain() -> None:
    async def scenario() -> None:
        async with rig(SmtpRelayConfig(port=0, delay=0.2), connections=1) as r:
            first, second = mail_part(1), mail_part(2)
            assert r.connector.submit(first) and r.connector.submit(second)
            await r.relay.wait_until(lambda: r.connector.in_flight == 1, TIMEOUT)
            unsent = await r.connector.stop(3.0)
            assert [p.key for p in unsent] == [second.key]
            assert [a[0] for a in r.events.accepted_parts] == [first.key]
            assert len(r.events.receipts) == 1

    run(scenario)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"from_address": "not an address"}, "from_address"),
        ({"starttls": True, "implicit_tls": True}, "exclude"),
        ({"username": "u"}, "username and password"),
        ({"connections": 0}, "at least 1"),
        ({"rate": 0.0}, "rate"),
        ({"retry_min": 5.0, "retry_max": 1.0}, "retry_min"),
        ({"port": 70_000}, "port"),
        ({"timeout": 0.0}, "timeout"),
    ],
)
def test_a_bad_configuration_is_refused(fields: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"id": "m", "host": "relay.example", "from_address": FROM}
    values.update(fields)
    with pytest.raises(ValueError, match=message):
        EmailConnectorConfig(**values)  # type: ignore[arg-type]
