"""The HLR lookup connector: a number's home network asked about it, the answer reported as a
delivery report with the lookup's result. See `connector` for the channel, `provider` for
what a lookup provider is to it and `http_provider` for the one over a JSON HTTP API."""

from smsgate.connectors.hlr.cache import ResultCache
from smsgate.connectors.hlr.config import HlrConnectorConfig
from smsgate.connectors.hlr.connector import HlrConnector, HlrStats, lookup_id
from smsgate.connectors.hlr.http_provider import HttpHlrProvider, parse_answer
from smsgate.connectors.hlr.provider import (
    HlrProvider,
    HlrProviderError,
    ProviderRefusedError,
    ProviderThrottledError,
    ProviderUnavailableError,
)

__all__ = [
    "HlrConnector",
    "HlrConnectorConfig",
    "HlrProvider",
    "HlrProviderError",
    "HlrStats",
    "HttpHlrProvider",
    "ProviderRefusedError",
    "ProviderThrottledError",
    "ProviderUnavailableError",
    "ResultCache",
    "lookup_id",
    "parse_answer",
]
