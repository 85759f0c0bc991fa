"""The API's cache of principals it authenticated (``api.auth.TokenCache``): bounded, and
keyed by the token's digest, never the secret."""

from __future__ import annotations

from garante.api.auth import TokenCache
from garante.domain.roles import Principal, Role


def analyst(n: int) -> Principal:
    return Principal(token_id=f"t{n}", role=Role.ANALYST, agency_id="dipol", by_token=True)


def test_a_cached_token_gives_back_its_principal() -> None:
    cache = TokenCache()
    cache.put("gar_one", analyst(1))
    assert cache.get("gar_one") == analyst(1)
    assert cache.get("gar_two") is None


def test_the_cache_keeps_no_secret() -> None:
    cache = TokenCache()
    cache.put("gar_secret-value", analyst(1))
    assert all(b"gar_secret-value" not in key for key in cache._principals)


def test_the_cache_holds_at_most_its_size_and_drops_the_least_recently_used() -> None:
    cache = TokenCache(size=2)
    cache.put("gar_one", analyst(1))
    cache.put("gar_two", analyst(2))
    assert cache.get("gar_one") == analyst(1)  # now the most recently used
    cache.put("gar_three", analyst(3))
    assert len(cache) == 2
    assert cache.get("gar_two") is None
    assert cache.get("gar_one") == analyst(1)
    assert cache.get("gar_three") == analyst(3)
