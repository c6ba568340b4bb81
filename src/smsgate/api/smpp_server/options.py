"""Per-bind options a customer sets in the bind's system_type, as SMSC.ru's SMPP server reads them,
and what the bind takes from its account and the server.

`MCONn` (n = 1..9, the range SMSC.ru documents) allows n simultaneous connections for the login
instead of one (where a new bind replaces the old); any other `MCON` word (`MCON0`, `MCON10`)
refuses the bind rather than silently allowing one connection. `ISO` reads data_coding 0 as
Latin-1 whatever the account says; `SINGLE` gives each part of a multi-part message its own id
and receipt. They combine with commas (`ISO,SINGLE`). Anything else in system_type (Kannel
sends "VMA" or what its configuration says) is an ordinary system_type and ignored.
"""

from dataclasses import dataclass
from typing import Final

from smsgate.api.smpp_server.ids import IdFormat
from smsgate.text import Encoding

MAX_CONNECTIONS = 9
_MCON = "MCON"
# an account's data_coding_0 setting (smsgate.domain.account.DATA_CODING_0) as an alphabet
_ALPHABETS: Final = {"gsm": Encoding.GSM7, "ascii": Encoding.IA5, "latin1": Encoding.LATIN1}


class SystemTypeError(ValueError):
    """system_type names an option with a value out of its range."""


@dataclass(frozen=True, slots=True)
class BindOptions:
    max_connections: int = 1
    iso: bool = False
    single: bool = False
    # what data_coding 0 means for the account (Account.data_coding_0), ISO aside
    data_coding_0: Encoding = Encoding.GSM7
    ids: IdFormat = IdFormat.DECIMAL  # the server's smpp_message_ids

    @property
    def default_encoding(self) -> Encoding:
        """What data_coding 0 means on this bind."""
        return Encoding.LATIN1 if self.iso else self.data_coding_0


def data_coding_0(setting: str | None) -> Encoding:
    """The alphabet of an account's data_coding_0 setting; GSM 03.38 when unset."""
    return _ALPHABETS.get(setting or "gsm", Encoding.GSM7)


def parse_system_type(system_type: str) -> BindOptions:
    """The options of a system_type; SystemTypeError for an MCON outside 1..9."""
    connections, iso, single = 1, False, False
    for word in system_type.upper().replace(" ", "").split(","):
        if word == "ISO":
            iso = True
        elif word == "SINGLE":
            single = True
        elif word.startswith(_MCON):
            count = word.removeprefix(_MCON)
            if not (count.isascii() and count.isdigit() and 1 <= int(count) <= MAX_CONNECTIONS):
                raise SystemTypeError(f"{word}: MCON takes 1 to {MAX_CONNECTIONS} connections")
            connections = int(count)
    return BindOptions(max_connections=connections, iso=iso, single=single)
