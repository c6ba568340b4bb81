"""Callback signatures: the Twilio test vector through the Reach scheme, smsgate's own scheme,
and refusal of anything changed."""

import pytest

from smsgate.callbacks.signing import NATIVE, REACH, scheme_named, sign, verify

URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}


def test_reach_scheme_gives_the_published_test_vector() -> None:
    assert sign("12345", URL, REACH, params=PARAMS) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert verify("12345", URL, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", REACH, params=PARAMS)
    assert not verify(
        "12345", URL, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", REACH, params={**PARAMS, "Digits": "1235"}
    )
    assert not verify("54321", URL, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", REACH, params=PARAMS)
    assert not verify("12345", URL + "&x=1", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", REACH, params=PARAMS)


def test_native_scheme_signs_url_and_body_hash() -> None:
    body = b'{"id":"m1","status":"delivered"}'
    signature = sign("s3cret", "https://client.example/cb", NATIVE, body=body)
    assert len(signature) == 64 and int(signature, 16) >= 0  # hex HMAC-SHA256
    assert verify("s3cret", "https://client.example/cb", signature, body=body)
    assert not verify("s3cret", "https://client.example/cb", signature, body=body + b" ")
    assert not verify("s3cret", "https://client.example/other", signature, body=body)
    assert not verify("s3cret", "https://client.example/cb", "", body=body)


def test_scheme_names() -> None:
    assert scheme_named(None) is NATIVE and scheme_named("reach") is REACH
    with pytest.raises(ValueError, match="no signature scheme"):
        scheme_named("md5")
