"""Per-bind options a customer sets in the bind's system_type, as SMSC.ru's SMPP server reads them.

`MCONn` (n = 1..9) allows n simultaneous connections for the login instead of one (where a new
bind replaces the old); `ISO` reads data_coding 0 as Latin-1 instead of the GSM alphabet;
`SINGLE` gives each part of a multi-part message its own id and receipt. They combine with
commas (`ISO,SINGLE`). Anything else in system_type (Kannel sends "VMA" or what its
configuration says) is an ordinary system_type and ignored.
"""

from dataclasses import dataclass

from smsgate.text import Encoding

MAX_CONNECTIONS = 9


@dataclass(frozen=True, slots=True)
class BindOptions:
    max_connections: int = 1
    iso: bool = False
    single: bool = False

    @property
    def default_encoding(self) -> Encoding:
        """What data_coding 0 means on this bind."""
        return Encoding.LATIN1 if self.iso else Encoding.GSM7


def parse_system_type(system_type: str) -> BindOptions:
    connections, iso, single = 1, False, False
    for word in system_type.upper().replace(" ", "").split(","):
        if word == "ISO":
            iso = True
        elif word == "SINGLE":
            single = True
        elif len(word) == 5 and word.startswith("MCON") and word[4] in "123456789":
            connections = int(word[4])
    return BindOptions(max_connections=connections, iso=iso, single=single)
