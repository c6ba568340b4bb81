"""A simulated SMTP relay: the server an e-mail connector sends through, on loopback.

It takes messages as a relay (a smarthost or a submission server) does, with what a test or a
demo needs to see and to break:

- STARTTLS (`starttls`) or TLS from the first byte (`implicit_tls`) with `cert_file` and
  `key_file`; AUTH PLAIN/LOGIN required when `users` is not empty (over TLS unless
  `auth_require_tls` is off);
- recipients in a `refused_domains` domain are answered "550 5.1.1", in a `deferred_domains`
  one "451 4.7.1"; a `refuse_share` of the other messages "554 5.7.1" and a `defer_share`
  "451 4.3.0", drawn from `seed`; `drop_share` of them lose the connection instead of a reply;
- each message is answered `delay` seconds after its data came;
- what each mailbox got is kept, bounded (`mailboxes`, `mailbox_messages`), and
  `mailbox(address)` lists it in order.

Relays send no delivery reports back: a message they take and later cannot deliver comes back
as a bounce, an e-mail (a DSN) to its envelope sender. With `dsn_port` set, the relay does so
for recipients whose local part starts with `bounce_prefix` ("bounce-me@example.com"): it
takes the message (250), then sends a failed DSN ("5.1.1") with aiosmtplib to the server at
`dsn_host`:`dsn_port` (the gateway's SMTP server, standing in for the bounce domain's MX).
"""

import asyncio
import logging
import random
import ssl
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import aiosmtplib
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from smsgate.simulator.dsn import dsn_message, send_from_null_sender
from smsgate.transport.smtp_listener import SmtpListener

log = logging.getLogger(__name__)


@dataclass
class SmtpRelayConfig:
    host: str = "127.0.0.1"
    port: int = 2525  # 0: a free port chosen by the kernel
    starttls: bool = False
    implicit_tls: bool = False
    cert_file: str | None = None  # with key_file: needed by starttls and implicit_tls
    key_file: str | None = None
    users: dict[str, str] = field(default_factory=dict)  # login -> password; empty: no AUTH
    auth_require_tls: bool = True
    refused_domains: tuple[str, ...] = ("refused.example",)
    deferred_domains: tuple[str, ...] = ("deferred.example",)
    refuse_share: float = 0.0
    defer_share: float = 0.0
    drop_share: float = 0.0
    delay: float = 0.0  # seconds from a message's data to its reply
    max_message_bytes: int = 10 * 1024 * 1024
    max_connections: int = 100
    mailboxes: int = 10_000  # addresses whose messages are kept
    mailbox_messages: int = 100  # messages kept per address
    seed: int = 0
    # DSNs for the recipients it "cannot deliver to", sent to this server; None: none sent
    dsn_host: str = "127.0.0.1"
    dsn_port: int | None = None
    bounce_prefix: str = "bounce"  # local parts that bounce
    dsn_delay: float = 0.05  # seconds between taking such a message and bouncing it

    def __post_init__(self) -> None:
        shares = (self.refuse_share, self.defer_share, self.drop_share)
        if not all(0.0 <= share <= 1.0 for share in shares) or sum(shares) > 1.0:
            raise ValueError("shares must be between 0 and 1, and add up to at most 1")
        if self.starttls and self.implicit_tls:
            raise ValueError("starttls and implicit_tls exclude each other")
        if (self.starttls or self.implicit_tls) and not (self.cert_file and self.key_file):
            raise ValueError("TLS needs cert_file and key_file")
        if self.delay < 0:
            raise ValueError("delay must not be negative")
        bounds = (self.max_message_bytes, self.max_connections, self.mailboxes)
        if min(*bounds, self.mailbox_messages) < 1:
            raise ValueError("sizes and counts must be at least 1")


@dataclass(frozen=True, slots=True)
class Relayed:
    """A message the relay took: its envelope and its bytes (parsed when looked at, so that
    taking a message costs the relay little)."""

    sender: str
    recipient: str
    data: bytes
    login: str | None  # the AUTH login it came under
    tls: bool  # whether its session was encrypted

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=default)
        assert isinstance(parsed, EmailMessage)  # what the `default` policy builds
        return parsed


@dataclass(slots=True)
class RelayCounters:
    sessions: int = 0
    quits: int = 0  # sessions the client ended with QUIT
    taken: int = 0
    refused: int = 0
    deferred: int = 0
    dropped: int = 0
    auth_failures: int = 0
    dsns: int = 0  # DSNs sent
    dsns_failed: int = 0  # DSNs the server did not take


class SmtpRelaySimulator:
    def __init__(self, config: SmtpRelayConfig | None = None) -> None:
        self.config = config or SmtpRelayConfig()
        self.counters = RelayCounters()
        self.port = 0
        self._rng = random.Random(self.config.seed)
        self._mailboxes: OrderedDict[str, deque[Relayed]] = OrderedDict()
        self._listener: SmtpListener | None = None
        self._changed = asyncio.Event()  # set at each message or refusal, for wait_until
        self._dsns: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        """Listen; returns the port."""
        config = self.config
        context: ssl.SSLContext | None = None
        if config.cert_file and config.key_file:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(config.cert_file, config.key_file)
        options: dict[str, Any] = {
            "data_size_limit": config.max_message_bytes,
            "hostname": "relay.simulator",
            "timeout": 60,
        }
        if config.starttls:
            options["tls_context"] = context
            options["require_starttls"] = True
        if config.users:
            # AUTH is required by handle_MAIL: aiosmtpd's own requirement counts only STARTTLS
            # as TLS, and a session with implicit TLS is one too
            options["authenticator"] = self._authenticate
            options["auth_require_tls"] = config.auth_require_tls and not config.implicit_tls
        self._listener = SmtpListener(
            self,
            max_connections=config.max_connections,
            ssl_context=context if config.implicit_tls else None,
            **options,
        )
        self.port = await self._listener.start(config.host, config.port)
        return self.port

    async def stop(self) -> None:
        if self._listener is not None:
            await self._listener.stop()
            self._listener = None
        for task in self._dsns:
            task.cancel()
        await asyncio.gather(*self._dsns, return_exceptions=True)

    # -- what tests and demos look at ----------------------------------------------------------

    def mailbox(self, address: str) -> list[Relayed]:
        """What `address` got, oldest first."""
        return list(self._mailboxes.get(address.lower(), ()))

    async def wait_until(self, condition: Callable[[], bool], timeout: float) -> None:
        """Wait until `condition()` holds, checked after each message, refusal or drop.
        Raises TimeoutError after `timeout` seconds."""

        async def satisfied() -> None:
            while not condition():
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(satisfied(), timeout)

    @property
    def connections(self) -> int:
        return self._listener.connections if self._listener is not None else 0

    # -- aiosmtpd's hooks ----------------------------------------------------------------------

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if isinstance(data, LoginPassword):
            login = data.login.decode("utf-8", "replace")
            if self.config.users.get(login) == data.password.decode("utf-8", "replace"):
                return AuthResult(success=True, auth_data=login)
        self.counters.auth_failures += 1
        self._changed.set()
        return AuthResult(success=False, handled=False)

    async def handle_EHLO(  # noqa: N802 (aiosmtpd's hook name)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        if session.ssl is None:  # the first EHLO of a session, not the one after STARTTLS
            self.counters.sessions += 1
        return responses

    async def handle_QUIT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.counters.quits += 1
        self._changed.set()
        return "221 Bye"

    async def handle_MAIL(  # noqa: N802 (aiosmtpd's hook name)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self.config.users and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        self._changed.set()
        domain = address.rpartition("@")[2].lower()
        if domain in self.config.refused_domains:
            self.counters.refused += 1
            return "550 5.1.1 No such user here"
        if domain in self.config.deferred_domains:
            self.counters.deferred += 1
            return "451 4.7.1 Greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        config = self.config
        if config.delay:
            await asyncio.sleep(config.delay)
        self._changed.set()
        draw = self._rng.random()
        if draw < config.refuse_share:
            self.counters.refused += 1
            return "554 5.7.1 Message refused by policy"
        draw -= config.refuse_share
        if draw < config.defer_share:
            self.counters.deferred += 1
            return "451 4.3.0 Temporary failure, try again later"
        draw -= config.defer_share
        if draw < config.drop_share:
            self.counters.dropped += 1
            if isinstance(server.transport, asyncio.WriteTransport):
                server.transport.abort()
            return "421 4.4.2 Connection dropped"  # never reaches the client
        data = envelope.original_content or b""
        login = session.auth_data if isinstance(session.auth_data, str) else None
        encrypted = session.ssl is not None or config.implicit_tls
        for recipient in envelope.rcpt_tos:
            relayed = Relayed(envelope.mail_from or "", recipient, data, login, encrypted)
            self._keep(recipient.lower(), relayed)
            if self._bounces(relayed):
                task = asyncio.get_running_loop().create_task(self._bounce(relayed))
                self._dsns.add(task)
                task.add_done_callback(self._dsns.discard)
        self.counters.taken += 1
        return "250 2.0.0 OK queued"

    def _bounces(self, relayed: Relayed) -> bool:
        local = relayed.recipient.partition("@")[0].lower()
        # never a bounce of a bounce (null sender)
        return (
            self.config.dsn_port is not None
            and bool(relayed.sender)
            and local.startswith(self.config.bounce_prefix)
        )

    async def _bounce(self, relayed: Relayed) -> None:
        config = self.config
        assert config.dsn_port is not None
        await asyncio.sleep(config.dsn_delay)
        data = dsn_message(relayed.sender, relayed.recipient, original=relayed.data)
        try:
            await send_from_null_sender(data, relayed.sender, config.dsn_host, config.dsn_port)
        except (aiosmtplib.SMTPException, OSError) as exc:
            self.counters.dsns_failed += 1
            log.info("relay simulator: the DSN to %s was not taken: %s", relayed.sender, exc)
        else:
            self.counters.dsns += 1
        self._changed.set()

    def _keep(self, address: str, relayed: Relayed) -> None:
        box = self._mailboxes.get(address)
        if box is None:
            if len(self._mailboxes) >= self.config.mailboxes:
                self._mailboxes.popitem(last=False)
            box = self._mailboxes[address] = deque(maxlen=self.config.mailbox_messages)
        else:
            self._mailboxes.move_to_end(address)
        box.append(relayed)


__all__ = ["RelayCounters", "Relayed", "SmtpRelayConfig", "SmtpRelaySimulator"]
