"""One zygote per session: it forks every ``garante serve`` the crash tests kill."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.crash.harness import Zygote


@pytest.fixture(scope="session")
def zygote() -> Iterator[Zygote]:
    forks = Zygote()
    yield forks
    forks.close()
