"""What to do when a program the tests drive for real is not on this machine."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def unavailable(reason: str, *, module_level: bool = False) -> NoReturn:
    """Skip on a developer's machine; fail under CI, where ``.ci/run`` must have installed it.

    A skip under CI would hide that a suite (PostgreSQL, nginx, Chromium, node) never ran.
    """
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; under CI, .ci/run must install it", pytrace=False)
    pytest.skip(reason, allow_module_level=module_level)
