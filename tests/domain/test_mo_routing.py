"""Which account an MO goes to, and which MO opt a sender out or back in."""

import pytest

from smsgate.domain.account import Account
from smsgate.domain.mo_routing import normalise_keyword, opt_out_change, owner

SHOP = Account(id="shop", name="shop")
SALE = Account(id="sale", name="sale")
OWNERS = [("SALE", SALE), ("", SHOP)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sale 20% off?", SALE),
        ("SALE", SALE),
        ("  Sale\nnow", SALE),
        ("salesman", SHOP),  # the whole first word must match
        ("hello", SHOP),
        ("", SHOP),
        (None, SHOP),  # a binary MO
    ],
)
def test_a_keyword_takes_its_mo_and_the_number_the_rest(
    text: str | None, expected: Account
) -> None:
    assert owner(OWNERS, text) is expected


def test_without_an_owner_of_the_number_other_mo_is_unclaimed() -> None:
    assert owner([("SALE", SALE)], "hello") is None
    assert owner([], "sale") is None


def test_opt_out_keywords_match_the_whole_text() -> None:
    assert opt_out_change(SHOP, " stop ") is True
    assert opt_out_change(SHOP, "Unsubscribe") is True
    assert opt_out_change(SHOP, "START") is False
    assert opt_out_change(SHOP, "Stop by at six") is None
    assert opt_out_change(SHOP, None) is None
    custom = Account(id="c", name="c", opt_out_keywords="end quit", opt_in_keywords="resume")
    assert opt_out_change(custom, "QUIT") is True
    assert opt_out_change(custom, "stop") is None  # the account chose its own words
    assert opt_out_change(custom, "resume") is False
    assert opt_out_change(custom, "start") is None


def test_a_keyword_is_one_word() -> None:
    assert normalise_keyword(" sale ") == "SALE"
    with pytest.raises(ValueError, match="one word"):
        normalise_keyword("big sale")
