import time

from smsgate.domain.account import check_password, hash_api_key, hash_password, new_api_key
from smsgate.domain.errors import CATALOG, GatewayError
from smsgate.domain.ids import id_time, new_id


def test_ids_increase_and_carry_their_time() -> None:
    ids = [new_id() for _ in range(10_000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(len(i) == 32 and i[12] == "7" for i in ids)  # version 7
    assert abs(id_time(ids[-1]) - time.time()) < 5


def test_credentials_are_stored_hashed() -> None:
    key = new_api_key()
    assert key.startswith("sg_") and len(key) > 40
    assert hash_api_key(key) == hash_api_key(key) != key
    stored = hash_password("secret")
    assert "secret" not in stored
    assert check_password("secret", stored)
    assert not check_password("Secret", stored)
    assert not check_password("secret", "garbage")


def test_catalog_entries_are_consistent() -> None:
    assert all(code == entry.code for code, entry in CATALOG.items())
    assert all(100 <= entry.http_status < 600 for entry in CATALOG.values())
    error = GatewayError("throttled", "30 msg/s")
    assert (error.http_status, error.smpp_status, error.code) == (429, 0x58, "throttled")
    assert GatewayError("no_route").http_status == 422
