"""Audit events: one class per kind, whose fields are the entry's data key for key."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime

import pytest

from garante.canonical import canonical
from garante.domain.condition import ConditionRule, event_statement
from garante.domain.decision import Outcome
from garante.domain.events import (
    EVENTS,
    AuditEvent,
    ConditionDefined,
    DeliveredObject,
    EventKind,
    EventRecorded,
    ItemAdded,
    ReleaseDecided,
    ReleaseMarked,
    ReleaseRecalled,
    ReleaseRequested,
    RuleCited,
)

# The keys of each kind's data, as the log has always held them. A field renamed on an event
# class changes the log's format, which verifiers and old stores read: it fails here first.
LOGGED_KEYS: dict[EventKind, set[str]] = {
    EventKind.AGENCY_REGISTERED: {
        "agency", "name", "country", "domestic", "requires_undertaking", "public_key",
    },
    EventKind.AGENCY_KEY_SET: {"agency", "public_key", "statement", "signature", "recovered_by"},
    EventKind.AUTHORITY_REGISTERED: {"authority", "name", "public_key"},
    EventKind.AUTHORITY_KEY_SET: {
        "authority", "public_key", "statement", "signature", "recovered_by",
    },
    EventKind.AUTHORITY_SUPERIOR_SET: {"authority", "over"},
    EventKind.ITEM_ADDED: {
        "item", "category", "region", "tlp", "originator", "releasable_to", "content_commitment",
        "embargo_until", "expires_at", "review",
    },
    EventKind.UNDERTAKING_SIGNED: {"undertaking", "statement", "signature"},
    EventKind.UNDERTAKING_REVOKED: {"undertaking", "reason"},
    EventKind.ORDER_ISSUED: {"statement", "signature", "assertion"},
    EventKind.ORDER_AMENDED: {"statement", "signature", "acting_as", "assertion"},
    EventKind.ORDER_LIFTED: {"statement", "signature", "acting_as", "assertion"},
    EventKind.CONDITION_DEFINED: {"condition", "rule", "active", "evidence"},
    EventKind.CONDITION_CHANGED: {
        "condition", "active", "evidence", "statement", "signature", "events", "orders",
    },
    EventKind.EVENT_RECORDED: {
        "event", "kind", "region", "occurred_at", "source", "agency", "statement", "signature",
    },
    EventKind.RELEASE_REQUESTED: {"request", "item", "recipient", "purpose", "agreement"},
    EventKind.RELEASE_DECIDED: {
        "request", "outcome", "previous", "undertaking", "state_version", "trigger", "rules",
    },
    EventKind.RELEASE_REDECIDED: {
        "request", "outcome", "previous", "undertaking", "state_version", "trigger", "rules",
    },
    EventKind.RELEASE_WITHHELD: {"request", "partner", "trigger", "rules"},
    EventKind.RELEASE_AVAILABLE: {"request", "partner", "trigger", "rules"},
    EventKind.RELEASE_MARKED: {"request", "partner", "trace", "objects"},
    EventKind.RELEASE_DELIVERED: {"request", "partner", "trace"},
    EventKind.RELEASE_RECALLED: {
        "request", "partner", "delivered", "objects", "reason", "ack_by",
    },
    EventKind.SETTINGS_CHANGED: {"setting", "value"},
    EventKind.OUTCOME_REPORTED: {
        "outcome", "statement", "signature", "undertaking", "breach", "reasons",
    },
    EventKind.TOKEN_CREATED: {"token", "role", "agency", "authority"},
    EventKind.TOKEN_REVOKED: {"token"},
    EventKind.AGREEMENT_MADE: {"agreement", "partner", "statement", "signature"},
    EventKind.AGREEMENT_AMENDED: {"agreement", "partner", "statement", "signature"},
    EventKind.AGREEMENT_SUSPENDED: {"agreement", "reason"},
    EventKind.AGREEMENT_RESUMED: {"agreement", "reason"},
    EventKind.AGREEMENT_ENDED: {"agreement", "reason"},
    EventKind.SOURCE_ADDED: {
        "source", "kind", "url", "collection", "auth", "credentials", "originator", "interval",
        "grouping", "category", "region", "tlp", "mapping", "log_key", "acknowledges", "ack_key",
    },
    EventKind.SOURCE_PAUSED: {"source", "reason"},
    EventKind.SOURCE_RESUMED: {"source", "reason"},
    EventKind.SOURCE_REMOVED: {"source", "reason"},
    EventKind.ITEM_INGESTED: {
        "source", "upstream_id", "upstream_version", "content_commitment", "item", "terms",
    },
    EventKind.UPSTREAM_VERSION_SEEN: {
        "source", "upstream_id", "upstream_version", "content_commitment", "item",
    },
    # -- item versions and upstream revocations
    EventKind.ITEM_REVISED: {
        "source", "upstream_id", "upstream_version", "content_commitment", "item", "version",
        "tlp", "review", "kept", "category", "region",
    },
    EventKind.ITEM_REVOKED: {
        "source", "upstream_id", "upstream_version", "content_commitment", "item", "reason",
    },
    # -- client certificates of partners
    EventKind.AGENCY_CERTIFICATE_ADDED: {"agency", "fingerprint", "label"},
    EventKind.AGENCY_CERTIFICATE_REMOVED: {"agency", "fingerprint"},
    # -- passkeys of authorities (WebAuthn)
    EventKind.AUTHORITY_PASSKEY_REGISTERED: {
        "authority", "credential_id", "statement", "attestation", "sign_count", "signature",
        "assertion",
    },
    # -- partners writing back
    EventKind.RELEASE_ACKNOWLEDGED: {"acknowledgement", "statement", "signature"},
    EventKind.RECALL_ACKNOWLEDGED: {"acknowledgement", "statement", "signature"},
    EventKind.CONSENT_REQUESTED: {"consent", "statement", "signature"},
    EventKind.CONSENT_GRANTED: {"consent", "statement", "reason", "rule"},
    EventKind.CONSENT_REFUSED: {"consent", "statement", "reason"},
    EventKind.CONSENT_RECEIVED: {
        "consent", "source", "item", "recipient", "purpose", "answer", "statement",
        "upstream_index", "upstream_entry", "proof", "checkpoint",
    },
    # -- witnesses of the log
    EventKind.WITNESS_ADDED: {"witness", "name", "key"},
    EventKind.WITNESS_REMOVED: {"witness", "reason"},
}  # fmt: skip

AT = datetime(2025, 11, 13, 9, 30, tzinfo=UTC)


def decided() -> ReleaseDecided:
    return ReleaseDecided(
        request=7,
        outcome=Outcome.HELD,
        previous=None,
        undertaking="dea-ut-1",
        state_version=12,
        trigger="request",
        rules=(RuleCited(rule="3.order", cites="order:us-suspension"),),
    )


def test_every_event_kind_has_a_class() -> None:
    assert set(EVENTS) == set(EventKind)


def test_each_class_is_filed_under_its_own_kind() -> None:
    assert all(cls.entry_kind is kind for kind, cls in EVENTS.items())


@pytest.mark.parametrize("kind", list(EventKind), ids=str)
def test_each_kind_logs_the_keys_its_entries_have_always_held(kind: EventKind) -> None:
    assert {f.name for f in fields(EVENTS[kind])} == LOGGED_KEYS[kind]


def test_data_holds_every_field_by_name() -> None:
    event = decided()
    assert set(event.data()) == {f.name for f in fields(event)}


def test_a_release_marked_names_each_object_by_id_and_digest() -> None:
    marked = ReleaseMarked(
        request=7,
        partner="dea",
        trace="0" * 32,
        objects=(DeliveredObject(id="report--1", digest="ab" * 32),),
    )
    assert marked.data() == {
        "request": 7,
        "partner": "dea",
        "trace": "0" * 32,
        "objects": [{"id": "report--1", "digest": "ab" * 32}],
    }


def _item_added(
    *,
    embargo_until: datetime | None = None,
    expires_at: datetime | None = None,
    review: tuple[str, ...] | None = None,
) -> ItemAdded:
    return ItemAdded(
        item="lead",
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator="dipol",
        releasable_to=(),
        content_commitment="00",
        embargo_until=embargo_until,
        expires_at=expires_at,
        review=review,
    )


def test_an_optional_field_without_a_value_is_left_out_so_older_entries_read_the_same() -> None:
    assert "embargo_until" not in _item_added().data()
    assert "expires_at" not in _item_added().data()
    assert "review" not in _item_added().data()  # an item not held for review


def test_the_reasons_an_item_is_held_for_review_are_logged() -> None:
    logged = _item_added(review=("unknown marking",)).data()
    assert logged["review"] == ["unknown marking"]


def test_an_optional_field_with_a_value_is_logged() -> None:
    at = datetime(2025, 11, 20, tzinfo=UTC)
    assert _item_added(embargo_until=at).data()["embargo_until"] == "2025-11-20T00:00:00Z"


def test_an_enum_is_logged_as_its_plain_value() -> None:
    outcome = decided().data()["outcome"]
    assert outcome == "held"
    assert type(outcome) is str  # canonical's fast path takes plain str only


def test_nested_values_are_logged_as_json_objects_and_arrays() -> None:
    assert decided().data()["rules"] == [{"rule": "3.order", "cites": "order:us-suspension"}]


def test_a_time_is_logged_as_rfc3339_utc() -> None:
    statement = event_statement(
        kind="vessel-strike",
        region="caribbean",
        occurred_at=AT,
        source="navy",
        note="",
        agency_id="dipol",
    )
    event = EventRecorded(
        event=1,
        kind="vessel-strike",
        region="caribbean",
        occurred_at=AT,
        source="navy",
        agency="dipol",
        statement=statement,
        signature=None,
    )
    assert event.data()["occurred_at"] == "2025-11-13T09:30:00Z"
    assert statement["occurred_at"] == "2025-11-13T09:30:00Z"


def test_a_condition_rule_is_logged_as_its_terms() -> None:
    rule = ConditionRule(kind="vessel-strike", region="caribbean", min_events=2, window_days=7)
    event = ConditionDefined(condition="strikes", rule=rule, active=False, evidence="")
    assert event.data()["rule"] == {
        "kind": "vessel-strike",
        "region": "caribbean",
        "min_events": 2,
        "window_days": 7,
    }


def test_a_tuple_is_logged_as_the_array_a_list_was() -> None:
    event = ReleaseRecalled(
        request=2, partner="dea", delivered=True, objects=("report--1",), reason="error"
    )
    listed = {**event.data(), "objects": ["report--1"]}
    assert canonical(event.data()) == canonical(listed)


def test_a_value_json_cannot_hold_is_refused() -> None:
    @dataclass(frozen=True, kw_only=True)
    class Odd(AuditEvent):
        entry_kind = EventKind.SETTINGS_CHANGED
        value: object

    with pytest.raises(TypeError, match="cannot log a bytes"):
        Odd(value=b"raw").data()


def test_a_request_made_by_hand_logs_the_keys_it_always_had() -> None:
    event = ReleaseRequested(request=1, item="lead", recipient="dea", purpose="seizure")
    assert set(event.data()) == {"request", "item", "recipient", "purpose"}


def test_a_request_an_agreement_started_names_the_agreement() -> None:
    event = ReleaseRequested(
        request=1, item="lead", recipient="dea", purpose="seizure", agreement="dea-ag-1"
    )
    assert event.data()["agreement"] == "dea-ag-1"


def test_a_recall_without_a_deadline_is_logged_as_recalls_were_before_it() -> None:
    recalled = ReleaseRecalled(
        request=7, partner="nca", delivered=True, objects=("report--1",), reason="compromised"
    )
    assert "ack_by" not in recalled.data()
    at = datetime(2025, 11, 20, tzinfo=UTC)
    with_deadline = ReleaseRecalled(
        request=7,
        partner="nca",
        delivered=True,
        objects=("report--1",),
        reason="compromised",
        ack_by=at,
    )
    assert with_deadline.data()["ack_by"] == "2025-11-20T00:00:00Z"
