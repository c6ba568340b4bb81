"""KDDI Message Cast: a send request's headers and JSON body as the engine's command
(docs/dialects/kddi.md).

X-Fallback picks the channels: `2` SMS only, `1` +message (RCS) only, `0` +message with SMS
fallback. SMS takes the fixed tokens `Bearer smsonly`; +message the account's token (its API
key) in all three X-Plusmsg headers.
"""

import base64
import binascii
from collections.abc import Mapping
from typing import Any, Final

from smsgate.domain.errors import GatewayError
from smsgate.engine.commands import SendCommand

SMS_ONLY: Final = "Bearer smsonly"
CARRIER_HEADERS: Final = (
    "X-Plusmsg-mkn-Authorization",
    "X-Plusmsg-tmt-Authorization",
    "X-Plusmsg-gmp-Authorization",
)
# X-Fallback: the channels to try, in order
CHANNELS: Final = {"0": ("rcs", "sms"), "1": ("rcs",), "2": ("sms",)}
SMS_CHANNELS: Final = CHANNELS["2"]
# dst: which carriers' users the message may go to ("0": all; else that carrier only)
DST_CARRIERS: Final = {"0": None, "1": "au", "2": "docomo", "3": "softbank", "4": "rakuten"}
MAX_TEXT: Final = 660
_BEARER: Final = "bearer "


def channels(headers: Mapping[str, str]) -> tuple[str, ...]:
    """The channels X-Fallback asks for."""
    fallback = headers.get("x-fallback")
    if fallback is None:
        raise GatewayError("missing_parameter", "the X-Fallback header is required (0, 1 or 2)")
    try:
        return CHANNELS[fallback.strip()]
    except KeyError:
        raise GatewayError(
            "invalid_request",
            "X-Fallback must be 0 (+message, SMS fallback), 1 (+message only) or 2 (SMS only)",
        ) from None


def plus_message_tokens(headers: Mapping[str, str], plan: tuple[str, ...]) -> set[str]:
    """The three X-Plusmsg authorisations: `Bearer smsonly` for SMS, `Bearer <an API key of
    the account>` for +message. Missing: 401; the other kind's: 400. The tokens the caller
    checks are the account's keys (empty for SMS; "" for a value without `Bearer `)."""
    tokens: set[str] = set()
    for name in CARRIER_HEADERS:
        value = headers.get(name)
        if value is None:
            raise GatewayError("unauthorized", f"the {name} header is missing")
        value = value.strip()
        if plan == SMS_CHANNELS:
            if value != SMS_ONLY:
                raise GatewayError(
                    "invalid_request", f"{name}: X-Fallback 2 (SMS only) takes '{SMS_ONLY}'"
                )
            continue
        if value == SMS_ONLY:
            raise GatewayError(
                "invalid_request",
                f"{name}: '{SMS_ONLY}' is for SMS (X-Fallback 2); +message takes the "
                "account's token",
            )
        tokens.add(value[len(_BEARER) :].strip() if value.lower().startswith(_BEARER) else "")
    return tokens


def send_command(document: dict[str, Any], plan: tuple[str, ...] = SMS_CHANNELS) -> SendCommand:
    """The engine's command for a send request's JSON. For SMS only, `smsmessage` is required
    and RCSMessage is not read; for +message, `message.RCSMessage` is the content (checked by
    the engine) and `smsmessage` the fallback's text and sender (its text defaults to the
    content's summary)."""
    rcs = plan != SMS_CHANNELS
    sms = _object(document, "smsmessage")
    if not sms and not rcs:
        raise GatewayError("missing_parameter", "smsmessage is required")
    message = _object(document, "message")
    # messageContact at the top level (3.5 to 3.7 of the guide) or inside "message" (3.1 to 3.4)
    contact = _object(document, "messageContact") or _object(message, "messageContact")
    user = _string(contact, "userContact")
    if not user:
        raise GatewayError("missing_parameter", "messageContact.userContact is required")
    if not user.startswith("+81"):
        raise GatewayError("invalid_destination", "userContact must be +81 followed by the number")
    # 3.7 of the guide writes its dst in an "SMSMessage" object
    dst = (
        _string(sms, "dst")
        or _string(_object(document, "SMSMessage"), "dst")
        or _string(document, "dst")
        or "0"
    )
    if dst not in DST_CARRIERS:
        raise GatewayError("invalid_request", "dst must be 0 (all), 1 (au), 2 (docomo), 3 or 4")
    content = None
    if rcs:
        content = message.get("RCSMessage")
        if content is None:
            raise GatewayError("missing_parameter", "message.RCSMessage is required for +message")
        if not isinstance(content, dict):
            raise GatewayError("invalid_rcs_content", "RCSMessage: must be an object")
    return SendCommand(
        to=user,
        text=_text(sms, required=not rcs),
        sender=_sender(_string(sms, "smsNumber")),
        carrier=DST_CARRIERS[dst],
        channels=plan,
        content=content,
    )


def _object(parent: dict[str, Any], name: str) -> dict[str, Any]:
    value = parent.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise GatewayError("invalid_request", f"{name} must be an object")
    return value


def _string(parent: dict[str, Any], name: str) -> str | None:
    value = parent.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise GatewayError("invalid_request", f"{name} must be a string")
    return value


def _sender(number: str | None) -> str | None:
    """The shown sender; a national number (0 and digits) as +81 (the platform is Japan's)."""
    if not number:
        return None
    if number.startswith("0") and number.isdigit():
        return "+81" + number[1:]
    return number


def _text(sms: dict[str, Any], *, required: bool) -> str:
    """The SMS text (""; +message's fallback then sends the content's summary)."""
    text = _string(sms, "smsText")
    encoded = _string(sms, "smsTextEnc")
    if encoded is not None:
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-16-be")
        except (binascii.Error, UnicodeDecodeError):
            raise GatewayError(
                "invalid_text", "smsTextEnc is not base64 of UTF-16BE text"
            ) from None
        # the guide's own sample writes a line break CR LF in smsText and LF in smsTextEnc:
        # the same text; smsTextEnc's is sent
        if text is not None and _lines(text) != _lines(decoded):
            raise GatewayError("invalid_request", "smsText and smsTextEnc differ")
        text = decoded
    if not text and required:
        raise GatewayError("missing_parameter", "smsmessage.smsText is required")
    if text and len(text) > MAX_TEXT:
        raise GatewayError("parameter_too_long", f"smsText: at most {MAX_TEXT} characters")
    return text or ""


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n")
