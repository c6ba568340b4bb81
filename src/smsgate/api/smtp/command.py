"""A send command in the body of an e-mail, as SMSC.ru takes them:

    login:password:id:time:translit:format:sender:phones:message

- `login` and `password` (or, in the place of the password, the account's API key): neither
  may contain ':';
- `id`: the send's id (up to 40 letters, digits, '.', '-' or '_'; the messages' tag), may be
  empty;
- `time`: when to send, in SMSC.ru's forms (DDMMYYhhmm or DD.MM.YY hh:mm in Moscow time,
  h1-h2, 0<Unix seconds>, +<minutes>); empty: at once;
- `translit`: 0 (none, the default), 1 or 2 (SMSC.ru's transliterations);
- `format`: 0 or empty (an SMS; another channel is asked by the message's prefix, such as
  "__VIBER__: ..."); SMSC.ru's other values (flash, push, binary, ...) are refused;
- `sender`: the sender's name or number; empty: the account's default;
- `phones`: numbers separated by ',' or ';';
- `message`: the rest, ':' included; it may go on over the following lines. A signature
  after a "-- " line is not part of it, and the blank lines around it are dropped.

The parser is strict: a field out of its form is refused with a message naming it.
"""

import re
from dataclasses import dataclass
from typing import Final

from smsgate.api.http.dialects.smsc_ru_params import message_id, message_text, phone_list, send_time
from smsgate.domain.errors import GatewayError
from smsgate.engine.commands import SendCommand

FIELDS: Final = ("login", "password", "id", "time", "translit", "format", "sender", "phones")
MAX_FIELD: Final = 256  # characters of any field before the message
_SIGNATURE: Final = re.compile(r"^-- ?$", re.MULTILINE)
_SMS_FORMATS: Final = frozenset({"", "0"})


@dataclass(frozen=True, slots=True)
class EmailCommand:
    login: str
    secret: str  # the password or the API key
    send_id: str | None
    time: str
    translit: str
    sender: str | None
    phones: tuple[str, ...]  # as +digits
    message: str


def parse(text: str, max_phones: int) -> EmailCommand:
    """The command in an e-mail's text. Raises GatewayError("invalid_request" or
    "missing_parameter") naming what is wrong."""
    text = text.replace("\r\n", "\n")
    signature = _SIGNATURE.search(text)
    if signature is not None:
        text = text[: signature.start()]
    text = text.strip()
    fields = text.split(":", len(FIELDS))
    if len(fields) <= len(FIELDS):
        raise GatewayError(
            "invalid_request",
            "expected login:password:id:time:translit:format:sender:phones:message",
        )
    named = dict(zip(FIELDS, (f.strip() for f in fields), strict=False))
    for name, value in named.items():
        if "\n" in value:
            raise GatewayError(
                "invalid_request", f"{name}: the fields before the message are one line"
            )
        if len(value) > MAX_FIELD:
            raise GatewayError("invalid_request", f"{name}: at most {MAX_FIELD} characters")
    if not named["login"] or not named["password"]:
        raise GatewayError("missing_parameter", "login and password (or API key) are required")
    if named["translit"] not in ("", "0", "1", "2"):
        raise GatewayError("invalid_request", "translit: 0, 1 or 2")
    if named["format"] not in _SMS_FORMATS:
        raise GatewayError(
            "invalid_request", "format: 0 (SMS); other channels are asked by the message's prefix"
        )
    phones = tuple(phone_list(named["phones"]))
    if not phones:
        raise GatewayError("missing_parameter", "phones: no number")
    if len(phones) > max_phones:
        raise GatewayError("invalid_request", f"phones: at most {max_phones} numbers")
    message = fields[-1].strip()
    if not message:
        raise GatewayError("missing_parameter", "message: no text")
    return EmailCommand(
        login=named["login"],
        secret=named["password"],
        send_id=message_id(named["id"]),
        time=named["time"],
        translit=named["translit"],
        sender=named["sender"] or None,
        phones=phones,
        message=message,
    )


def send_commands(command: EmailCommand, now: float) -> list[SendCommand]:
    """One SendCommand per phone. Raises GatewayError for a time or a text out of form."""
    text = message_text(command.message, command.translit or None, None)
    scheduled = send_time(command.time or None, None, now)
    return [
        SendCommand(
            to=phone,
            text=text,
            sender=command.sender,
            scheduled_at=scheduled,
            tag=command.send_id,
            origin="email",
        )
        for phone in command.phones
    ]


__all__ = ["EmailCommand", "parse", "send_commands"]
