"""Mobile networks by their MCC and MNC (ITU-T E.212), and the carrier ids routes use for them.

An HLR lookup answers with the network a subscriber belongs to as an MCC/MNC pair; routing
and the portability table speak of carriers (`smsgate.domain.carriers`). This table joins the
two for the networks the gateway routes to, and names a few foreign networks that Japanese
subscribers roam into (the simulated HLR uses them).
"""

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class MobileNetwork:
    mcc: str
    mnc: str
    country: str
    name: str
    carrier: str | None  # the carrier id routes use; None for a network nothing routes to
    calling_code: str  # the country's E.164 calling code (MSC addresses start with it)


MOBILE_NETWORKS: Final[tuple[MobileNetwork, ...]] = (
    MobileNetwork("440", "10", "Japan", "NTT DOCOMO", "docomo", "81"),
    MobileNetwork("440", "20", "Japan", "SoftBank", "softbank", "81"),
    MobileNetwork("440", "00", "Japan", "Y!mobile", "softbank", "81"),
    MobileNetwork("440", "21", "Japan", "SoftBank", "softbank", "81"),
    MobileNetwork("440", "50", "Japan", "KDDI au", "au", "81"),
    MobileNetwork("440", "51", "Japan", "KDDI au", "au", "81"),
    MobileNetwork("440", "52", "Japan", "KDDI au", "au", "81"),
    MobileNetwork("440", "53", "Japan", "KDDI au", "au", "81"),
    MobileNetwork("440", "54", "Japan", "KDDI au", "au", "81"),
    MobileNetwork("440", "11", "Japan", "Rakuten Mobile", "rakuten", "81"),
    MobileNetwork("310", "260", "United States", "T-Mobile", None, "1"),
    MobileNetwork("450", "05", "South Korea", "SK Telecom", None, "82"),
    MobileNetwork("262", "01", "Germany", "Telekom", None, "49"),
    MobileNetwork("208", "01", "France", "Orange", None, "33"),
    MobileNetwork("250", "01", "Russia", "MTS", None, "7"),
)

_BY_CODE: Final = {(n.mcc, n.mnc): n for n in MOBILE_NETWORKS}
# the network a carrier's own subscribers get (the first listed for it)
_HOME: Final = {n.carrier: n for n in reversed(MOBILE_NETWORKS) if n.carrier is not None}


def network(mcc: str, mnc: str) -> MobileNetwork | None:
    """The network of an MCC/MNC pair, or None when the table does not know it."""
    return _BY_CODE.get((mcc, mnc))


def carrier_network(carrier: str) -> MobileNetwork | None:
    """The network a carrier gives its subscribers, or None for an unknown carrier."""
    return _HOME.get(carrier)


__all__ = ["MOBILE_NETWORKS", "MobileNetwork", "carrier_network", "network"]
