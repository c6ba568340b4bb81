"""The rules of domain/storable_text.py and domain/credentials.py on their own."""

import pytest

from smsgate.domain.account import new_api_key
from smsgate.domain.credentials import (
    CredentialError,
    check_api_key,
    check_smpp_password,
    check_system_id,
)
from smsgate.domain.errors import GatewayError
from smsgate.domain.storable_text import check_fields, check_lookup, storable, unstorable


def test_nul_and_lone_surrogates_are_unstorable_pairs_are_not() -> None:
    assert unstorable("a\x00b") == "U+0000 at character 2"
    assert unstorable("\udc00") == "U+DC00 at character 1"
    assert unstorable("emoji 😀 and ü") is None  # a pair decoded is one character
    assert storable("a\x00\ud800b") == "a\ufffd\ufffdb"
    with pytest.raises(GatewayError) as refused:
        check_fields([("to", "+81"), ("priority", 1), ("tag", "t\x00")])
    assert (refused.value.code, refused.value.http_status) == ("invalid_character", 422)
    assert refused.value.detail == "tag: U+0000 at character 2"
    with pytest.raises(GatewayError) as lookup:
        check_lookup([("message_id", "\x00")])
    assert (lookup.value.code, lookup.value.http_status) == ("invalid_filter_character", 400)


def test_credential_rules() -> None:
    check_api_key(new_api_key(), 24)
    check_smpp_password("s3cret!", 6)
    check_system_id("x" * 15)
    for refused in (
        lambda: check_api_key("x", 24),
        lambda: check_api_key("k" * 30 + "é", 24),
        lambda: check_smpp_password("12345", 6),
        lambda: check_smpp_password("123456789", 6),
        lambda: check_smpp_password("pässwd", 1),
        lambda: check_system_id(""),
        lambda: check_system_id("x" * 16),
        lambda: check_system_id("a\x00"),
    ):
        with pytest.raises(CredentialError):
            refused()
