"""SMSC.ru HTTP API answers in its four formats (fmt 0 text, 1 comma-separated, 2 XML, 3 JSON),
encoded in the request's charset. Every answer is HTTP 200: the error is in the body.

An answer is an ordered list of (name, value) fields; each format draws the same fields:
fmt 0 as `Name = value` (the text answers of send, error and balance have shapes of their
own), fmt 1 as the bare values, fmt 2 as `<name>value</name>` in `<result>`, fmt 3 as an
object.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Final
from xml.sax.saxutils import escape

import orjson
from starlette.responses import Response

from smsgate.api.http.dialects.smsc_ru_params import CHARSETS, MOSCOW_OFFSET
from smsgate.domain.errors import GatewayError, dialect_code

DIALECT: Final = "smsc_ru"
MOSCOW: Final = timezone(timedelta(hours=MOSCOW_OFFSET))
# the descriptions this API gives with its error codes
ERROR_TEXT: Final = {
    "1": "parameters error",
    "2": "authorise error",
    "3": "no money",
    "4": "IP is blocked",
    "5": "invalid date format",
    "6": "message is denied",
    "7": "invalid number",
    "8": "can't to deliver",
    "9": "duplicate request, wait a minute",
}
# errors whose answer names the message id (the others come before there is one)
_WITH_ID: Final = frozenset({"3", "6", "7", "8"})
_MEDIA: Final = {"0": "text/plain", "1": "text/plain", "2": "text/xml", "3": "application/json"}

Value = str | int
Fields = Sequence[tuple[str, Value]]


def response_format(fmt: str | None) -> str:
    return fmt if fmt in _MEDIA else "0"


def local_date(at: float) -> str:
    """DD.MM.YYYY hh:mm:ss in Moscow time, as this API writes dates."""
    return datetime.fromtimestamp(at, MOSCOW).strftime("%d.%m.%Y %H:%M:%S")


def price_text(amount: Decimal | None) -> str:
    """A price as this API writes it, without trailing zeros (`3.8`); 0 where smsgate knows
    no price."""
    return "0" if amount is None else format(amount.normalize(), "f")


def money(amount: Decimal | None) -> str:
    """A balance, with at least two decimals; 0 for an account without one."""
    if amount is None:
        return "0"
    text = format(amount.normalize(), "f")
    whole, _, cents = text.partition(".")
    return f"{whole}.{cents.ljust(2, '0')}"


def render(fmt: str, fields: Fields, charset: str, text: str | None = None) -> Response:
    """The answer: `text` for fmt 0 when the answer has a text shape of its own."""
    if fmt == "3":
        body = orjson.dumps(dict(fields)).decode()
    elif fmt == "2":
        inner = "".join(f"<{n}>{escape(str(v))}</{n}>" for n, v in fields)
        body = f'<?xml version="1.0" encoding="{charset}"?>\n<result>{inner}</result>'
    elif fmt == "1":
        body = ",".join(str(value) for _, value in fields)
    else:
        body = text if text is not None else ", ".join(f"{n} = {v}" for n, v in fields)
    media = _MEDIA[fmt]
    return Response(
        body.encode(CHARSETS[charset], "replace"),
        media_type=f"{media}; charset={charset}",
    )


def error_answer(
    error: GatewayError, fmt: str, charset: str, message_id: str | None = None
) -> Response:
    code = dialect_code(error.code, DIALECT) or "1"
    description = ERROR_TEXT[code]
    with_id = message_id if code in _WITH_ID else None
    if fmt == "1":
        fields: list[tuple[str, Value]] = [("id", with_id or "0"), ("error_code", f"-{code}")]
        return render(fmt, fields, charset)
    fields = [("error", description), ("error_code", int(code))]
    if with_id is not None:
        fields.append(("id", _id_value(with_id)))
    text = f"ERROR = {code} ({description})" + (f", ID - {with_id}" if with_id else "")
    return render(fmt, fields, charset, text)


def send_answer(
    fmt: str,
    charset: str,
    message_id: str,
    count: int,
    cost_mode: str,
    cost: Decimal | None,
    balance: Decimal | None,
) -> Response:
    """The answer to a send: cost 0 the id and the number of parts; 1 the price only; 2 and
    the price; 3 and the balance after it."""
    if cost_mode == "1":
        fields: list[tuple[str, Value]] = [("cost", price_text(cost)), ("cnt", count)]
        return render(fmt, fields, charset, f"{price_text(cost)} ({count} SMS)")
    fields = [("id", _id_value(message_id)), ("cnt", count)]
    text = f"OK - {count} SMS, ID - {message_id}"
    if cost_mode in ("2", "3"):
        fields.append(("cost", price_text(cost)))
        text += f", COST - {price_text(cost)}"
    if cost_mode == "3":
        fields.append(("balance", money(balance)))
        text += f", BALANCE - {money(balance)}"
    return render(fmt, fields, charset, text)


def balance_answer(
    fmt: str, charset: str, balance: Decimal | None, currency: str | None
) -> Response:
    fields: list[tuple[str, Value]] = [("balance", money(balance))]
    if currency is not None:
        fields.append(("currency", currency))
    return render(fmt, fields, charset, ", ".join(str(v) for _, v in fields))


def status_answer(fmt: str, charset: str, fields: Fields) -> Response:
    """fmt 0 reads `Status = 1, check_time = ...` with dates only, fmt 1 has Unix times only;
    XML and JSON have both, under the names of the fields."""
    names = {"status": "Status", "last_date": "check_time"}
    if fmt == "0":
        shown = [(names.get(n, n), v) for n, v in fields if not n.endswith("_timestamp")]
        return render(fmt, shown, charset)
    if fmt == "1":
        return render(fmt, [(n, v) for n, v in fields if not n.endswith("_date")], charset)
    return render(fmt, fields, charset)


def _id_value(message_id: str) -> Value:
    """A numeric id as a number (as this API writes it), any other as text."""
    return int(message_id) if message_id.isdigit() else message_id
