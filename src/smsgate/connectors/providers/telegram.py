"""The Telegram code channel: a confirmation code sent through Telegram to the account of a
phone number (SMSC.ru's `__TGM__: <code>`). Only numeric codes of 4 to 8 digits are taken:
`content["code"]`, or the text itself when the content has none. The provider reports `read`
once the user opened it, beside the common words."""

from typing import Any, Final

from smsgate.connectors.providers.channel import Channel, content, digits_code
from smsgate.domain.status import Status
from smsgate.engine.ports import OutboundPart

SHORTEST: Final = 4
LONGEST: Final = 8


def fields(part: OutboundPart) -> dict[str, Any]:
    code = content(part, "code")
    return {"code": digits_code(part.text if code is None else code, "the code", SHORTEST, LONGEST)}


CHANNEL: Final = Channel("telegram", fields, {"read": Status.DISPLAYED})

__all__ = ["CHANNEL", "LONGEST", "SHORTEST", "fields"]
