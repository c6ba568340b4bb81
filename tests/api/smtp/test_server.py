"""Sending by e-mail end to end: aiosmtplib as the client, the SMTP ingress on loopback, and a
whole gateway behind it (SQLite, the simulated carrier) whose acceptance the ingress calls."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest

from smsgate.api.smtp import EmailIngress, EmailIngressConfig
from smsgate.domain.account import Account, hash_api_key
from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message
from smsgate.domain.status import Status
from smsgate.engine.commands import SendCommand
from smsgate.transport.smtp_listener import TOO_MANY
from tests.api.harness import Running, running_gateway

TIMEOUT = 20.0
PHONE = "+79991234567"


@dataclass
class Ingress:
    """The ingress in front of a running gateway, recording what it asked of the engine."""

    gateway: Running
    server: EmailIngress
    commands: list[list[SendCommand]] = field(default_factory=list)
    results: list[list[Message | GatewayError]] = field(default_factory=list)
    replies: list[EmailMessage] = field(default_factory=list)

    def accepted_ids(self) -> list[str]:
        return [r.id for batch in self.results for r in batch if isinstance(r, Message)]

    @property
    def key(self) -> str:
        return self.gateway.keys["a"]

    async def send(self, body: str, charset: str = "utf-8", cte: str | None = None) -> str:
        """Send `body` as a text/plain e-mail; the server's answer to its data."""
        message = EmailMessage()
        message["From"] = "client@shop.example"
        message["To"] = "send@sms.example"
        message["Subject"] = "SMS"
        message.set_content(body, charset=charset, cte=cte)
        return await self.send_message(message)

    async def send_message(self, message: EmailMessage | bytes) -> str:
        try:
            if isinstance(message, bytes):
                _, answer = await aiosmtplib.send(
                    message,
                    sender="client@shop.example",
                    recipients=["send@sms.example"],
                    hostname="127.0.0.1",
                    port=self.server.port,
                    timeout=TIMEOUT,
                )
            else:
                _, answer = await aiosmtplib.send(
                    message, hostname="127.0.0.1", port=self.server.port, timeout=TIMEOUT
                )
        except aiosmtplib.SMTPResponseException as refused:
            return f"{refused.code} {refused.message}"
        return f"250 {answer}"


@contextlib.asynccontextmanager
async def ingress(tmp_path: Path, **fields: Any) -> AsyncIterator[Ingress]:
    async with running_gateway(str(tmp_path / "gw.db")) as gateway:
        app_gateway = gateway.app.gateway
        assert app_gateway is not None
        queries = app_gateway.queries

        async def authenticate(login: str, secret: str) -> Account | None:
            account = await queries.account_by_api_key_hash(hash_api_key(secret))
            return account if account is not None and account.name == login else None

        recorded: list[list[SendCommand]] = []
        results: list[list[Message | GatewayError]] = []
        replies: list[EmailMessage] = []

        async def accept(
            account: Account, commands: list[SendCommand]
        ) -> list[Message | GatewayError]:
            recorded.append(commands)
            results.append(await app_gateway.accept(account, commands))
            return results[-1]

        async def send_reply(message: EmailMessage) -> None:
            replies.append(message)

        config = EmailIngressConfig(enabled=True, port=0, **fields)
        server = EmailIngress(
            config,
            authenticate=authenticate,
            accept=accept,
            clock=app_gateway.clock,
            send_reply=send_reply if config.reply_by_email else None,
        )
        await server.start()
        try:
            yield Ingress(gateway, server, recorded, results, replies)
        finally:
            await server.stop()


def run(tmp_path: Path, scenario: Callable[[Ingress], Any], **fields: Any) -> None:
    async def bounded() -> None:
        async with ingress(tmp_path, **fields) as ing:
            await asyncio.wait_for(scenario(ing), TIMEOUT)

    asyncio.run(bounded())


def test_a_good_command_is_accepted_stored_and_delivered(tmp_path: Path) -> None:
    async def scenario(ing: Ingress) -> None:
        body = f"a:{ing.key}:order-1:::0:Shop:{PHONE},+79990000000:Code: 1234"
        answer = await ing.send(body)
        assert answer.startswith("250 2.0.0 Accepted 2 of 2 messages"), answer
        ((first, second),) = ing.commands
        assert (first.to, second.to) == (PHONE, "+79990000000")
        assert (first.text, first.sender, first.tag) == ("Code: 1234", "Shop", "order-1")
        statuses = await ing.gateway.wait_final(ing.accepted_ids(), TIMEOUT)
        assert list(statuses.values()) == [Status.DELIVERED, Status.DELIVERED]
        assert ing.server.counters["accepted"] == 1
        assert not ing.replies  # off by default

    run(tmp_path, scenario)


@pytest.mark.parametrize(
    ("text", "charset", "cte"),
    [
        ("Привет! Ваш код подтверждения: 1234", "koi8-r", "base64"),
        ("Привет! Ваш код подтверждения: 1234", "utf-8", "quoted-printable"),
        ("こんにちは、確認コードは 1234 です", "iso-2022-jp", "7bit"),
        ("こんにちは、確認コードは 1234 です", "utf-8", "base64"),
    ],
)
def test_the_text_is_decoded_from_its_charset(
    tmp_path: Path, text: str, charset: str, cte: str
) -> None:
    async def scenario(ing: Ingress) -> None:
        answer = await ing.send(f"a:{ing.key}::::::{PHONE}:{text}", charset=charset, cte=cte)
        assert answer.startswith("250 "), answer
        ((command,),) = ing.commands
        assert command.text == text

    run(tmp_path, scenario)


def test_the_first_text_part_of_a_multipart_message_is_read(tmp_path: Path) -> None:
    async def scenario(ing: Ingress) -> None:
        message = EmailMessage()
        message["From"] = "client@shop.example"
        message["To"] = "send@sms.example"
        message.set_content(f"a:{ing.key}::::::{PHONE}:Plain wins")
        message.add_alternative("<p>ignored</p>", subtype="html")
        message.add_attachment(b"\x00\x01", maintype="application", subtype="octet-stream")
        answer = await ing.send_message(message)
        assert answer.startswith("250 "), answer
        assert ing.commands[0][0].text == "Plain wins"

    run(tmp_path, scenario)


def test_wrong_credentials_are_refused(tmp_path: Path) -> None:
    async def scenario(ing: Ingress) -> None:
        answer = await ing.send(f"a:wrong-key::::::{PHONE}:Hi")
        assert answer == "550 5.7.8 Wrong login or password"
        other = await ing.send(f"b:{ing.key}::::::{PHONE}:Hi")  # a's key under b's login
        assert other == "550 5.7.8 Wrong login or password"
        assert not ing.commands

    run(tmp_path, scenario)


def test_a_bad_format_is_refused_with_its_reason(tmp_path: Path) -> None:
    async def scenario(ing: Ingress) -> None:
        answer = await ing.send(f"a:{ing.key}:{PHONE}:Hi")
        assert answer.startswith("550 5.6.0 expected login:password:id:time:"), answer
        html_only = EmailMessage()
        html_only["From"] = "client@shop.example"
        html_only["To"] = "send@sms.example"
        html_only.set_content("<p>hi</p>", subtype="html")
        answer = await ing.send_message(html_only)
        assert answer == "550 5.6.0 the message has no text/plain part"
        unknown = (
            b"From: client@shop.example\r\nTo: send@sms.example\r\n"
            b"Content-Type: text/plain; charset=x-unheard-of\r\n\r\nhello\r\n"
        )
        answer = await ing.send_message(unknown)
        assert answer == "550 5.6.0 unknown charset 'x-unheard-of'"
        assert not ing.commands

    run(tmp_path, scenario)


def test_every_phone_refused_is_a_refusal(tmp_path: Path) -> None:
    async def scenario(ing: Ingress) -> None:
        answer = await ing.send(f"a:{ing.key}::::::12,34:Hi")
        assert answer.startswith("550 5.0.0 No message accepted: invalid_destination"), answer
        assert len(ing.commands) == 1  # it reached the engine, which refused each

    run(tmp_path, scenario)


def test_an_oversized_message_is_refused_with_552(tmp_path: Path) -> None:
    async def scenario(ing: Ingress) -> None:
        answer = await ing.send(f"a:{ing.key}::::::{PHONE}:" + "x" * 2000)
        assert answer.startswith("552 "), answer
        assert not ing.commands

    run(tmp_path, scenario, max_message_bytes=1024)


def test_connections_past_the_limit_get_421(tmp_path: Path) -> None:
    async def scenario(ing: Ingress) -> None:
        first = await asyncio.open_connection("127.0.0.1", ing.server.port)
        greeting = await asyncio.wait_for(first[0].readline(), TIMEOUT)
        assert greeting.startswith(b"220 ")
        reader, writer = await asyncio.open_connection("127.0.0.1", ing.server.port)
        assert await asyncio.wait_for(reader.readline(), TIMEOUT) == TOO_MANY
        assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""  # closed
        writer.close()
        first[1].close()

    run(tmp_path, scenario, max_connections=1)


def test_an_answer_by_email_when_asked(tmp_path: Path) -> None:
    async def scenario(ing: Ingress) -> None:
        answer = await ing.send(f"a:{ing.key}::::::{PHONE},12:Hi")
        assert answer.startswith("250 2.0.0 Accepted 1 of 2 messages"), answer
        await ing.server.stop()  # lets the answer under way finish
        (reply,) = ing.replies
        assert reply["To"] == "client@shop.example"
        assert reply["From"] == "sms@gateway.example"
        assert reply["Subject"] == "Re: SMS"
        assert reply["Auto-Submitted"] == "auto-replied"
        body = reply.get_content()
        assert "1 of 2 messages accepted." in body
        assert f"{PHONE}: accepted, id {ing.accepted_ids()[0]}" in body
        assert "12: refused, invalid_destination" in body

    run(tmp_path, scenario, reply_by_email=True, reply_from="sms@gateway.example")


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"max_message_bytes": 0}, "at least 1"),
        ({"reply_by_email": True}, "reply_from"),
        ({"port": 70_000}, "port"),
        ({"timeout": 0.0}, "timeout"),
    ],
)
def test_a_bad_configuration_is_refused(fields: dict[str, Any], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        EmailIngressConfig(**fields)
