"""The Telegram bot channel: a text from a Telegram bot to a user who started it, found by
phone number (SMSC.ru's `__BOT__: <text>\\nbot:@<name>`). `content["bot"]` is the bot's
`@name`: a Telegram username, 5 to 32 letters, digits and underscores starting with a letter.
The provider reports `read` once the user opened it, beside the common words."""

import re
from typing import Any, Final

from smsgate.connectors.providers.channel import Channel, content, invalid, text
from smsgate.domain.status import Status
from smsgate.engine.ports import OutboundPart

MAX_TEXT: Final = 4096  # Telegram's limit for one message
BOT_NAME: Final = re.compile(r"@[A-Za-z][A-Za-z0-9_]{4,31}")


def fields(part: OutboundPart) -> dict[str, Any]:
    bot = content(part, "bot")
    if not bot:
        raise invalid("no bot: the text needs a bot:@name line")
    if not BOT_NAME.fullmatch(bot):
        raise invalid(f"{bot[:40]!r} is not a bot's @name")
    return {"bot": bot, "text": text(part, MAX_TEXT)}


CHANNEL: Final = Channel("bot", fields, {"read": Status.DISPLAYED})

__all__ = ["BOT_NAME", "CHANNEL", "MAX_TEXT", "fields"]
