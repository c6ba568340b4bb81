"""Every channel the provider connector carries, by the engine's name for it."""

from typing import Final

from smsgate.connectors.providers import social, telegram, telegram_bot, viber, voice
from smsgate.connectors.providers.channel import Channel

CHANNELS: Final[dict[str, Channel]] = {
    module.CHANNEL.name: module.CHANNEL for module in (voice, viber, telegram, telegram_bot, social)
}

__all__ = ["CHANNELS"]
