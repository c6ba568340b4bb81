"""Sending by e-mail: an SMTP server taking SMSC.ru-style commands (docs/channels.md)."""

from smsgate.api.smtp.config import EmailIngressConfig
from smsgate.api.smtp.server import Accept, Authenticate, EmailIngress, SendReply

__all__ = ["Accept", "Authenticate", "EmailIngress", "EmailIngressConfig", "SendReply"]
