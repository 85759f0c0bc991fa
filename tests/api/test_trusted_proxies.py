"""``--trusted-proxy``: which addresses' certificate headers Garante believes."""

from __future__ import annotations

import pytest

from garante.api.clientcert import TrustedProxies
from garante.domain.errors import ValidationError


def test_no_proxy_is_trusted_unless_named() -> None:
    assert not TrustedProxies().trusts("127.0.0.1")


def test_an_address_inside_a_named_block_is_trusted_and_one_outside_is_not() -> None:
    trusted = TrustedProxies.parse(["10.0.0.0/24"])
    assert trusted.trusts("10.0.0.7")
    assert not trusted.trusts("10.0.1.7")


def test_blocks_may_be_repeated_or_comma_separated() -> None:
    trusted = TrustedProxies.parse(["127.0.0.1", "10.0.0.0/24,::1"])
    assert all(trusted.trusts(a) for a in ("127.0.0.1", "10.0.0.9", "::1"))


def test_an_ipv4_mapped_ipv6_peer_is_matched_as_its_ipv4_address() -> None:
    assert TrustedProxies.parse(["127.0.0.1/32"]).trusts("::ffff:127.0.0.1")


def test_a_peer_that_is_no_address_is_never_trusted() -> None:
    assert not TrustedProxies.parse(["0.0.0.0/0"]).trusts("testclient")


def test_something_that_is_no_block_is_refused_naming_the_option() -> None:
    with pytest.raises(ValidationError) as refused:
        TrustedProxies.parse(["nginx.internal"])
    assert refused.value.field == "trusted_proxy"
