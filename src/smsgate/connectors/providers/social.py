"""The social channel: a text to the user of a social network (Odnoklassniki, VKontakte,
Mail.Ru Agent) found by phone number (SMSC.ru's `__SOC__: <text>`). The provider reports
the common words only."""

from typing import Any, Final

from smsgate.connectors.providers.channel import Channel, text
from smsgate.engine.ports import OutboundPart

MAX_TEXT: Final = 1000


def fields(part: OutboundPart) -> dict[str, Any]:
    return {"text": text(part, MAX_TEXT)}


CHANNEL: Final = Channel("social", fields)

__all__ = ["CHANNEL", "MAX_TEXT", "fields"]
