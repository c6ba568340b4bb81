"""The RCS (+message) connector: a MaaP-style platform's REST API out, its webhooks in. See
`connector` for the sending side and `webhooks` for what comes back."""

from smsgate.connectors.rcs.capabilities import CapabilityCache
from smsgate.connectors.rcs.client import Answer, PlatformUnreachableError, RcsClient
from smsgate.connectors.rcs.config import RcsConnectorConfig
from smsgate.connectors.rcs.connector import RcsConnector, RcsStats, message_id
from smsgate.connectors.rcs.webhooks import STATUSES, WEBHOOK_PATH, parse_event, webhook_routes

__all__ = [
    "STATUSES",
    "WEBHOOK_PATH",
    "Answer",
    "CapabilityCache",
    "PlatformUnreachableError",
    "RcsClient",
    "RcsConnector",
    "RcsConnectorConfig",
    "RcsStats",
    "message_id",
    "parse_event",
    "webhook_routes",
]
