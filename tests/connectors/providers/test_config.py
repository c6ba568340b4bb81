"""A provider connector's settings are checked when they are read."""

import re
from typing import Any

import pytest

from smsgate.connectors.providers import CHANNELS, ProviderConnector, ProviderConnectorConfig
from smsgate.connectors.providers.http_provider import HttpProvider
from tests.connectors.providers.harness import connector_config, run


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"channel": "sms"}, "unknown channel"),
        ({"channel": "email"}, "unknown channel"),
        ({"id": ""}, "needs an id"),
        ({"base_url": "ftp://provider"}, "http(s) base_url"),
        ({"token": ""}, "token"),
        ({"webhook_token": ""}, "token"),
        ({"token": "two words"}, "printable ASCII without spaces"),
        ({"token": "t\r\nX-Injected: 1"}, "printable ASCII without spaces"),
        ({"base_url": "http://provider/a b"}, "base_url: white space in the URL"),
        ({"base_url": "http://"}, "base_url: not an http(s) URL"),
        ({"max_in_flight": 0}, "at least 1"),
        ({"queue_size": 0}, "at least 1"),
        ({"max_webhook_bytes": 0}, "at least 1"),
        ({"rate": 0.0}, "rate must be positive"),
        ({"retry_min": 2.0, "retry_max": 1.0}, "retry_min <= retry_max"),
        ({"request_timeout": 0.0}, "must be positive"),
        ({"receipt_timeout": -1.0}, "must not be negative"),
    ],
)
def test_bad_settings_are_refused(fields: dict[str, Any], said: str) -> None:
    base: dict[str, Any] = {
        "id": "viber1",
        "channel": "viber",
        "base_url": "http://127.0.0.1:9",
        "token": "t",
        "webhook_token": "w",
    }
    with pytest.raises(ValueError, match=re.escape(said)):
        ProviderConnectorConfig(**{**base, **fields})


def test_a_provider_of_another_channel_is_refused() -> None:
    async def scenario() -> None:
        viber = connector_config("viber", "http://127.0.0.1:9")
        provider = HttpProvider(CHANNELS["voice"], viber)
        with pytest.raises(ValueError, match="carries voice, not viber"):
            ProviderConnector(viber, provider)
        await provider.close()

    run(scenario)


def test_every_channel_of_smsc_ru_beside_sms_mail_and_lookups_is_carried() -> None:
    assert sorted(CHANNELS) == ["bot", "social", "telegram", "viber", "voice"]
    assert all(name == channel.name for name, channel in CHANNELS.items())
