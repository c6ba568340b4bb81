"""Hypothesis strategies for message text."""

from hypothesis import strategies as st

from smsgate.text.gsm7 import BASIC, EXTENSION

GSM_BASIC_CHARS = sorted(set(BASIC) - {"\ufffe"})
GSM_EXTENSION_CHARS = sorted(EXTENSION.values())

# Extension characters drawn often enough that escapes land on part boundaries.
gsm_chars = st.one_of(st.sampled_from(GSM_BASIC_CHARS), st.sampled_from(GSM_EXTENSION_CHARS))


def gsm_text(max_size: int = 400) -> st.SearchStrategy[str]:
    return st.text(alphabet=gsm_chars, max_size=max_size)


# Unicode without lone surrogates, with astral characters mixed in on purpose.
unicode_chars = st.one_of(
    st.characters(codec="utf-16"),
    st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, codec="utf-16"),
)


def unicode_text(max_size: int = 300) -> st.SearchStrategy[str]:
    return st.text(alphabet=unicode_chars, max_size=max_size)


def any_text(max_size: int = 400) -> st.SearchStrategy[str]:
    """GSM-only or arbitrary text, so the automatic choice takes both branches."""
    return st.one_of(gsm_text(max_size), unicode_text(max_size))
