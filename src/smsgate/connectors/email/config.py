"""Configuration of an e-mail connector: the SMTP relay it sends through (address, TLS,
credentials), the From address, its limits (connections, rate, queue, retries, sizes), and the
address bounces come back to."""

import ssl
from dataclasses import dataclass
from typing import Final

from smsgate.connectors.email.addresses import is_address
from smsgate.connectors.email.verp import MAX_BASE_LOCAL
from smsgate.connectors.limits import (
    check_at_least_one,
    check_pacing,
    check_positive,
    check_receipt_timeout,
)

MIN_BOUNCE_SECRET: Final = 16


@dataclass(frozen=True)
class EmailConnectorConfig:
    id: str
    host: str  # the relay (a smarthost or submission server)
    from_address: str  # the From of parts whose source is not an e-mail address
    port: int = 587
    starttls: bool = True  # upgrade the plain connection with STARTTLS (refused if not offered)
    implicit_tls: bool = False  # TLS from the first byte (port 465); excludes starttls
    verify_certificate: bool = True  # check the relay's certificate and name
    ca_file: str | None = None  # certificates to trust instead of the system's (a private CA)
    username: str | None = None  # AUTH after EHLO (and after TLS); with password
    password: str | None = None
    local_hostname: str | None = None  # the EHLO name; None: this host's name
    # the domain of the Message-IDs; None: the From address's domain
    message_id_domain: str | None = None
    connections: int = 2  # SMTP sessions kept open, each sending one message at a time
    rate: float | None = None  # messages per second to the relay (token bucket); None: no limit
    queue_size: int = 10_000  # parts waiting to be sent; submit() refuses beyond
    timeout: float = 30.0  # seconds for connecting and for each SMTP command's answer
    # sends answered 4xx or cut by a lost connection; the last one fails the part
    max_attempts: int = 5
    retry_min: float = 1.0  # back-off before a retry: from retry_min, doubling, up to retry_max
    retry_max: float = 300.0
    idle_timeout: float = 60.0  # a session idle that long is closed (relays drop idle ones)
    messages_per_connection: int = 100  # then the session is renewed (relays cap a session)
    max_subject_chars: int = 255
    max_text_chars: int = 100_000
    # reports of relayed parts waiting for the engine; the senders pause beyond
    max_pending_reports: int = 1_000
    report_timeout: float = 30.0  # for the engine to take one report; then it is retried
    report_attempts: int = 3
    # seconds after a message's validity ends before parts still waiting for a report end
    # `expired` (the same meaning as the other connectors' setting); the relay's answer is the
    # report here, so this matters only for a report the engine could not take
    receipt_timeout: float | None = 3600.0
    # bounces: the envelope sender of each part is this address with the part named in it
    # (`bounces+<part>@bounces.example`, VERP), and a DSN sent to it makes the part undelivered
    # (docs/channels.md); None: the envelope sender is the From, bounces are not read
    bounce_address: str | None = None
    # the HMAC key that signs the part named in those addresses, at least 16 characters; the
    # same on every node, and kept while bounces of messages sent under it may still come
    bounce_secret: str | None = None

    def __post_init__(self) -> None:
        if not self.id or not self.host:
            raise ValueError("an e-mail connector needs an id and a relay host")
        if not is_address(self.from_address):
            raise ValueError(f"from_address {self.from_address!r} is not an e-mail address")
        if not 0 < self.port < 65_536:
            raise ValueError("port must be between 1 and 65535")
        if self.starttls and self.implicit_tls:
            raise ValueError("starttls and implicit_tls exclude each other")
        if (self.username is None) != (self.password is None) or self.username == "":
            raise ValueError("username and password go together, and neither is empty")
        counts = (
            self.connections,
            self.queue_size,
            self.max_attempts,
            self.messages_per_connection,
            self.max_subject_chars,
            self.max_text_chars,
            self.max_pending_reports,
            self.report_attempts,
        )
        check_at_least_one(
            counts,
            "connections, queue_size, max_attempts, messages_per_connection, the size "
            "limits and the report limits",
        )
        check_pacing(self.rate, self.retry_min, self.retry_max)
        check_positive(
            (self.timeout, self.idle_timeout, self.report_timeout),
            "timeout, idle_timeout and report_timeout",
        )
        check_receipt_timeout(self.receipt_timeout)
        self._check_bounces()

    def _check_bounces(self) -> None:
        if self.bounce_address is None:
            if self.bounce_secret is not None:
                raise ValueError("bounce_secret needs a bounce_address")
            return
        if not is_address(self.bounce_address) or not self.bounce_address.isascii():
            raise ValueError(f"bounce_address {self.bounce_address!r} is not an e-mail address")
        local = self.bounce_address.partition("@")[0]
        if "+" in local or len(local) > MAX_BASE_LOCAL:
            raise ValueError(
                f"bounce_address's local part takes no '+' and at most {MAX_BASE_LOCAL} "
                "characters (the part's name is added to it)"
            )
        if self.bounce_secret is None or len(self.bounce_secret) < MIN_BOUNCE_SECRET:
            raise ValueError(
                f"bounce_address needs a bounce_secret of at least {MIN_BOUNCE_SECRET} characters"
            )

    @property
    def encrypted(self) -> bool:
        return self.starttls or self.implicit_tls

    def tls_context(self) -> ssl.SSLContext | None:
        """The client TLS context, or None without TLS."""
        if not self.encrypted:
            return None
        context = ssl.create_default_context(cafile=self.ca_file)
        if not self.verify_certificate:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def id_domain(self) -> str:
        return self.message_id_domain or self.from_address.rpartition("@")[2]


__all__ = ["EmailConnectorConfig"]
