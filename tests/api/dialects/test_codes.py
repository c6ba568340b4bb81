"""Every entry of the error catalog has a Reach errorCode and a Zettai Reach! SMS p5 code (a
responseCode, or the classification that ends a failed send's detailedStatusId), so no refusal
or failure reaches those clients without one; the pages under docs/dialects publish the same
tables."""

from pathlib import Path

from smsgate.domain.errors import CATALOG

DOCS = Path(__file__).parents[3] / "docs" / "dialects"


def test_every_catalog_entry_has_a_reach_code_listed_in_the_docs() -> None:
    page = (DOCS / "reach.md").read_text()
    for entry in CATALOG.values():
        code = entry.dialect_codes.get("reach")
        assert code is not None and code.isdigit(), entry.code
        assert f"| {code} | {entry.http_status} | `{entry.code}` |" in page, entry.code


def test_every_catalog_entry_has_a_p5_code_listed_in_the_docs() -> None:
    page = (DOCS / "p5.md").read_text()
    for entry in CATALOG.values():
        response = entry.dialect_codes.get("p5")
        detail = entry.dialect_codes.get("p5_detail")
        assert response or detail, entry.code
        if response:
            assert len(response) == 3 and f"| {response} | `{entry.code}` |" in page
        if detail:
            assert len(detail) == 3 and f"| {detail} | `{entry.code}` |" in page
