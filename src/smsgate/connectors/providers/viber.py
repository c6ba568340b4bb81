"""The Viber channel: a text to a Viber user by phone number (SMSC.ru's `__VIBER__: <text>`).
The provider reports `read` once the user opened it (displayed), beside the common words."""

from typing import Any, Final

from smsgate.connectors.providers.channel import Channel, text
from smsgate.domain.status import Status
from smsgate.engine.ports import OutboundPart

MAX_TEXT: Final = 1000  # Viber's limit for a business message's text


def fields(part: OutboundPart) -> dict[str, Any]:
    return {"text": text(part, MAX_TEXT)}


CHANNEL: Final = Channel("viber", fields, {"read": Status.DISPLAYED})

__all__ = ["CHANNEL", "MAX_TEXT", "fields"]
