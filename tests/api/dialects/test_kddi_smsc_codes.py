"""Every entry of the error catalog has a KDDI Message Cast status and an SMSC.ru code (an
error code for a refused request, or the status of a failed message), and the pages under
docs/dialects publish the same tables."""

from pathlib import Path

from smsgate.domain.errors import CATALOG

DOCS = Path(__file__).parents[3] / "docs" / "dialects"
# outcomes of accepted messages: never the answer to a request
OUTCOMES = {
    "carrier_rejected",
    "carrier_unavailable",
    "undeliverable",
    "expired",
    "canceled",
    "price_exceeded",
}


def test_every_refusal_has_a_kddi_status_listed_in_the_docs() -> None:
    page = (DOCS / "kddi.md").read_text()
    for entry in CATALOG.values():
        status = entry.dialect_codes.get("kddi")
        if entry.code in OUTCOMES:
            assert status is None, entry.code
            continue
        assert status in {"400", "401", "403", "404", "500", "502", "503", "504"}, entry.code
        assert f"| {status} | `{entry.code}` |" in page, entry.code


def test_every_entry_has_an_smsc_ru_code_or_status_listed_in_the_docs() -> None:
    page = (DOCS / "smsc_ru.md").read_text()
    for entry in CATALOG.values():
        code = entry.dialect_codes.get("smsc_ru")
        status = entry.dialect_codes.get("smsc_ru_status")
        assert code or status, entry.code
        if entry.code not in OUTCOMES:
            assert code in {str(n) for n in range(1, 10)}, entry.code
        for value in (code, status):
            if value is not None:
                assert f"| {value} | `{entry.code}` |" in page, entry.code
