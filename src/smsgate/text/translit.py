"""Cyrillic text in Latin letters, for handsets and senders that cannot show Cyrillic: a 7-bit
GSM message carries 160 characters where UCS-2 carries 70.

Two styles, as SMS platforms in Russia offer them: `latin` spells the sounds (Привет -> Privet)
and `lookalike` draws each letter with Latin letters and digits that look like it
(Привет -> npuBeT). Characters without a Cyrillic letter pass unchanged.
"""

from enum import IntEnum
from typing import Final


class Translit(IntEnum):
    NONE = 0
    LATIN = 1
    LOOKALIKE = 2


# The Cyrillic letters by code point (not as text: most of them look like Latin letters):
# U+0430 to U+044F (a to ya), then yo, ukrainian ye, i, yi and ghe with upturn.
_LETTERS: Final = [chr(c) for c in range(0x430, 0x450)] + [
    chr(c) for c in (0x451, 0x454, 0x456, 0x457, 0x491)
]
_LATIN_SPELLING: Final = (
    "a b v g d e zh z i j k l m n o p r s t u f h c ch sh shh \" y ' e yu ya yo ye i yi g"
)
_LOOKALIKE_SPELLING: Final = (
    "a 6 B r D e }|{ 3 u u' K JI M H o n p c T y cp x LL, 4 LLI LLL, 'b bI b 3 I-O 9I e e i i r"
)
_LATIN: Final = dict(zip(_LETTERS, _LATIN_SPELLING.split(" "), strict=True))
_LOOKALIKE: Final = dict(zip(_LETTERS, _LOOKALIKE_SPELLING.split(" "), strict=True))


def _table(lower: dict[str, str], capitalise: bool) -> dict[int, str]:
    table = {ord(letter): spelled for letter, spelled in lower.items()}
    for letter, spelled in lower.items():
        upper = letter.upper()
        if capitalise:
            table[ord(upper)] = spelled[:1].upper() + spelled[1:]
        else:
            table[ord(upper)] = spelled  # the look-alikes are drawn, not spelled
    return table


_TABLES: Final = {
    Translit.LATIN: _table(_LATIN, capitalise=True),
    Translit.LOOKALIKE: _table(_LOOKALIKE, capitalise=False),
}


def transliterate(text: str, style: Translit) -> str:
    if style is Translit.NONE:
        return text
    return text.translate(_TABLES[style])
