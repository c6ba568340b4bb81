"""The channels a message can go by, and how a customer asks for one.

SMS is the default. RCS (+message) is asked for by the native API's `channel` and by KDDI's
X-Fallback. The others are SMSC.ru's: a text starting `__MAIL__`, `__CALL__`, `__VIBER__`,
`__SOC__`, `__TGM__`, `__BOT__`, `__HLR__` or `__PING__` (on every interface: SMPP, SMSC.ru's
HTTP API, the native API), SMSC.ru's HTTP flags, or the native API's `channel`. An SMPP
client's `_` (0x5F) in data_coding 0 reads as `§` in the GSM alphabet, so `§§MAIL§§` is the
same request. Each channel's own lines are checked as the document gives them:

- `__MAIL__: <message>\\nsubj:<subject>` (to an e-mail address)
- `__CALL__: <message>\\nvoice:<voice>` (text to speech in one of VOICES)
- `__VIBER__: <message>`, `__SOC__: <message>`
- `__TGM__: <code>` (4 to 8 digits)
- `__BOT__: <message>\\nbot:@<bot_name>`
- `__HLR__` and `__PING__` alone (a lookup, a silent SMS: nothing reaches the handset)

A comment after a `~~~` line (smsgate.domain.comment) is split off first, on every channel.
"""

import re
from dataclasses import dataclass, field
from typing import Final

from smsgate.domain.errors import GatewayError

SMS: Final = "sms"
RCS: Final = "rcs"
EMAIL: Final = "email"
VOICE: Final = "voice"
VIBER: Final = "viber"
SOCIAL: Final = "social"
TELEGRAM: Final = "telegram"  # a confirmation code by Telegram
BOT: Final = "bot"  # a message by a Telegram bot
HLR: Final = "hlr"
PING: Final = "ping"

CHANNELS: Final = frozenset({SMS, RCS, EMAIL, VOICE, VIBER, SOCIAL, TELEGRAM, BOT, HLR, PING})
# channels whose messages go through the SMS connectors and routes (a ping is a silent SMS)
THROUGH_SMS: Final = frozenset({SMS, PING})
# channels that send a text of their own (not a lookup, a ping or a code)
WITH_TEXT: Final = frozenset({SMS, RCS, EMAIL, VOICE, VIBER, SOCIAL, BOT})

PREFIXES: Final = {
    "__MAIL__": EMAIL,
    "__CALL__": VOICE,
    "__VIBER__": VIBER,
    "__SOC__": SOCIAL,
    "__TGM__": TELEGRAM,
    "__BOT__": BOT,
    "__HLR__": HLR,
    "__PING__": PING,
}
NAMES: Final = {
    SMS: "SMS",
    RCS: "+message (RCS)",
    EMAIL: "e-mail",
    VOICE: "voice call",
    VIBER: "Viber",
    SOCIAL: "social network",
    TELEGRAM: "Telegram code",
    BOT: "Telegram bot",
    HLR: "HLR lookup",
    PING: "ping SMS",
}
# the voices of a call's text to speech: SMSC.ru's male (m, m2, m3) and female (w, w2, w3, w4)
VOICES: Final = frozenset({"m", "m2", "m3", "w", "w2", "w3", "w4"})
# each channel's own fields, as OutboundPart.content carries them to its connector
FIELDS: Final = {EMAIL: ("subject",), VOICE: ("voice",), BOT: ("bot",), TELEGRAM: ("code",)}

_LONGEST: Final = max(map(len, PREFIXES))
_GSM_UNDERSCORE: Final = "\xa7"  # the section sign, GSM 03.38's 0x5F
_CODE: Final = re.compile(r"\d{4,8}")
_BOT_NAME: Final = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}")
_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL: Final = re.compile(rf"[^@\s<>,;:\"]{{1,64}}@{_LABEL}(?:\.{_LABEL})+")


@dataclass(frozen=True, slots=True)
class ChannelRequest:
    """What a text asks for: the channel, the text to send (without the prefix and the
    channel's own lines) and the channel's fields (subject, voice, bot, code)."""

    channel: str
    text: str
    fields: dict[str, str] = field(default_factory=dict)


def requested_prefix(text: str) -> tuple[str, str] | None:
    """(prefix as written in SMSC.ru's documents, channel) the text starts with, or None."""
    head = text[:_LONGEST].replace(_GSM_UNDERSCORE, "_")
    if not head.startswith("__"):
        return None
    for prefix, channel in PREFIXES.items():
        if head.startswith(prefix):
            return prefix, channel
    return None


def parse_prefixed(text: str) -> ChannelRequest | None:
    """The channel a prefixed text asks for, checked; None for an ordinary text.
    GatewayError("invalid_text") naming what is wrong with a prefixed one."""
    found = requested_prefix(text)
    if found is None:
        return None
    prefix, channel = found
    rest = text[len(prefix) :]
    if channel in (HLR, PING):
        if rest.strip():
            raise GatewayError("invalid_text", f"{prefix} is sent alone, without a text")
        return ChannelRequest(channel, "")
    if not rest.startswith(": "):
        raise GatewayError("invalid_text", f"{prefix} is followed by ': ' and the message")
    return checked(channel, rest[2:], {})


def checked(channel: str, text: str, given: dict[str, str]) -> ChannelRequest:
    """A channel's text and fields, its own lines (`subj:`, `voice:`, `bot:`) taken off the
    text's end where `given` has not the field already; GatewayError("invalid_text") naming
    the rule broken."""
    fields = dict(given)
    name = NAMES.get(channel, channel)
    if channel == EMAIL and "subject" not in fields:
        text, fields["subject"] = _last_line(text, "subj:", name)
    elif channel == VOICE and "voice" not in fields:
        text, fields["voice"] = _last_line(text, "voice:", name)
    elif channel == BOT and "bot" not in fields:
        text, fields["bot"] = _last_line(text, "bot:", name)
    elif channel == TELEGRAM:
        fields["code"] = fields.get("code") or text
    if channel == VOICE and fields["voice"] not in VOICES:
        known = ", ".join(sorted(VOICES))
        raise GatewayError("invalid_text", f"voice {fields['voice']!r} is not one of {known}")
    if channel == BOT and not _BOT_NAME.fullmatch(fields["bot"]):
        raise GatewayError("invalid_text", "bot: names the bot as @name (5 to 32 characters)")
    if channel == TELEGRAM and not _CODE.fullmatch(fields["code"]):
        raise GatewayError("invalid_text", "a Telegram code is 4 to 8 digits")
    if channel == EMAIL and not fields["subject"].strip():
        raise GatewayError("invalid_text", "an e-mail needs a subject (subj:)")
    if channel in WITH_TEXT and not text.strip():
        raise GatewayError("invalid_text", f"the {name} message is empty")
    return ChannelRequest(channel, text, fields)


def _last_line(text: str, key: str, name: str) -> tuple[str, str]:
    """(the text before, the value of) the text's last line `key<value>`."""
    body, newline, last = text.rpartition("\n")
    if not newline or not last.startswith(key):
        raise GatewayError("invalid_text", f"the {name} message ends with a line '{key}...'")
    return body.rstrip("\r"), last[len(key) :].strip()


def email_address(value: str) -> str:
    """An e-mail address as kept (the domain in lower case); GatewayError
    ("invalid_destination") for one that is not an address."""
    address = value.strip()
    if len(address) > 254 or not _EMAIL.fullmatch(address):
        raise GatewayError("invalid_destination", "not an e-mail address")
    local, _, domain = address.rpartition("@")
    return f"{local}@{domain.lower()}"


def connector_channel(channel: str) -> str:
    """The channel of the connectors that carry a message of `channel`."""
    return SMS if channel in THROUGH_SMS else channel
