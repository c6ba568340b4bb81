"""Configuration of sending by e-mail: the SMTP server that takes SMSC.ru-style commands."""

from dataclasses import dataclass

from smsgate.connectors.email.addresses import is_address


@dataclass(frozen=True)
class EmailIngressConfig:
    enabled: bool = False  # off by default: nothing listens until an operator turns it on
    host: str = "127.0.0.1"  # the address it listens on
    port: int = 2525  # 0: a free port chosen by the kernel
    hostname: str = "smsgate"  # the name in the greeting and in EHLO's answer
    max_message_bytes: int = 64 * 1024  # a message past it is refused with 552
    max_connections: int = 20  # connections past it are answered 421 and closed
    max_recipients: int = 10  # RCPT TO past it is answered 452
    max_phones: int = 100  # numbers one command may name
    timeout: float = 60.0  # seconds a client may stay silent before it is disconnected
    # answer each authenticated command by e-mail to its envelope sender, from `reply_from`
    reply_by_email: bool = False
    reply_from: str | None = None  # the From of those answers (an e-mail address)
    max_pending_replies: int = 100  # answers waiting to be sent; past it they are dropped

    def __post_init__(self) -> None:
        if not 0 <= self.port < 65_536:
            raise ValueError("port must be between 0 and 65535")
        counts = (
            self.max_message_bytes,
            self.max_connections,
            self.max_recipients,
            self.max_phones,
            self.max_pending_replies,
        )
        if min(counts) < 1:
            raise ValueError("the size and count limits must be at least 1")
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")
        if self.reply_by_email and not (self.reply_from and is_address(self.reply_from)):
            raise ValueError("reply_by_email needs reply_from, an e-mail address")


__all__ = ["EmailIngressConfig"]
