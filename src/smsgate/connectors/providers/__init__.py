"""The provider connector: the channels SMSC.ru offers beside SMS (a voice call, Viber, a
Telegram code, a Telegram bot's message, a social network's message), each through its
provider's JSON HTTP API, by one generic connector (`connector`) over a small `Provider`
interface (`provider`). A channel's module holds its fields, their checks and its provider's
status words; `webhooks` takes the providers' reports."""

from smsgate.connectors.providers.channel import COMMON_STATUSES, Channel
from smsgate.connectors.providers.channels import CHANNELS
from smsgate.connectors.providers.config import ProviderConnectorConfig
from smsgate.connectors.providers.connector import ProviderConnector, ProviderStats, reference
from smsgate.connectors.providers.http_provider import HttpProvider
from smsgate.connectors.providers.provider import (
    INVALID_CONTENT,
    Provider,
    ProviderAnswer,
    ProviderError,
    ThrottledError,
)
from smsgate.connectors.providers.webhooks import WEBHOOK_PATH, webhook_paths, webhook_routes

__all__ = [
    "CHANNELS",
    "COMMON_STATUSES",
    "INVALID_CONTENT",
    "WEBHOOK_PATH",
    "Channel",
    "HttpProvider",
    "Provider",
    "ProviderAnswer",
    "ProviderConnector",
    "ProviderConnectorConfig",
    "ProviderError",
    "ProviderStats",
    "ThrottledError",
    "reference",
    "webhook_paths",
    "webhook_routes",
]
