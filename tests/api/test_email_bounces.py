"""E-mail bounces end to end: a whole gateway (SQLite; the relay's bounce on PostgreSQL too)
whose e-mail connector sends through the simulated relay (aiosmtpd) under VERP envelope
senders, and whose SMTP server takes the DSNs sent back with aiosmtplib: a failed one makes the
message undelivered (status API and callback), a forged, a delayed or a malformed one changes
nothing."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import aiosmtplib
import orjson
import pytest

from smsgate.api.smtp import EmailIngressConfig
from smsgate.bench.receiver import CallbackReceiver
from smsgate.simulator.dsn import dsn_message, send_from_null_sender
from smsgate.simulator.embedded import BOUNCE_ADDRESS
from tests.api.harness import Running, running_gateway
from tests.store.backends import BACKENDS, StoreBackend, store_backend

TIMEOUT = 20.0
Scenario = Callable[[Running, CallbackReceiver, str], Awaitable[None]]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


def run(db: str, scenario: Scenario) -> None:
    async def main() -> None:
        receiver = CallbackReceiver()
        base = await receiver.start()
        try:
            async with running_gateway(
                db,
                simulator_channels=True,
                email_ingress=EmailIngressConfig(enabled=True, port=0),
            ) as gw:
                await asyncio.wait_for(scenario(gw, receiver, f"{base}/status"), TIMEOUT)
        finally:
            await receiver.stop()

    asyncio.run(main())


async def send_mail(gw: Running, to: str, callback_url: str) -> str:
    body = {"to": to, "channel": "email", "text": "Invoice 42 is ready", "subject": "Invoice"}
    response = await gw.client.post(
        "/v1/messages", json={**body, "callback_url": callback_url}, headers=gw.headers()
    )
    assert response.status_code == 202, response.text
    message_id: str = response.json()["id"]
    return message_id


async def until(gw: Running, message_id: str, status: str) -> dict[str, Any]:
    while True:
        got = await gw.client.get(f"/v1/messages/{message_id}", headers=gw.headers())
        view: dict[str, Any] = got.json()
        if view["status"] == status:
            return view
        await asyncio.sleep(0.02)


async def send_dsn(gw: Running, to: str, data: bytes) -> str:
    """Send `data` from the null sender to `to` at the gateway's SMTP server; its answer."""
    assert gw.app.email_ingress is not None
    try:
        answer = await send_from_null_sender(data, to, "127.0.0.1", gw.app.email_ingress.port)
    except aiosmtplib.SMTPRecipientsRefused as refused:
        (error,) = refused.recipients
        return f"{error.code} {error.message}"
    except aiosmtplib.SMTPResponseException as refused:
        return f"{refused.code} {refused.message}"
    return f"250 {answer}"


def callbacks(receiver: CallbackReceiver, message_id: str) -> list[dict[str, Any]]:
    payloads = [orjson.loads(r.body) for r in receiver.received]
    return [p for p in payloads if p["id"] == message_id]


def test_a_bounce_from_the_relay_makes_the_message_undelivered(backend: StoreBackend) -> None:
    async def scenario(gw: Running, receiver: CallbackReceiver, url: str) -> None:
        simulators = gw.app.channel_simulators
        assert simulators is not None
        message_id = await send_mail(gw, "bounce-ann@example.com", url)
        view = await until(gw, message_id, "undelivered")
        assert view["error_code"] == "undeliverable"
        assert view["error_detail"] == "bounced: 550 5.1.1 No such user here (e-mail error 1)"
        (relayed,) = simulators.relay.mailbox("bounce-ann@example.com")
        local, _, domain = relayed.sender.partition("@")
        assert domain == BOUNCE_ADDRESS.partition("@")[2] and local.startswith("bounces+")
        # the relay counts its DSN when its SMTP session ends, which may be after the gateway
        # took the DSN and committed the status
        while simulators.relay.counters.dsns < 1:
            await asyncio.sleep(0.01)
        assert simulators.relay.counters.dsns == 1
        await receiver.wait_for(4, TIMEOUT)
        told = callbacks(receiver, message_id)
        assert [p["status"] for p in told] == ["queued", "sent", "delivered", "undelivered"]
        assert told[-1]["error_code"] == "undeliverable"
        assert "5.1.1" in told[-1]["error_message"]

    run(backend.url, scenario)


def test_forged_delayed_and_malformed_bounces_change_nothing(tmp_path: Path) -> None:
    async def scenario(gw: Running, receiver: CallbackReceiver, url: str) -> None:
        simulators = gw.app.channel_simulators
        assert simulators is not None and gw.app.email_ingress is not None
        message_id = await send_mail(gw, "ann@example.com", url)
        await until(gw, message_id, "delivered")
        (relayed,) = simulators.relay.mailbox("ann@example.com")
        verp = relayed.sender
        failed = dsn_message(verp, "ann@example.com", original=relayed.data)
        # the same part, another signature: refused before any data
        local, _, domain = verp.partition("@")
        forged = f"{local[:-1]}{'a' if local[-1] != 'a' else 'b'}@{domain}"
        assert await send_dsn(gw, forged, failed) == "550 5.1.1 No such bounce address"
        unsigned = f"bounces+{local.partition('+')[2].rpartition('.')[0]}@{domain}"
        assert (await send_dsn(gw, unsigned, failed)).startswith("550 ")
        delayed = dsn_message(
            verp, "ann@example.com", action="delayed", status="4.4.1", diagnostic=""
        )
        assert await send_dsn(gw, verp, delayed) == "250 2.0.0 Delay noted, nothing changed"
        plain = b"From: someone@example.com\r\nSubject: hi\r\n\r\nnot a report\r\n"
        answer = await send_dsn(gw, verp, plain)
        assert (
            answer
            == "550 5.6.0 Not a delivery status notification: a text/plain message, not a report"
        )
        view = await until(gw, message_id, "delivered")
        assert view["error_code"] is None
        counters = gw.app.email_ingress.bounces.counters if gw.app.email_ingress.bounces else {}
        assert (counters["forged"], counters["delayed"], counters["malformed"]) == (2, 1, 1)
        # a bounce and a command in one message: the second kind is put off (sent on its own)
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=gw.app.email_ingress.port)
        async with smtp:
            await smtp.mail("")
            await smtp.rcpt(verp)
            with pytest.raises(aiosmtplib.SMTPRecipientRefused) as refused:
                await smtp.rcpt("send@sms.example")
            assert refused.value.code == 452
        # the real one, after all that, still applies
        assert (
            await send_dsn(gw, verp, failed) == "250 2.0.0 Bounce taken, the message is undelivered"
        )
        await until(gw, message_id, "undelivered")
        # a command out of form beside them: counted apart from the bounces
        assert (await send_dsn(gw, "send@sms.example", plain)).startswith("550 5.6.0 ")
        metrics = (await gw.client.get("/metrics")).text
        for result, count in (
            ("failed", 1), ("delayed", 1), ("other", 0), ("not_taken", 0), ("forged", 2),
            ("malformed", 1),
        ):  # fmt: skip
            assert f'smsgate_email_bounces_total{{result="{result}"}} {count}\n' in metrics
        assert 'smsgate_email_commands_total{result="refused"} 1\n' in metrics
        assert 'smsgate_email_commands_total{result="accepted"} 0\n' in metrics
        assert "smsgate_email_replies_dropped_total 0\n" in metrics

    run(str(tmp_path / "gw.db"), scenario)
