"""Sending by e-mail, as the gateway runs it: who a command's login and secret name (an
account's SMPP login and password, as SMSC.ru's, or its name, id or login with its API key),
and how answers by e-mail leave (through the relay of the first e-mail connector)."""

import asyncio
from email.message import EmailMessage

import aiosmtplib

from smsgate.api.smtp.server import SendReply
from smsgate.connectors.email import EmailConnectorConfig
from smsgate.domain.account import Account, check_password, hash_api_key
from smsgate.engine.queries import Queries


class Logins:
    def __init__(self, queries: Queries) -> None:
        self.queries = queries

    async def authenticate(self, login: str, secret: str) -> Account | None:
        """The account a command's login and secret name, or None."""
        keyed = await self.queries.account_by_api_key_hash(hash_api_key(secret))
        if keyed is not None and login in (keyed.name, keyed.id, keyed.smpp_system_id):
            return keyed
        account = await self.queries.account_by_system_id(login)
        stored = account.smpp_password_hash if account is not None else None
        if stored is not None and await asyncio.to_thread(check_password, secret, stored):
            return account
        return None


def relay_sender(relay: EmailConnectorConfig) -> SendReply:
    """Answers sent through `relay`, one SMTP session each (answers are few)."""

    async def send(message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=relay.host,
            port=relay.port,
            start_tls=relay.starttls,
            use_tls=relay.implicit_tls,
            username=relay.username,
            password=relay.password,
            timeout=relay.timeout,
        )

    return send
