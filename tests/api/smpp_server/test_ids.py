"""The customer-facing ids: the stored id in decimal or hex, read back in either form."""

from smsgate.api.smpp_server.ids import IdFormat, customer_id, engine_id, part_id, split_id
from smsgate.domain.ids import new_id


def test_decimal_and_hex_ids_map_back_to_the_stored_id() -> None:
    for _ in range(1000):
        stored = new_id()
        shown = customer_id(stored)
        assert shown.isdigit() and 37 <= len(shown) <= 39 and int(shown) == int(stored, 16)
        assert engine_id(shown) == stored and engine_id(stored) == stored
        assert customer_id(stored, IdFormat.HEX) == stored
        assert split_id(part_id(stored, 2, True)) == (stored, 2)
        assert split_id(part_id(stored, 2, True, IdFormat.HEX)) == (stored, 2)
        assert part_id(stored, 2, False) == shown
    assert customer_id("") == "" and part_id("", 1, True) == ""
    # what names no stored message stays as it is (a look-up then finds nothing)
    for other in ("abc", "9" * 40, "12-x", "\u0661\u0662"):
        assert engine_id(other) == other
