"""The POST of an http outbox item: its body in the account's callback format, and its headers,
signed with the account's secret (docs/callbacks.md)."""

from collections.abc import Mapping
from urllib.parse import urlencode

import orjson

from smsgate.callbacks.formats import CallbackFormat, format_named, native_values
from smsgate.callbacks.signing import scheme_named, sign
from smsgate.domain.account import Account
from smsgate.domain.outbox import OutboxItem


def request_for(
    item: OutboxItem,
    account: Account | None,
    formats: Mapping[str, CallbackFormat] | None = None,
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the POST for `item` in the account's callback format, signed
    with the account's secret."""
    scheme = scheme_named(account.signature if account else None)
    headers = {"X-Smsgate-Event": item.event, "X-Smsgate-Delivery": item.id}
    shape = format_named(formats or {}, account.callback_format if account else None)
    values = shape.values_for(item, account) if shape is not None else native_values(item)
    params: dict[str, str] | None = None
    if (shape.body if shape is not None and shape.body else scheme.body) == "form":
        params = {name: _form_value(value) for name, value in values.items() if value is not None}
        content = urlencode(params).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    else:
        content = orjson.dumps(values)
        headers["Content-Type"] = "application/json"
    if account and account.webhook_secret:
        # a form scheme signs the form's fields; any other, the body's bytes
        fields = params if scheme.body == "form" else None
        signed = sign(account.webhook_secret, item.url or "", scheme, params=fields, body=content)
        headers[scheme.header] = signed
    return content, headers


def _form_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
