"""The e-mail channel: parts sent as e-mails through an SMTP relay (docs/channels.md)."""

from smsgate.connectors.email.config import EmailConnectorConfig
from smsgate.connectors.email.connector import EmailConnector, EmailStats
from smsgate.connectors.email.mime import message_id
from smsgate.connectors.email.replies import Reply

__all__ = ["EmailConnector", "EmailConnectorConfig", "EmailStats", "Reply", "message_id"]
