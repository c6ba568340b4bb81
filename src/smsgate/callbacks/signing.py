"""Callback signatures: an HMAC of the account's secret over the URL and the request's content,
so a receiver can tell that smsgate sent it and nothing was changed on the way.

A scheme is a setting, not code: which header, which digest, how the body is sent and how the
content enters the signed text.

- form bodies: the full URL followed by each parameter name and value, in sorted name order
  (the scheme of Twilio, which the Reach dialect uses: base64 HMAC-SHA1, `X-Reach-Signature`);
- JSON bodies: the full URL followed by the hex SHA-256 of the body (smsgate's own scheme:
  hex HMAC-SHA256, `X-Smsgate-Signature`).

A receiver verifies with `verify` (or recomputes the same in any language; docs/callbacks.md).
"""

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal


@dataclass(frozen=True, slots=True)
class SignatureScheme:
    name: str
    header: str
    digest: Literal["sha1", "sha256"]
    body: Literal["json", "form"]
    encoding: Literal["hex", "base64"]


NATIVE: Final = SignatureScheme("native", "X-Smsgate-Signature", "sha256", "json", "hex")
REACH: Final = SignatureScheme("reach", "X-Reach-Signature", "sha1", "form", "base64")
SCHEMES: Final = {scheme.name: scheme for scheme in (NATIVE, REACH)}


def scheme_named(name: str | None) -> SignatureScheme:
    """The scheme an account names (None: the native one)."""
    if name is None:
        return NATIVE
    try:
        return SCHEMES[name]
    except KeyError:
        raise ValueError(f"no signature scheme {name!r}; known: {', '.join(SCHEMES)}") from None


def signed_text(url: str, *, params: Mapping[str, str] | None = None, body: bytes = b"") -> bytes:
    """What is signed: the URL, then the sorted parameters of a form body, or the SHA-256 of
    any other body."""
    if params is not None:
        return (url + "".join(name + params[name] for name in sorted(params))).encode()
    return (url + hashlib.sha256(body).hexdigest()).encode()


def sign(
    secret: str,
    url: str,
    scheme: SignatureScheme = NATIVE,
    *,
    params: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> str:
    mac = hmac.new(secret.encode(), signed_text(url, params=params, body=body), scheme.digest)
    if scheme.encoding == "base64":
        return base64.b64encode(mac.digest()).decode()
    return mac.hexdigest()


def verify(
    secret: str,
    url: str,
    signature: str,
    scheme: SignatureScheme = NATIVE,
    *,
    params: Mapping[str, str] | None = None,
    body: bytes = b"",
) -> bool:
    """True when `signature` (the header's value) is the one `secret` gives for this request.
    Pass the form parameters of a form body, or the raw bytes of any other body."""
    expected = sign(secret, url, scheme, params=params, body=body)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())
