"""The kinds of audit entries: every state change is one of these, logged in its transaction."""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    AGENCY_REGISTERED = "agency.registered"
    AGENCY_KEY_SET = "agency.key-set"
    AUTHORITY_REGISTERED = "authority.registered"
    ITEM_ADDED = "item.added"
    UNDERTAKING_SIGNED = "undertaking.signed"
    UNDERTAKING_REVOKED = "undertaking.revoked"
    ORDER_ISSUED = "order.issued"
    ORDER_AMENDED = "order.amended"
    ORDER_LIFTED = "order.lifted"
    CONDITION_DEFINED = "condition.defined"
    CONDITION_CHANGED = "condition.changed"
    EVENT_RECORDED = "event.recorded"
    RELEASE_REQUESTED = "release.requested"
    RELEASE_DECIDED = "release.decided"
    RELEASE_REDECIDED = "release.redecided"
    RELEASE_WITHHELD = "release.withheld"
    RELEASE_AVAILABLE = "release.available"
    RELEASE_DELIVERED = "release.delivered"
    RELEASE_RECALLED = "release.recalled"
    SETTINGS_CHANGED = "settings.changed"
    OUTCOME_REPORTED = "outcome.reported"
    TOKEN_CREATED = "token.created"
    TOKEN_REVOKED = "token.revoked"
