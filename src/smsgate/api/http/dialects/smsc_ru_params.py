"""SMSC.ru HTTP API parameters: decoding in the request's charset, phone lists, the send time
(`time` and `tz`), the lifetime (`valid`) and the message text (`translit`, `maxsms`)."""

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Final
from urllib.parse import unquote_to_bytes

from smsgate.domain.channels import BOT, EMAIL, HLR, PING, SOCIAL, TELEGRAM, VIBER, VOICE
from smsgate.domain.errors import GatewayError
from smsgate.text import count_segments
from smsgate.text.translit import Translit, transliterate

# charset parameter -> Python codec; windows-1251 is the default of this API
CHARSETS: Final = {"windows-1251": "cp1251", "utf-8": "utf-8", "koi8-r": "koi8_r"}
DEFAULT_CHARSET: Final = "windows-1251"
MOSCOW_OFFSET: Final = 3  # hours east of UTC; `tz` is counted from Moscow time
MAX_TEXT: Final = 1000
_DATE: Final = re.compile(r"(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)")  # DDMMYYhhmm
_DOTTED: Final = re.compile(r"(\d\d?)\.(\d\d?)\.(\d\d(?:\d\d)?) (\d\d?):(\d\d)")
_WINDOW: Final = re.compile(r"(\d\d?)-(\d\d?)")
_ID: Final = re.compile(r"[A-Za-z0-9._-]{1,40}")
_PHONE_SEPARATORS: Final = re.compile(r"[,;\r\n]+")
_PHONE_NOISE: Final = re.compile(r"[\s()\-.]")


def raw_pairs(data: bytes) -> list[tuple[bytes, bytes]]:
    """The undecoded (name, value) pairs of a query string or form body."""
    pairs = []
    for field in data.split(b"&"):
        if not field:
            continue
        name, _, value = field.partition(b"=")
        pairs.append((unquote_to_bytes(name.replace(b"+", b" ")), value))
    return pairs


def peek(pairs: list[tuple[bytes, bytes]], name: str) -> str | None:
    """An ASCII parameter (fmt, charset) read before the others are decoded, so that even a
    request that cannot be decoded is answered in the format and charset it asked for."""
    value = None
    for key, raw in pairs:
        if key == name.encode():
            value = unquote_to_bytes(raw).decode("ascii", "replace").lower()
    return value


def decode_params(pairs: list[tuple[bytes, bytes]]) -> tuple[dict[str, str], str]:
    """The parameters decoded in the charset they name (later pairs win), and that charset.
    An unknown charset or a value not in it is a parameters error."""
    raw = {name: unquote_to_bytes(value.replace(b"+", b" ")) for name, value in pairs}
    charset = raw.get(b"charset", DEFAULT_CHARSET.encode()).decode("ascii", "replace").lower()
    if charset not in CHARSETS:
        raise GatewayError("invalid_request", f"charset: one of {', '.join(CHARSETS)}")
    codec = CHARSETS[charset]
    params: dict[str, str] = {}
    for name, value in raw.items():
        try:
            params[name.decode("ascii")] = value.decode(codec)
        except UnicodeDecodeError:
            raise GatewayError("invalid_request", f"a parameter is not {charset}") from None
    return params, charset


def message_id(value: str | None) -> str | None:
    """The client's message id: a number or up to 40 letters, digits, '.', '-' or '_'."""
    if value is None or value == "":
        return None
    if not _ID.fullmatch(value):
        raise GatewayError("invalid_request", "id: up to 40 letters, digits, '.', '-' or '_'")
    return value


def phone_list(value: str) -> list[str]:
    """The numbers of a comma- or semicolon-separated list, each as +digits (a number without
    '+' is taken as international; a Russian 8XXXXXXXXXX is corrected to +7XXXXXXXXXX)."""
    phones = []
    for item in _PHONE_SEPARATORS.split(value):
        number = _PHONE_NOISE.sub("", item)
        if not number:
            continue
        if not number.startswith("+"):
            if len(number) == 11 and number.startswith("8"):
                number = "7" + number[1:]
            number = "+" + number
        phones.append(number)
    return phones


def zone(tz: str | None) -> timezone:
    """Moscow time shifted by `tz` hours (-12 to +12); Moscow time when not given."""
    if tz is None or tz == "":
        return timezone(timedelta(hours=MOSCOW_OFFSET))
    try:
        shift = int(tz)
    except ValueError:
        raise GatewayError("invalid_schedule", "tz: whole hours from Moscow time") from None
    if not -12 <= shift <= 12:
        raise GatewayError("invalid_schedule", "tz: -12 to 12 hours from Moscow time")
    return timezone(timedelta(hours=MOSCOW_OFFSET + shift))


def send_time(value: str | None, tz: str | None, now: float) -> float | None:
    """Unix seconds to send at, or None for at once. `time` is DDMMYYhhmm (or DD.MM.YY hh:mm)
    in the `tz` zone, h1-h2 (send between those hours), 0<unix seconds> or +<minutes>."""
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    try:
        if value.startswith("+") and value[1:].isdigit():
            return now + int(value[1:]) * 60
        if value.startswith("0") and value.isdigit() and len(value) != 10:
            return float(value[1:]) if len(value) > 1 else None
        local = zone(tz)
        if match := _DATE.fullmatch(value):
            day, month, year, hour, minute = map(int, match.groups())
            return datetime(2000 + year, month, day, hour, minute, tzinfo=local).timestamp()
        if match := _DOTTED.fullmatch(value):
            day, month, year, hour, minute = map(int, match.groups())
            year += 2000 if year < 100 else 0
            return datetime(year, month, day, hour, minute, tzinfo=local).timestamp()
        if match := _WINDOW.fullmatch(value):
            return _window(int(match[1]), int(match[2]), now, local)
    except ValueError:  # a day or hour out of range
        pass
    raise GatewayError(
        "invalid_schedule", f"time {value!r}: DDMMYYhhmm, h1-h2, 0<unix time> or +<minutes>"
    )


def _window(first: int, last: int, now: float, local: timezone) -> float | None:
    """Now if the hour (in `local`) is within [first, last), else the next `first` o'clock."""
    if not (0 <= first < last <= 24):
        raise ValueError("not a window of hours")
    current = datetime.fromtimestamp(now, local)
    if first <= current.hour < last:
        return None
    start = current.replace(hour=first, minute=0, second=0, microsecond=0)
    if current.hour >= last:
        start += timedelta(days=1)
    return start.timestamp()


def lifetime(value: str | None, maximum: float) -> float | None:
    """`valid` as seconds: whole hours 1 to 24, or hh:mm from 00:01 to 24:00; what is above
    the gateway's longest validity is cut to it. None: the gateway's default."""
    if value is None or value == "":
        return None
    hours, colon, minutes = value.partition(":")
    try:
        seconds = int(hours) * 3600 + (int(minutes) * 60 if colon else 0)
    except ValueError:
        seconds = 0
    if colon and (len(minutes) != 2 or int(minutes or 0) > 59):
        seconds = 0
    if not 60 <= seconds <= 24 * 3600:
        raise GatewayError("invalid_validity", "valid: 1 to 24 hours, or hh:mm up to 24:00")
    return min(float(seconds), maximum)


def message_text(mes: str, translit: str | None, maxsms: str | None) -> str:
    """The text to send: transliterated as asked, then cut to fit `maxsms` parts."""
    if len(mes) > MAX_TEXT:
        raise GatewayError("parameter_too_long", f"mes: at most {MAX_TEXT} characters")
    try:
        style = Translit(int(translit or "0"))
    except ValueError:
        raise GatewayError("invalid_request", "translit: 0, 1 or 2") from None
    text = transliterate(mes, style)
    if maxsms is None or maxsms == "":
        return text
    if not maxsms.isdigit() or int(maxsms) < 1:
        raise GatewayError("invalid_request", "maxsms: a positive number of parts")
    return _cut_to_parts(text, int(maxsms))


def _cut_to_parts(text: str, parts: int) -> str:
    """The longest beginning of `text` that fits in `parts` parts."""
    if count_segments(text) <= parts:
        return text
    low, high = 0, len(text)  # text[:low] fits, text[:high] does not
    while high - low > 1:
        middle = (low + high) // 2
        if count_segments(text[:middle]) <= parts:
            low = middle
        else:
            high = middle
    return text[:low]


# send.php's flags asking for another channel than SMS (each "1"); `bot` names a Telegram bot
CHANNEL_FLAGS: Final = {
    "mail": EMAIL,
    "call": VOICE,
    "viber": VIBER,
    "soc": SOCIAL,
    "tg": TELEGRAM,
    "hlr": HLR,
    "ping": PING,
}


def requested_channel(params: Mapping[str, str]) -> tuple[str | None, dict[str, str]]:
    """(the channel send.php's flags ask for, or None for SMS; that channel's fields: `subj` of
    an e-mail, `voice` of a call, `bot` of a Telegram bot). GatewayError("invalid_request")
    for two channels at once."""
    asked = [channel for flag, channel in CHANNEL_FLAGS.items() if params.get(flag) == "1"]
    if params.get("bot"):
        asked.append(BOT)
    if len(asked) > 1:
        raise GatewayError("invalid_request", "one channel flag at a time")
    fields = {
        name: params[param]
        for name, param in (("subject", "subj"), ("voice", "voice"), ("bot", "bot"))
        if params.get(param)
    }
    return (asked[0] if asked else None), fields


def address_list(value: str) -> list[str]:
    """The e-mail addresses of a comma- or semicolon-separated list (`phones` of an e-mail)."""
    return [item.strip() for item in _PHONE_SEPARATORS.split(value) if item.strip()]
