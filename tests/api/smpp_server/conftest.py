"""The store backends the SMPP server's end-to-end tests run on."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.store.backends import BACKENDS, StoreBackend, store_backend


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item
