"""Orders signed with a passkey or security key (WebAuthn), beside the Ed25519 key.

A passkey is registered as a key change is (signed by the key the authority has, if any); an
order it signs carries the assertion over the SHA-256 of the canonical statement, which the
log keeps so that ``audit replay`` (run after every test by the ``garante`` fixture) verifies
it again. On a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from garante.canonical import Json
from garante.domain.errors import (
    InvalidState,
    NotEntitled,
    SignatureError,
    SignatureRequired,
    ValidationError,
)
from garante.domain.order import Order, Scope
from garante.domain.passkeys import Assertion, RelyingParty
from garante.ledger.note import VerifierKey
from garante.replay import LoggedEntry, Replayer
from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.service.context import relying_party_of
from garante.service.dbcheck import check_store
from garante.signatures import public_key_bytes, sign_statement
from tests.support.passkey import RP, SoftAuthenticator


@pytest.fixture
def world(world: Garante) -> Garante:
    world.context.settings.relying_party = RP
    return world


def _register(world: Garante, authority_id: str = "presidency") -> SoftAuthenticator:
    """A passkey for an authority that has no Ed25519 key: its first key, without proof."""
    device = SoftAuthenticator()
    world.register_passkey(authority_id, device.create())
    return device


def _draft(world: Garante, authority_id: str = "presidency", reason: str = "hold the US") -> Order:
    return world.draft_order(
        authority_id=authority_id,
        effect="hold",
        scope=Scope(countries=frozenset({"US"})),
        reason=reason,
    ).order


def _entry(world: Garante, kind: str) -> dict[str, object]:
    entries = [e for e in world.entries(0, world.ledger_size()) if e.kind == kind]
    data: dict[str, object] = json.loads(entries[-1].entry)["data"]
    return data


def test_an_authority_without_a_key_registers_its_first_passkey_without_proof(
    world: Garante,
) -> None:
    device = _register(world)
    [passkey] = world.passkeys("presidency")
    assert (passkey.credential_id, passkey.rp_id, passkey.origin) == (
        device.credential_id,
        RP.rp_id,
        RP.origin,
    )
    data = _entry(world, "authority.passkey-registered")
    assert data["credential_id"] == device.credential_id
    assert data["statement"] == {
        "type": "garante.authority-passkey/v1",
        "authority": "presidency",
        "credential_id": device.credential_id,
        "public_key": data["statement"]["public_key"],  # type: ignore[index]
        "rp_id": RP.rp_id,
        "origin": RP.origin,
    }
    assert (data["signature"], data["assertion"]) == (None, None)


def test_a_passkey_of_an_authority_with_a_key_needs_that_keys_signature(world: Garante) -> None:
    device = SoftAuthenticator()
    attestation = device.create()
    size = world.ledger_size()
    with pytest.raises(SignatureRequired):
        world.register_passkey("mininterior", attestation)
    with pytest.raises(SignatureError):
        other = Ed25519PrivateKey.generate()
        statement = world.passkey_statement("mininterior", attestation).statement
        world.register_passkey(
            "mininterior", attestation, signature=sign_statement(other, statement)
        )
    assert world.ledger_size() == size and world.passkeys("mininterior") == []

    proposed = world.passkey_statement("mininterior", attestation)
    assert proposed.needs_signature
    world.register_passkey(
        "mininterior",
        attestation,
        signature=sign_statement(demo_key("mininterior"), proposed.statement),
    )
    assert [p.credential_id for p in world.passkeys("mininterior")] == [device.credential_id]


def test_a_second_passkey_is_vouched_for_by_the_first(world: Garante) -> None:
    first = _register(world)
    second = SoftAuthenticator()
    attestation = second.create()
    with pytest.raises(SignatureRequired):
        world.register_passkey("presidency", attestation)
    statement = world.passkey_statement("presidency", attestation).statement
    world.register_passkey("presidency", attestation, assertion=first.sign(statement))
    assert len(world.passkeys("presidency")) == 2


def test_a_passkey_signs_an_order_and_the_log_keeps_its_assertion(world: Garante) -> None:
    device = _register(world)
    order = _draft(world)
    assertion = device.sign(order.statement())
    world.issue_order(order, signature=None, assertion=assertion)

    data = _entry(world, "order.issued")
    assert data["signature"] is None
    assert data["assertion"] == {
        "credential_id": assertion.credential_id,
        "authenticator_data": assertion.authenticator_data,
        "client_data_json": assertion.client_data_json,
        "signature": assertion.signature,
    }
    assert world.passkeys("presidency")[0].sign_count == 1


def test_a_passkey_amends_and_lifts_the_order_it_issued(world: Garante) -> None:
    device = _register(world)
    order = _draft(world)
    world.issue_order(order, signature=None, assertion=device.sign(order.statement()))
    amended = world.draft_amendment(
        order.id, authority_id="presidency", reason="hold the US, amended"
    ).order
    statement = {**amended.statement(), "amended_by": "presidency"}
    world.amend_order(
        amended, authority_id="presidency", signature=None, assertion=device.sign(statement)
    )
    lift = world.lift_statement(order.id, authority_id="presidency", reason="done")
    lifted = world.lift_order(
        order.id,
        authority_id="presidency",
        reason="done",
        signature=None,
        assertion=device.sign(lift),
    )
    assert lifted.value.lifted_at is not None
    assert world.passkeys("presidency")[0].sign_count == 3


def test_an_assertion_over_another_statement_is_refused(world: Garante) -> None:
    device = _register(world)
    order = _draft(world)
    other = _draft(world, reason="something else")
    size = world.ledger_size()
    with pytest.raises(SignatureError, match="signs another statement"):
        world.issue_order(order, signature=None, assertion=device.sign(other.statement()))
    assert world.ledger_size() == size and world.orders() == []


def test_a_counter_that_goes_backwards_is_refused(world: Garante) -> None:
    device = _register(world)
    order = _draft(world)
    world.issue_order(order, signature=None, assertion=device.sign(order.statement(), counter=5))
    lift = world.lift_statement(order.id, authority_id="presidency", reason="done")
    for counter in (4, 5):
        with pytest.raises(SignatureError, match="counter went from 5 to"):
            world.lift_order(
                order.id,
                authority_id="presidency",
                reason="done",
                signature=None,
                assertion=device.sign(lift, counter=counter),
            )
    assert world.order(order.id).lifted_at is None
    assert world.passkeys("presidency")[0].sign_count == 5


def test_an_authenticator_without_a_counter_signs_at_zero_every_time(world: Garante) -> None:
    device = _register(world)
    order = _draft(world)
    world.issue_order(order, signature=None, assertion=device.sign(order.statement(), counter=0))
    lift = world.lift_statement(order.id, authority_id="presidency", reason="done")
    world.lift_order(
        order.id,
        authority_id="presidency",
        reason="done",
        signature=None,
        assertion=device.sign(lift, counter=0),
    )
    assert world.passkeys("presidency")[0].sign_count == 0


def test_a_credential_of_another_authority_is_refused(world: Garante) -> None:
    presidencys = _register(world)
    order = _draft(world, "mininterior")
    with pytest.raises(SignatureError, match="not a passkey of mininterior"):
        world.issue_order(order, signature=None, assertion=presidencys.sign(order.statement()))


def test_an_unregistered_credential_is_refused(world: Garante) -> None:
    _register(world)
    order = _draft(world)
    stranger = SoftAuthenticator()
    with pytest.raises(SignatureError, match="not a passkey of presidency"):
        world.issue_order(order, signature=None, assertion=stranger.sign(order.statement()))


def test_an_assertion_from_another_origin_is_refused(world: Garante) -> None:
    device = _register(world)
    order = _draft(world)
    assertion = device.sign(order.statement(), origin="https://elsewhere.example")
    with pytest.raises(SignatureError, match="origin"):
        world.issue_order(order, signature=None, assertion=assertion)


def test_an_assertion_without_the_user_present_is_refused(world: Garante) -> None:
    device = _register(world)
    order = _draft(world)
    with pytest.raises(SignatureError, match="not present"):
        world.issue_order(
            order, signature=None, assertion=device.sign(order.statement(), present=False)
        )


def test_a_forged_signature_is_refused(world: Garante) -> None:
    device = _register(world)
    order = _draft(world)
    good = device.sign(order.statement())
    forged = Assertion(
        credential_id=good.credential_id,
        authenticator_data=good.authenticator_data,
        client_data_json=good.client_data_json,
        signature=SoftAuthenticator().sign(order.statement()).signature,
    )
    with pytest.raises(SignatureError, match="Could not verify"):
        world.issue_order(order, signature=None, assertion=forged)


def test_an_authority_with_only_a_passkey_must_sign_its_orders(world: Garante) -> None:
    _register(world)
    with pytest.raises(SignatureError, match="signs with a passkey"):
        world.issue_order(_draft(world), signature=None)


def test_the_ed25519_key_still_signs_beside_a_passkey(world: Garante) -> None:
    attestation = SoftAuthenticator().create()
    statement = world.passkey_statement("mininterior", attestation).statement
    world.register_passkey(
        "mininterior", attestation, signature=sign_statement(demo_key("mininterior"), statement)
    )
    order = _draft(world, "mininterior")
    world.issue_order(order, signature=sign_statement(demo_key("mininterior"), order.statement()))
    assert _entry(world, "order.issued").get("assertion") is None


def test_a_signature_and_an_assertion_together_are_refused(world: Garante) -> None:
    attestation = SoftAuthenticator().create()
    statement = world.passkey_statement("mininterior", attestation).statement
    world.register_passkey(
        "mininterior", attestation, signature=sign_statement(demo_key("mininterior"), statement)
    )
    order = _draft(world, "mininterior")
    with pytest.raises(Exception, match="not both"):
        world.issue_order(
            order,
            signature=sign_statement(demo_key("mininterior"), order.statement()),
            assertion=SoftAuthenticator().sign(order.statement()),
        )


def test_a_credential_is_registered_once(world: Garante) -> None:
    device = _register(world)
    with pytest.raises(Exception, match="already registered"):
        world.register_passkey("mininterior", device.create())


def test_a_credential_made_for_another_relying_party_is_refused(world: Garante) -> None:
    world.context.settings.relying_party = type(RP)(
        rp_id="example.org", origin="https://example.org"
    )
    with pytest.raises(SignatureError, match="does not verify"):
        world.register_passkey("presidency", SoftAuthenticator().create())


def test_without_a_relying_party_no_passkey_is_registered(world: Garante) -> None:
    world.context.settings.relying_party = None
    with pytest.raises(InvalidState, match="not configured"):
        world.register_passkey("presidency", SoftAuthenticator().create())


def test_the_system_authority_registers_no_passkey(world: Garante) -> None:
    with pytest.raises(NotEntitled):
        world.passkey_statement("garante-system", SoftAuthenticator().create())


def test_an_ed25519_key_beside_a_passkey_alone_needs_another_authoritys_recovery(
    world: Garante,
) -> None:
    _register(world)
    new = public_key_bytes(Ed25519PrivateKey.generate().public_key())
    with pytest.raises(NotEntitled, match="recovery"):
        world.set_authority_key("presidency", new)
    statement = world.authority_key_statement("presidency", new, recovered_by="mininterior")
    world.set_authority_key(
        "presidency",
        new,
        signature=sign_statement(demo_key("mininterior"), statement),
        recovered_by="mininterior",
    )


def test_db_check_finds_the_passkeys_and_their_counters_as_the_log_says(world: Garante) -> None:
    device = _register(world)
    order = _draft(world)
    world.issue_order(order, signature=None, assertion=device.sign(order.statement(), counter=7))
    world.publish_checkpoint()
    report = check_store(world.engine, log_key=VerifierKey.parse(world.log_verifier_key()))
    assert report.failed == []
    assert report.replay is not None and report.replay.ok


# -- audit replay, from the log alone ------------------------------------------------------------


def _replayed(world: Garante, edit: Callable[[list[dict[str, Any]]], None]) -> list[str]:
    """What ``audit replay`` says of the world's log once ``edit`` has rewritten entries."""
    entries = [json.loads(r.entry) for r in world.entries(0, world.ledger_size())]
    edit(entries)
    report = Replayer().replay(LoggedEntry.of(i, value) for i, value in enumerate(entries))
    return [d.message for d in report.disagreements]


def _last(entries: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found: dict[str, Any] = [e for e in entries if e["kind"] == kind][-1]["data"]
    return found


def _assertion_json(assertion: Assertion) -> dict[str, str]:
    return {
        "credential_id": assertion.credential_id,
        "authenticator_data": assertion.authenticator_data,
        "client_data_json": assertion.client_data_json,
        "signature": assertion.signature,
    }


def _issued_and_lifted(world: Garante, device: SoftAuthenticator) -> dict[str, Json]:
    order = _draft(world)
    world.issue_order(order, signature=None, assertion=device.sign(order.statement(), counter=5))
    lift = world.lift_statement(order.id, authority_id="presidency", reason="done")
    world.lift_order(
        order.id,
        authority_id="presidency",
        reason="done",
        signature=None,
        assertion=device.sign(lift),
    )
    return lift


def test_replay_verifies_every_passkey_signature_from_the_log_alone(world: Garante) -> None:
    device = _register(world)
    _issued_and_lifted(world, device)
    entries = [LoggedEntry.read(r.index, r.entry) for r in world.entries(0, world.ledger_size())]
    report = Replayer().replay(entries)
    assert report.disagreements == []
    assert report.signatures_verified >= 2


def test_replay_names_an_assertion_moved_onto_another_statement(world: Garante) -> None:
    device = _register(world)
    _issued_and_lifted(world, device)

    def swap(entries: list[dict[str, Any]]) -> None:
        _last(entries, "order.lifted")["assertion"] = _last(entries, "order.issued")["assertion"]

    [message] = _replayed(world, swap)
    assert "passkey assertion does not verify" in message and "another statement" in message


def test_replay_names_a_counter_that_goes_backwards(world: Garante) -> None:
    device = _register(world)
    lift = _issued_and_lifted(world, device)
    replayed = _assertion_json(device.sign({**lift, "lifted_by": "presidency"}, counter=3))

    def rewind(entries: list[dict[str, Any]]) -> None:
        _last(entries, "order.lifted")["assertion"] = replayed

    [message] = _replayed(world, rewind)
    assert "counter went from 5 to 3" in message


def test_replay_names_a_registration_whose_key_is_not_the_attested_one(world: Garante) -> None:
    _register(world)
    other = SoftAuthenticator().create()

    def substitute(entries: list[dict[str, Any]]) -> None:
        registered = _last(entries, "authority.passkey-registered")
        registered["attestation"] = {
            "challenge": other.challenge,
            "client_data_json": other.client_data_json,
            "attestation_object": other.attestation_object,
        }

    [message] = _replayed(world, substitute)
    assert "is not the one the attested credential states" in message


def test_replay_names_an_unsigned_order_of_an_authority_with_a_passkey(world: Garante) -> None:
    device = _register(world)
    _issued_and_lifted(world, device)

    def strip(entries: list[dict[str, Any]]) -> None:
        del _last(entries, "order.issued")["assertion"]

    assert "is unsigned, but presidency had a passkey then" in _replayed(world, strip)


# -- the relying party, from serve's options -------------------------------------------------


def test_the_relying_party_is_the_origins_host_unless_a_domain_above_it_is_named() -> None:
    assert relying_party_of("https://garante.example.org/") == RelyingParty(
        rp_id="garante.example.org", origin="https://garante.example.org"
    )
    assert relying_party_of("https://garante.example.org", "example.org") == RelyingParty(
        rp_id="example.org", origin="https://garante.example.org"
    )
    assert relying_party_of(None) is None


@pytest.mark.parametrize(
    ("origin", "rp_id"),
    [
        ("http://garante.example.org", None),  # browsers refuse WebAuthn there
        ("https://10.0.0.7", None),  # no IP address is a relying party id
        ("https://garante.example.org/console", None),  # a path is no origin
        ("https://garante.example.org", "other.org"),  # not a domain above the host
        (None, "example.org"),  # an rp id without an origin
    ],
)
def test_a_relying_party_browsers_would_refuse_is_refused_at_start(
    origin: str | None, rp_id: str | None
) -> None:
    with pytest.raises(ValidationError):
        relying_party_of(origin, rp_id)
