"""Which account an MO message belongs to, and whether it opts its sender out or back in.

An account owns a number outright (keyword "") or a keyword on a shared number: an MO whose
first word is an owned keyword goes to that keyword's owner, anything else to the number's
owner, and with no owner it stays unclaimed for the operator. Opt-out keywords are matched
against the whole message (trimmed, any case), so "STOP" opts out and "Stop by at six" does not.
"""

from collections.abc import Sequence
from typing import Final

from smsgate.domain.account import Account

DEFAULT_OPT_OUT: Final = frozenset({"STOP", "UNSUBSCRIBE"})
DEFAULT_OPT_IN: Final = frozenset({"START"})


def normalise_keyword(keyword: str) -> str:
    """Keywords are one word, compared in upper case; "" is the number itself."""
    word = keyword.strip().upper()
    if len(word.split()) > 1:
        raise ValueError(f"a keyword is one word, not {keyword!r}")
    return word


def first_word(text: str | None) -> str:
    words = (text or "").split(maxsplit=1)
    return words[0].upper() if words else ""


def owner(owners: Sequence[tuple[str, Account]], text: str | None) -> Account | None:
    """The account an MO with `text` goes to, among a number's (keyword, account) owners."""
    word = first_word(text)
    fallback = None
    for keyword, account in owners:
        if keyword and keyword == word:
            return account
        if not keyword:
            fallback = account
    return fallback


def keywords(setting: str | None, default: frozenset[str]) -> frozenset[str]:
    """An account's keyword setting (space-separated; None: the default)."""
    if setting is None:
        return default
    return frozenset(normalise_keyword(word) for word in setting.split())


def opt_out_change(account: Account, text: str | None) -> bool | None:
    """True: the MO opts its sender out of the account's messages; False: back in; None:
    neither."""
    word = (text or "").strip().upper()
    if not word:
        return None
    if word in keywords(account.opt_out_keywords, DEFAULT_OPT_OUT):
        return True
    if word in keywords(account.opt_in_keywords, DEFAULT_OPT_IN):
        return False
    return None
