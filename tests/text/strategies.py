"""Hypothesis strategies for message text."""

from hypothesis import strategies as st

from smsgate.text.gsm7 import BASIC, EXTENSION

GSM_BASIC_CHARS = sorted(set(BASIC) - {"\ufffe"})
GSM_EXTENSION_CHARS = sorted(EXTENSION.values())

# Extension characters drawn often enough that escapes land on part boundaries.
gsm_chars = st.one_of(st.sampled_from(GSM_BASIC_CHARS), st.sampled_from(GSM_EXTENSION_CHARS))

# Unicode without lone surrogates, with astral characters mixed in on purpose.
unicode_chars = st.one_of(
    st.characters(codec="utf-16"),
    st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, codec="utf-16"),
)

# Character counts at and around the single/multi-part limits, where off-by-ones live.
_EDGES = (67, 70, 134, 140, 152, 153, 160, 201, 264, 268, 304, 306, 320, 459)
_near_edges = st.tuples(st.sampled_from(_EDGES), st.integers(-3, 3)).map(lambda e: e[0] + e[1])


def _sized_text(alphabet: st.SearchStrategy[str], max_size: int) -> st.SearchStrategy[str]:
    # A drawn length rather than st.text(max_size=...), which almost only yields short text.
    sizes = st.one_of(st.integers(0, max_size), _near_edges.filter(lambda n: n <= max_size))
    return sizes.flatmap(lambda n: st.text(alphabet=alphabet, min_size=n, max_size=n))


def gsm_text(max_size: int = 400) -> st.SearchStrategy[str]:
    return _sized_text(gsm_chars, max_size)


def unicode_text(max_size: int = 300) -> st.SearchStrategy[str]:
    return _sized_text(unicode_chars, max_size)


def any_text(max_size: int = 400) -> st.SearchStrategy[str]:
    """GSM-only or arbitrary text, so the automatic choice takes both branches."""
    return st.one_of(gsm_text(max_size), unicode_text(max_size))
