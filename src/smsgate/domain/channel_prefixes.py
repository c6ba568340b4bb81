"""Text prefixes by which SMSC.ru's clients ask for another channel than SMS.

SMSC.ru reads a text starting `__MAIL__`, `__CALL__`, `__VIBER__`, `__SOC__`, `__TGM__`,
`__BOT__`, `__HLR__` or `__PING__` as an e-mail, a call, a Viber or social network message, a
Telegram code or bot message, an HLR lookup or a ping. smsgate has none of these channels yet:
sent as SMS such a text would reach the handset as `§§MAIL§§...` (GSM-7 has no `_`), so it is
refused (`channel_unavailable`) on every interface instead. An SMPP client's `_` (0x5F) in
data_coding 0 reads as `§` in the GSM alphabet, so `§§MAIL§§` is the same request.
"""

from typing import Final

CHANNEL_PREFIXES: Final = {
    "__MAIL__": "e-mail",
    "__CALL__": "voice call",
    "__VIBER__": "Viber",
    "__SOC__": "social network",
    "__TGM__": "Telegram code",
    "__BOT__": "Telegram bot",
    "__HLR__": "HLR lookup",
    "__PING__": "ping SMS",
}

_LONGEST: Final = max(map(len, CHANNEL_PREFIXES))
_GSM_UNDERSCORE: Final = "\xa7"  # the section sign, GSM 03.38's 0x5F


def requested_channel(text: str) -> tuple[str, str] | None:
    """(prefix, channel) the text asks for, or None for an ordinary text."""
    head = text[:_LONGEST].replace(_GSM_UNDERSCORE, "_")
    if not head.startswith("__"):
        return None
    for prefix, channel in CHANNEL_PREFIXES.items():
        if head.startswith(prefix):
            return prefix, channel
    return None
