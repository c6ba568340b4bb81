"""The voice channel: a call that reads the text out with a synthetic voice, or reads a code
digit by digit (SMSC.ru's `__CALL__: <text>\\nvoice:<voice>`).

`content["voice"]` picks the voice. SMSC.ru's SMPP page lists the voices without their values;
its HTTP API names them `m`, `m2`, `m3` (male) and `w`, `w2`, `w3`, `w4` (female), with `m`
when none is given, and these are the values accepted here. `content["code"]` (4 to 8 digits),
when present, is read out instead of the text.

The provider reports `answered` (someone picked up and heard it: delivered), `no_answer` and
`busy` (undelivered), beside the common words.
"""

from typing import Any, Final

from smsgate.connectors.providers.channel import Channel, content, digits_code, invalid, text
from smsgate.domain.status import Status
from smsgate.engine.ports import OutboundPart

VOICES: Final = ("m", "m2", "m3", "w", "w2", "w3", "w4")
DEFAULT_VOICE: Final = "m"
MAX_TEXT: Final = 2000  # characters read out in one call


def fields(part: OutboundPart) -> dict[str, Any]:
    voice = content(part, "voice") or DEFAULT_VOICE
    if voice not in VOICES:
        raise invalid(f"unknown voice {voice[:16]!r}; one of {', '.join(VOICES)}")
    code = content(part, "code")
    if code is not None:
        return {"voice": voice, "code": digits_code(code, "the code", 4, 8)}
    return {"voice": voice, "text": text(part, MAX_TEXT)}


CHANNEL: Final = Channel(
    "voice",
    fields,
    {"answered": Status.DELIVERED, "no_answer": Status.UNDELIVERED, "busy": Status.UNDELIVERED},
)

__all__ = ["CHANNEL", "DEFAULT_VOICE", "MAX_TEXT", "VOICES", "fields"]
