"""The audit log must hold on both stores."""

from __future__ import annotations

import pytest

from tests.support.stores import BACKENDS


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value
