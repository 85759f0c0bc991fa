"""Replaying the log: every entry checked against the state the entries before it built.

An inspector holds the log's public key and the entries; nothing else is trusted, least of all
the operator's database. For each entry, in order, the replayer asks what DESIGN.md's "Who may
do what" asks:

- **Signed?** Every statement an entry carries (undertaking, order, amendment, lift, hand-set
  condition, key change, outcome) verifies against the key the log had registered for its
  signer at that point, key rotations and recoveries included; a signer with a key must sign.
- **Entitled?** The actor may write that kind of entry: an order is amended or lifted by its
  issuer, the system authority's orders come only from the breach rule, a recall comes from the
  item's originator, a token carries a role its agency can hold.
- **Re-derived?** Every decision is decided again with ``policy.decide`` on the state at the
  version it cites, and must give the same outcome, undertaking and rules; every enforcement
  (withheld, available) and every outcome's breach verdict likewise; a derived condition's
  change must be what its events say.

The replayer then applies the entry to its ``Projection``. It names each disagreement with the
entry's index; the first is where an inspector starts reading.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from garante.canonical import canonical
from garante.domain.agreement import Agreement
from garante.domain.consent import STATEMENT_TYPE as CONSENT_STATEMENT
from garante.domain.consent import agreement_of_rule
from garante.domain.decision import Decision, Outcome
from garante.domain.errors import GaranteError
from garante.domain.events import (
    AgencyCertificateAdded,
    AgencyCertificateRemoved,
    AgencyKeySet,
    AgencyRegistered,
    AgreementAmended,
    AgreementEnded,
    AgreementMade,
    AgreementResumed,
    AgreementSuspended,
    AuditEvent,
    AuthorityKeySet,
    AuthorityPasskeyRegistered,
    AuthorityRegistered,
    AuthoritySuperiorSet,
    ConditionChanged,
    ConditionDefined,
    ConsentGranted,
    ConsentReceived,
    ConsentRefused,
    ConsentRequested,
    EventRecorded,
    ItemAdded,
    ItemIngested,
    ItemRevised,
    ItemRevoked,
    JsonObject,
    OrderAmended,
    OrderIssued,
    OrderLifted,
    OutcomeReported,
    RecallAcknowledged,
    ReleaseAcknowledged,
    ReleaseAvailable,
    ReleaseDecided,
    ReleaseDelivered,
    ReleaseMarked,
    ReleaseRecalled,
    ReleaseRedecided,
    ReleaseRequested,
    ReleaseWithheld,
    RuleCited,
    SettingsChanged,
    SourceAdded,
    SourcePaused,
    SourceRemoved,
    SourceResumed,
    TokenCreated,
    TokenRevoked,
    UndertakingRevoked,
    UndertakingSigned,
    UpstreamVersionSeen,
    WitnessAdded,
    WitnessRemoved,
)
from garante.domain.outcome import OutcomeReport
from garante.domain.parties import SYSTEM_AUTHORITY, authority_key_statement, key_statement
from garante.domain.passkeys import Assertion, RelyingParty, passkey_statement
from garante.domain.recalldeadline import HOLD_PREFIX as RECALL_HOLD
from garante.domain.request import ReleaseRequest
from garante.domain.roles import TOKEN_ROLES, Role
from garante.domain.timeutil import iso
from garante.ledger.errors import LedgerError
from garante.ledger.note import SIG_COSIGNATURE_V1, VerifierKey
from garante.passkeys import verify_assertion, verify_attestation
from garante.policy.compliance import judge
from garante.policy.decide import decide
from garante.replay.entries import (
    LoggedEntry,
    UnreadableEvent,
    instant,
    maybe_text,
    member,
    text,
    whole,
)
from garante.replay.projection import LoggedConsent, LoggedRequest, Projection
from garante.signatures import parse_public_key
from garante.upstream.consent import ConsentNotProven, verify_answer

_TOKEN_ROLES = frozenset(role.value for role in TOKEN_ROLES)


@dataclass(frozen=True, kw_only=True)
class Disagreement:
    """An entry the replay cannot vouch for, and why."""

    index: int
    kind: str
    message: str

    def __str__(self) -> str:
        return f"entry {self.index} ({self.kind}): {self.message}"


@dataclass(kw_only=True)
class ReplayReport:
    """What a replay checked, and where the log disagrees with itself."""

    entries: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    signatures_verified: int = 0
    decisions_rederived: int = 0
    acts_checked: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.disagreements

    @property
    def first(self) -> Disagreement | None:
        return self.disagreements[0] if self.disagreements else None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who wrote an entry: a token's role and subject (``authority:presidency``), or the
    operator under its own name (``demo``, ``cli``), who holds the store and may act for any
    role but must still carry the signatures an act needs."""

    role: Role
    subject: str | None

    @classmethod
    def of(cls, name: str) -> Actor:
        role, sep, subject = name.partition(":")
        if sep and role in _TOKEN_ROLES:
            return cls(Role(role), subject)
        return cls(Role.OPERATOR, None)


# Which token roles may write each kind of entry (the use cases' ``@entitled``). Entries that
# follow from another act (decisions, enforcement, derived conditions) are not listed: they are
# re-derived instead. The operator may write any kind.
_WRITERS: dict[str, frozenset[Role]] = {
    "agency.registered": frozenset({Role.LIAISON}),
    "agency.key-set": frozenset({Role.LIAISON}),
    "authority.registered": frozenset({Role.LIAISON}),
    "authority.key-set": frozenset({Role.LIAISON}),
    "authority.superior-set": frozenset(),
    "authority.passkey-registered": frozenset({Role.AUTHORITY}),
    "item.added": frozenset({Role.ANALYST}),
    "undertaking.signed": frozenset({Role.LIAISON, Role.PARTNER}),
    "undertaking.revoked": frozenset({Role.LIAISON}),
    "order.issued": frozenset({Role.AUTHORITY}),
    "order.amended": frozenset({Role.AUTHORITY}),
    "order.lifted": frozenset({Role.AUTHORITY}),
    "condition.defined": frozenset({Role.AUTHORITY}),
    "event.recorded": frozenset({Role.ANALYST, Role.AUTHORITY}),
    "release.requested": frozenset({Role.ANALYST}),
    "release.delivered": frozenset({Role.PARTNER}),
    "release.recalled": frozenset({Role.ANALYST}),
    "settings.changed": frozenset(),
    "outcome.reported": frozenset({Role.ANALYST, Role.PARTNER}),
    "token.created": frozenset(),
    "token.revoked": frozenset(),
    "agreement.made": frozenset({Role.LIAISON}),
    "agreement.amended": frozenset({Role.LIAISON}),
    "agreement.suspended": frozenset({Role.LIAISON}),
    "agreement.resumed": frozenset({Role.LIAISON}),
    "agreement.ended": frozenset({Role.LIAISON}),
    # An analyst of the originating agency manages its sources and pulls them.
    "source.added": frozenset({Role.ANALYST}),
    "source.paused": frozenset({Role.ANALYST}),
    "source.resumed": frozenset({Role.ANALYST}),
    "source.removed": frozenset({Role.ANALYST}),
    "item.ingested": frozenset({Role.ANALYST}),
    "source.version-seen": frozenset({Role.ANALYST}),
    "item.revised": frozenset({Role.ANALYST}),
    "item.revoked": frozenset({Role.ANALYST}),
    # Partners write back their own acknowledgements.
    "release.acknowledged": frozenset({Role.PARTNER}),
    "recall.acknowledged": frozenset({Role.PARTNER}),
    # A partner asks consent to share onward; a liaison answers it.
    "consent.requested": frozenset({Role.PARTNER}),
    "consent.granted": frozenset({Role.LIAISON}),
    "consent.refused": frozenset({Role.LIAISON}),
    # On a node, an analyst (who manages its sources) takes an upstream's answer.
    "consent.received": frozenset({Role.ANALYST}),
    # The operator, or a liaison (who keeps the registry), chooses the witnesses whose
    # cosignatures the log takes.
    "witness.added": frozenset({Role.LIAISON}),
    "witness.removed": frozenset({Role.LIAISON}),
}

# A request an agreement started is written by whoever added the item (an analyst), or, for
# a new agreement's backfill, by the liaison who made the agreement.
_STARTED_BY_AGREEMENT = frozenset({Role.ANALYST, Role.LIAISON})

# A consent an agreement grants in advance is granted in the transaction of the partner's
# request, so its entry is written by that partner.
_GRANTED_BY_RULE = frozenset({Role.PARTNER})


class Replayer:
    """Feed it the entries in order; read ``report`` and ``state`` at the end."""

    def __init__(self) -> None:
        self.state = Projection()
        self.report = ReplayReport()
        self._keys: dict[bytes, Ed25519PublicKey] = {}
        # The breach an outcome entry just reported: the system authority's entry and its
        # automatic hold may follow it, in the same transaction, and nothing else may.
        self._breach: tuple[str, int] | None = None

    def replay(self, entries: Iterable[LoggedEntry]) -> ReplayReport:
        for entry in entries:
            self.feed(entry)
        return self.report

    def feed(self, entry: LoggedEntry) -> None:
        report = self.report
        if entry.index != self.state.size:
            self._disagree(entry, f"comes where entry {self.state.size} was expected")
        report.entries += 1
        report.kinds[entry.kind] += 1
        event = entry.event
        if event is None and entry.unreadable is None:
            self._disagree(entry, "is of a kind this replay does not know")
        else:
            writers = _WRITERS.get(entry.kind)
            if isinstance(event, ReleaseRequested) and event.agreement is not None:
                writers = _STARTED_BY_AGREEMENT
            if isinstance(event, ConsentGranted) and event.rule is not None:
                writers = _GRANTED_BY_RULE
            if writers is not None:
                self._entitled(entry, writers)
            if event is None:
                self._disagree(entry, f"cannot be read: {entry.unreadable}")
            else:
                try:
                    _CHECKS[type(event)](self, entry, event)
                except UnreadableEvent as exc:
                    self._disagree(entry, f"cannot be read: {exc}")
                except (KeyError, TypeError, ValueError, GaranteError) as exc:
                    self._disagree(entry, f"cannot be read: {type(exc).__name__}: {exc}")
        if entry.kind not in ("outcome.reported", "authority.registered"):
            self._breach = None
        try:
            self.state.apply(entry)
        except UnreadableEvent as exc:
            self._disagree(entry, f"cannot be applied: {exc}")
        except (KeyError, TypeError, ValueError, GaranteError) as exc:
            self._disagree(entry, f"cannot be applied: {type(exc).__name__}: {exc}")
        if isinstance(event, ItemRevised):
            _revision_kept(self, entry, event)

    def skip(self, index: int, message: str) -> None:
        """An entry whose bytes cannot be read: named, and passed over."""
        self.report.entries += 1
        self.report.disagreements.append(Disagreement(index=index, kind="?", message=message))
        self.state.size = index + 1

    # -- helpers ---------------------------------------------------------------------------

    def _disagree(self, entry: LoggedEntry, message: str) -> None:
        self.report.disagreements.append(
            Disagreement(index=entry.index, kind=entry.kind, message=message)
        )

    def _entitled(self, entry: LoggedEntry, writers: frozenset[Role]) -> None:
        self.report.acts_checked += 1
        actor = Actor.of(entry.actor)
        if actor.role is not Role.OPERATOR and actor.role not in writers:
            if self._breach is not None and entry.kind in ("authority.registered", "order.issued"):
                return  # the breach rule's own acts, in the transaction of whoever reported
            allowed = ", ".join(sorted(writers)) or "the operator"
            self._disagree(entry, f"was written by {entry.actor}, but only {allowed} may write it")

    def _acts_as(self, entry: LoggedEntry, role: Role, subject: str, what: str) -> None:
        """An actor of ``role`` must be ``subject`` itself (``authority:presidency``)."""
        actor = Actor.of(entry.actor)
        if actor.role is role and actor.subject != subject:
            self._disagree(entry, f"{entry.actor} acted for {subject}, {what}")

    def _signed(
        self,
        entry: LoggedEntry,
        *,
        signer: str,
        key: bytes | None,
        statement: JsonObject,
        signature: str | None,
        assertion: Assertion | None = None,
    ) -> None:
        """``signature`` verifies over ``statement`` with ``key``, or ``assertion`` with one of
        the signer's passkeys then; a signer with a key must sign, and one without cannot have
        signed anything checkable."""
        if assertion is not None:
            self._passkey_signed(entry, signer, statement, signature, assertion)
            return
        if key is None:
            if signature is not None:
                self._disagree(entry, f"carries a signature, but {signer} had no key then")
            return
        if signature is None:
            self._disagree(entry, f"is unsigned, but {signer} had a registered key then")
            return
        public = self._keys.get(key)
        if public is None:
            public = self._keys[key] = Ed25519PublicKey.from_public_bytes(key)
        try:
            public.verify(base64.b64decode(signature, validate=True), canonical(statement))
        except (InvalidSignature, ValueError):
            self._disagree(entry, f"its signature does not verify with {signer}'s key then")
            return
        self.report.signatures_verified += 1

    def _authority_signed(
        self,
        entry: LoggedEntry,
        *,
        signer: str,
        statement: JsonObject,
        signature: str | None,
        assertion: Assertion | None = None,
    ) -> None:
        """``_signed`` for an authority: by its Ed25519 key or one of its passkeys then; one
        with a passkey and no Ed25519 key must sign too."""
        key = self._authority_key(signer)
        unsigned = signature is None and assertion is None
        if (
            key is None
            and unsigned
            and any(p.authority == signer for p in self.state.passkeys.values())
        ):
            self._disagree(entry, f"is unsigned, but {signer} had a passkey then")
            return
        self._signed(
            entry,
            signer=signer,
            key=key,
            statement=statement,
            signature=signature,
            assertion=assertion,
        )

    def _passkey_signed(
        self,
        entry: LoggedEntry,
        signer: str,
        statement: JsonObject,
        signature: str | None,
        assertion: Assertion,
    ) -> None:
        """The assertion is by a passkey ``signer`` had then, over the statement's hash, with
        a counter above the one before (``passkeys.verify_assertion``, as the service ran it)."""
        if signature is not None:
            self._disagree(entry, "carries both a signature and a passkey assertion")
            return
        passkey = self.state.passkeys.get(assertion.credential_id)
        if passkey is None or passkey.authority != signer:
            self._disagree(
                entry,
                f"is signed with credential {assertion.credential_id}, which was no passkey of "
                f"{signer} then",
            )
            return
        try:
            verify_assertion(assertion, signer=signer, passkey=passkey, statement=statement)
        except GaranteError as exc:
            self._disagree(entry, f"its passkey assertion does not verify: {exc}")
            return
        self.report.signatures_verified += 1

    def _authority_key(self, authority: str) -> bytes | None:
        found = self.state.authorities.get(authority)
        return None if found is None else found.public_key

    def _decided(self, entry: LoggedEntry, request_id: int, version: int) -> Decision | None:
        """Decide the request again on the state at ``version``; None if it cannot be."""
        state = self.state
        request = state.requests.get(request_id)
        if request is None:
            self._disagree(entry, f"decides request {request_id}, which was never requested")
            return None
        if not state.policy_version <= version <= entry.index:
            self._disagree(
                entry,
                f"cites state version {version}, but the state it was decided on is that of "
                f"version {state.policy_version} (entry {entry.index})",
            )
            return None
        self.report.decisions_rederived += 1
        try:
            return decide(
                ReleaseRequest(
                    id=request.id,
                    item_id=request.item,
                    recipient_id=request.recipient,
                    purpose=request.purpose,
                    requested_by="",
                    requested_at=entry.at,
                ),
                state.policy_state(entry.at, version),
            )
        except GaranteError as exc:
            self._disagree(entry, f"decides a request the log cannot decide: {exc}")
            return None

    def _same_rules(
        self, entry: LoggedEntry, decision: Decision, logged: tuple[RuleCited, ...]
    ) -> None:
        derived = [(str(hit.rule), hit.cites) for hit in decision.rules]
        stated = [(r.rule, r.cites) for r in logged]
        if derived != stated:
            self._disagree(
                entry,
                "cites rules "
                + _rules_text(stated)
                + ", but deciding again cites "
                + _rules_text(derived),
            )


def _rules_text(rules: list[tuple[str, str]]) -> str:
    return "[" + ", ".join(f"{rule} {cites}" for rule, cites in rules) + "]"


# -- the checks, one per kind --------------------------------------------------------------

_Check = Callable[[Replayer, LoggedEntry, Any], None]
_CHECKS: dict[type[AuditEvent], _Check] = {}
E = TypeVar("E", bound=AuditEvent)


def _check(event: type[E], check: Callable[[Replayer, LoggedEntry, E], None]) -> None:
    """``check`` is what an entry of ``event``'s kind must pass."""
    _CHECKS[event] = check


def _agency_registered(r: Replayer, e: LoggedEntry, d: AgencyRegistered) -> None:
    if d.agency in r.state.agencies:
        r._disagree(e, f"registers agency {d.agency} again")


def _agency_key_set(r: Replayer, e: LoggedEntry, d: AgencyKeySet) -> None:
    agency = r.state.agencies.get(d.agency)
    if agency is None:
        r._disagree(e, f"sets the key of {d.agency}, which is not registered")
        return
    expected = key_statement(
        agency.id, d.public_key, _encoded(agency.public_key), recovered_by=d.recovered_by
    )
    _key_proof(r, e, d, subject=agency.id, current=agency.public_key, expected=expected)


def _authority_key_set(r: Replayer, e: LoggedEntry, d: AuthorityKeySet) -> None:
    authority = r.state.authorities.get(d.authority)
    if authority is None or authority.id == SYSTEM_AUTHORITY:
        r._disagree(e, f"sets the key of {d.authority}, which may hold none")
        return
    if d.recovered_by == authority.id:
        r._disagree(e, f"is a recovery {authority.id} could not sign for itself")
        return
    passkey = any(p.authority == authority.id for p in r.state.passkeys.values())
    if authority.public_key is None and passkey and d.recovered_by is None:
        r._disagree(e, f"sets a key of {authority.id}, which had a passkey, without a recovery")
        return
    expected = authority_key_statement(
        authority.id, d.public_key, _encoded(authority.public_key), recovered_by=d.recovered_by
    )
    _key_proof(r, e, d, subject=authority.id, current=authority.public_key, expected=expected)


def _encoded(key: bytes | None) -> str | None:
    return base64.b64encode(key).decode() if key else None


def _key_proof(
    r: Replayer,
    e: LoggedEntry,
    d: AgencyKeySet | AuthorityKeySet,
    *,
    subject: str,
    current: bytes | None,
    expected: JsonObject,
) -> None:
    """A key changes on the statement the service asks for (``domain/parties.py``), signed by
    the key it replaces, or for a recovery by the authority it names; a first key needs none."""
    statement = d.statement
    if statement != expected:
        r._disagree(e, f"its statement is not the one a change of {subject}'s key states")
        return
    recovered_by = d.recovered_by
    if recovered_by is None:
        if current is not None:
            r._signed(e, signer=subject, key=current, statement=statement, signature=d.signature)
        return
    key = r._authority_key(recovered_by)
    if key is None:
        r._disagree(e, f"is a recovery by {recovered_by}, which had no key to sign it with")
        return
    r._signed(e, signer=recovered_by, key=key, statement=statement, signature=d.signature)


def _authority_superior_set(r: Replayer, e: LoggedEntry, d: AuthoritySuperiorSet) -> None:
    named = [d.authority, *d.over]
    unknown = [a for a in named if a not in r.state.authorities]
    if unknown:
        r._disagree(e, f"names {', '.join(unknown)}, which are not registered authorities")
    if SYSTEM_AUTHORITY in named or d.authority in d.over:
        r._disagree(e, f"puts {SYSTEM_AUTHORITY} or an authority over itself in a superior role")


def _authority_registered(r: Replayer, e: LoggedEntry, d: AuthorityRegistered) -> None:
    if d.authority in r.state.authorities:
        r._disagree(e, f"registers authority {d.authority} again")
    if (
        d.authority == SYSTEM_AUTHORITY
        and r._breach is None
        and not r.state.any_overdue_recall(e.at)
    ):
        r._disagree(
            e,
            f"registers the reserved authority {SYSTEM_AUTHORITY} outside a breach "
            "or an overdue recall",
        )


def _item_added(r: Replayer, e: LoggedEntry, d: ItemAdded) -> None:
    if d.item in r.state.items:
        r._disagree(e, f"adds item {d.item} again")
    if d.originator not in r.state.agencies:
        r._disagree(e, f"names originator {d.originator}, which is not registered")


def _undertaking_signed(r: Replayer, e: LoggedEntry, d: UndertakingSigned) -> None:
    statement = d.statement
    agency_id = text(statement, "agency")
    agency = r.state.agencies.get(agency_id)
    if agency is None:
        r._disagree(e, f"is an undertaking of {agency_id}, which is not registered")
        return
    if statement.get("type") != "garante.undertaking/v1" or statement.get("id") != d.undertaking:
        r._disagree(e, "its statement is not this undertaking's")
    r._acts_as(e, Role.PARTNER, agency.id, "but a partner gives only its own undertakings")
    r._signed(
        e, signer=agency.id, key=agency.public_key, statement=statement, signature=d.signature
    )


def _undertaking_revoked(r: Replayer, e: LoggedEntry, d: UndertakingRevoked) -> None:
    if d.undertaking not in r.state.undertakings:
        r._disagree(e, f"revokes undertaking {d.undertaking}, which was never signed")


def _order_issued(r: Replayer, e: LoggedEntry, d: OrderIssued) -> None:
    statement = d.statement
    order_id, authority = text(statement, "id"), text(statement, "authority")
    if order_id in r.state.orders:
        r._disagree(e, f"issues order {order_id} again")
    if whole(statement, "version") != 1:
        r._disagree(e, "an order's first statement must be its version 1")
    if authority not in r.state.authorities:
        r._disagree(e, f"is issued by {authority}, which is not a registered authority")
        return
    if authority == SYSTEM_AUTHORITY:
        _breach_hold(r, e, statement)
        return
    r._acts_as(e, Role.AUTHORITY, authority, "but an authority issues only its own orders")
    r._authority_signed(
        e, signer=authority, statement=statement, signature=d.signature, assertion=d.assertion
    )


def _breach_hold(r: Replayer, e: LoggedEntry, statement: JsonObject) -> None:
    """The system authority's orders: the hold the breach just reported brings, or the hold
    a recall past its acknowledgement deadline brings."""
    if r._breach is None and text(statement, "id").startswith(RECALL_HOLD):
        _recall_hold(r, e, statement)
        return
    if r._breach is None:
        r._disagree(e, f"is an order of {SYSTEM_AUTHORITY} that no breach brought")
        return
    agency, outcome = r._breach
    if (
        statement.get("id") != f"breach-{agency}-{outcome}"
        or statement.get("effect") != "hold"
        or member(statement, "scope").get("agencies") != [agency]
        or statement.get("while_condition") is not None
        or statement.get("valid_until") is not None
    ):
        r._disagree(e, f"is not the hold of {agency} that outcome {outcome}'s breach brings")


def _recall_hold(r: Replayer, e: LoggedEntry, statement: JsonObject) -> None:
    """A hold ``recall-<partner>-<release>`` is entitled only if, at its time, that release's
    recall was past its acknowledgement deadline and not acknowledged (issue 21)."""
    order_id = text(statement, "id")
    partner, _, number = order_id.removeprefix(RECALL_HOLD).rpartition("-")
    request = r.state.overdue_recall(int(number), e.at) if number.isdigit() else None
    if request is None or request.recipient != partner:
        r._disagree(
            e,
            f"is an order of {SYSTEM_AUTHORITY} for a recall that was not past its "
            "acknowledgement deadline unacknowledged then",
        )
        return
    if (
        statement.get("effect") != "hold"
        or member(statement, "scope").get("agencies") != [partner]
        or statement.get("while_condition") is not None
        or statement.get("valid_until") is not None
    ):
        r._disagree(e, f"is not the hold of {partner} that the overdue recall brings")


def _answering(
    r: Replayer,
    e: LoggedEntry,
    d: OrderAmended | OrderLifted,
    order_id: str,
    by: str | None,
    act: str,
) -> None:
    """An order changes only at the word of its issuer or of an authority configured as
    superior to it at that point; the system's holds are lifted by any authority and never
    amended. The entry says in which right (``acting_as``), and it must be that one."""
    current = r.state.orders.get(order_id)
    if current is None:
        r._disagree(e, f"{act} order {order_id}, which was never issued")
        return
    order = current.order
    if order.lifted_at is not None:
        r._disagree(e, f"{act} order {order_id}, which was already lifted")
    if by is None or by not in r.state.authorities:
        r._disagree(e, f"{act} order {order_id} for {by}, which is not a registered authority")
        return
    system = order.authority_id == SYSTEM_AUTHORITY
    right: str | None = None
    if system:
        right = None if act == "amends" else "any-authority"
    elif by == order.authority_id:
        right = "issuer"
    elif by in r.state.superiors_of(order.authority_id):
        right = "superior"
    if right is None:
        if system:
            r._disagree(e, f"amends {SYSTEM_AUTHORITY}'s order {order_id}, which no one amends")
        else:
            superiors = sorted(r.state.superiors_of(order.authority_id))
            also = f" (or {', '.join(superiors)})" if superiors else ""
            r._disagree(
                e,
                f"{act} order {order_id} for {by}, but it answers to {order.authority_id}{also}",
            )
    elif d.acting_as is not None and d.acting_as != right:
        r._disagree(e, f"says {by} acted as {d.acting_as}, but it could act as {right}")
    r._acts_as(e, Role.AUTHORITY, by, "but an authority acts only for itself")


def _order_amended(r: Replayer, e: LoggedEntry, d: OrderAmended) -> None:
    statement = d.statement
    order_id, by = text(statement, "id"), maybe_text(statement, "amended_by")
    _answering(r, e, d, order_id, by, "amends")
    current = r.state.orders.get(order_id)
    if current is not None:
        version = whole(statement, "version")
        if version != current.order.version + 1:
            r._disagree(e, f"states version {version} after {current.order.version}")
        if statement.get("authority") != current.order.authority_id:
            r._disagree(e, "changes the authority an order answers to")
    if by is not None:
        r._authority_signed(
            e, signer=by, statement=statement, signature=d.signature, assertion=d.assertion
        )


def _order_lifted(r: Replayer, e: LoggedEntry, d: OrderLifted) -> None:
    statement = d.statement
    order_id, by = text(statement, "id"), maybe_text(statement, "lifted_by")
    _answering(r, e, d, order_id, by, "lifts")
    current = r.state.orders.get(order_id)
    if current is not None:
        version = whole(statement, "version")
        if version != current.order.version + 1:
            r._disagree(e, f"states version {version} after {current.order.version}")
    if by is not None:
        r._authority_signed(
            e, signer=by, statement=statement, signature=d.signature, assertion=d.assertion
        )


def _condition_defined(r: Replayer, e: LoggedEntry, d: ConditionDefined) -> None:
    if d.condition in r.state.conditions:
        r._disagree(e, f"defines condition {d.condition} again")


def _condition_changed(r: Replayer, e: LoggedEntry, d: ConditionChanged) -> None:
    condition = r.state.conditions.get(d.condition)
    if condition is None:
        r._disagree(e, f"changes condition {d.condition}, which was never defined")
        return
    statement = d.statement
    changed = r.state.recorded_active.get(condition.id) != d.active
    if changed and d.orders is not None:
        _moved_orders(r, e, condition.id, d.orders)
    if condition.rule is not None:
        if statement is not None:
            r._disagree(e, "sets by hand a condition derived from events")
        derived = r.state.conditions_at(e.at)[condition.id]
        if derived != d.active:
            r._disagree(
                e,
                f"records {condition.id} as {'active' if d.active else 'inactive'}, but "
                f"its events make it {'active' if derived else 'inactive'}",
            )
        if changed and d.events is not None:
            rule = condition.rule
            counted = sorted(i for i, event in r.state.events.items() if rule.counts(event, e.at))
            if sorted(d.events) != counted:
                r._disagree(
                    e,
                    f"names events {sorted(d.events)} as its proof, but its rule counts "
                    f"{counted} then",
                )
        return
    if statement is None:
        r._disagree(e, f"sets {condition.id} by hand without an authority's statement")
        return
    r._entitled(e, frozenset({Role.AUTHORITY}))
    authority = maybe_text(statement, "authority")
    if (
        statement.get("type") != "garante.condition/v1"
        or statement.get("condition") != condition.id
        or statement.get("active") != d.active
        or statement.get("evidence") != d.evidence
        or authority is None
        or authority not in r.state.authorities
    ):
        r._disagree(e, "its statement is not this change by a registered authority")
        return
    r._acts_as(e, Role.AUTHORITY, authority, "but an authority acts only for itself")
    r._authority_signed(e, signer=authority, statement=statement, signature=d.signature)


def _moved_orders(r: Replayer, e: LoggedEntry, condition: str, named: tuple[str, ...]) -> None:
    """A condition's change names the orders in force ``while`` it holds that it moves."""
    moved = sorted(
        o.order.id
        for o in r.state.orders.values()
        if o.order.while_condition == condition and o.order.in_window(e.at)
    )
    if sorted(named) != moved:
        r._disagree(e, f"names orders {sorted(named)} as moved, but {moved} follow {condition}")


def _event_recorded(r: Replayer, e: LoggedEntry, d: EventRecorded) -> None:
    if d.event in r.state.events:
        r._disagree(e, f"records event {d.event} again")
    reporter = d.agency
    if reporter is None:
        return  # logged before events named their reporting agency
    agency = r.state.agencies.get(reporter)
    if agency is None:
        r._disagree(e, f"is reported by {reporter}, which is not registered")
        return
    statement = d.statement
    if (
        statement is None
        or statement.get("type") != "garante.event/v1"
        or statement.get("agency") != reporter
        or statement.get("kind") != d.kind
        or statement.get("region") != d.region
        or statement.get("occurred_at") != iso(d.occurred_at)
        or statement.get("source") != d.source
    ):
        r._disagree(e, "its statement is not this event as its agency reported it")
        return
    r._acts_as(e, Role.ANALYST, reporter, "but an analyst reports for its own agency only")
    r._signed(e, signer=reporter, key=agency.public_key, statement=statement, signature=d.signature)


def _release_requested(r: Replayer, e: LoggedEntry, d: ReleaseRequested) -> None:
    state = r.state
    if d.request in state.requests:
        r._disagree(e, f"requests release {d.request} again")
    if d.item not in state.items:
        r._disagree(e, f"requests item {d.item}, which was never added")
    if d.recipient not in state.agencies:
        r._disagree(e, f"requests release to {d.recipient}, which is not registered")
    if d.agreement is not None:
        _started_by(r, e, d, d.agreement)


# -- standing agreements -------------------------------------------------------------------


def _started_by(r: Replayer, e: LoggedEntry, d: ReleaseRequested, agreement_id: str) -> None:
    """An agreement starts a request only for what it covered at that moment: in force, its
    partner, one of its purposes, an item its scope matches, and not asked for before."""
    state = r.state
    agreement = state.agreements.get(agreement_id)
    if agreement is None:
        r._disagree(e, f"was started by agreement {agreement_id}, which was never made")
        return
    said = f"was started by agreement {agreement_id}, but"
    if not agreement.in_force(e.at):
        r._disagree(e, f"{said} it was {agreement.status(e.at)} then")
    if d.recipient != agreement.partner:
        r._disagree(e, f"{said} it is {agreement.partner}'s, not {d.recipient}'s")
    if d.purpose not in agreement.purposes:
        purposes = ", ".join(sorted(agreement.purposes))
        r._disagree(e, f"{said} its purposes are {purposes}, not {d.purpose}")
    item = state.items.get(d.item)
    if item is not None and not agreement.scope.matches(item):
        r._disagree(
            e,
            f"{said} its scope does not cover item {item.id} ({item.category}, {item.region}, "
            f"TLP {item.tlp}, from {item.originator})",
        )
    if (d.item, d.recipient, d.purpose) in state.requested:
        r._disagree(e, f"{said} {d.item} was already requested for {d.recipient} and {d.purpose}")


def _agreement_terms(r: Replayer, e: LoggedEntry, d: AgreementMade | AgreementAmended) -> None:
    """Terms name a registered partner and are this agreement's; a countersignature, given,
    verifies with the partner's key at that point."""
    statement = d.statement
    if (
        statement.get("type") != "garante.agreement/v1"
        or statement.get("id") != d.agreement
        or statement.get("partner") != d.partner
    ):
        r._disagree(e, "its statement is not this agreement's")
    partner = r.state.agencies.get(d.partner)
    if partner is None:
        r._disagree(e, f"is an agreement with {d.partner}, which is not registered")
        return
    if d.signature is not None:
        r._signed(
            e, signer=partner.id, key=partner.public_key, statement=statement, signature=d.signature
        )


def _agreement_made(r: Replayer, e: LoggedEntry, d: AgreementMade) -> None:
    if d.agreement in r.state.agreements:
        r._disagree(e, f"makes agreement {d.agreement} again")
    if whole(d.statement, "version") != 1:
        r._disagree(e, "an agreement's first statement must be its version 1")
    _agreement_terms(r, e, d)


def _changeable(r: Replayer, e: LoggedEntry, agreement_id: str, act: str) -> Agreement | None:
    """The agreement an entry ``act``s on, if it was made and not ended; else named."""
    current = r.state.agreements.get(agreement_id)
    if current is None:
        r._disagree(e, f"{act} agreement {agreement_id}, which was never made")
        return None
    if current.ended_at is not None:
        r._disagree(e, f"{act} agreement {agreement_id}, which was already ended")
    return current


def _agreement_amended(r: Replayer, e: LoggedEntry, d: AgreementAmended) -> None:
    current = _changeable(r, e, d.agreement, "amends")
    if current is not None:
        version = whole(d.statement, "version")
        if version != current.version + 1:
            r._disagree(e, f"states version {version} after {current.version}")
        if d.partner != current.partner:
            r._disagree(e, f"moves agreement {current.id} from {current.partner} to {d.partner}")
    _agreement_terms(r, e, d)


def _agreement_suspended(r: Replayer, e: LoggedEntry, d: AgreementSuspended) -> None:
    current = _changeable(r, e, d.agreement, "suspends")
    if current is not None and current.suspended_at is not None:
        r._disagree(e, f"suspends agreement {current.id}, which was already suspended")


def _agreement_resumed(r: Replayer, e: LoggedEntry, d: AgreementResumed) -> None:
    current = _changeable(r, e, d.agreement, "resumes")
    if current is not None and current.suspended_at is None:
        r._disagree(e, f"resumes agreement {current.id}, which was not suspended")


def _agreement_ended(r: Replayer, e: LoggedEntry, d: AgreementEnded) -> None:
    _changeable(r, e, d.agreement, "ends")


# -- sources -------------------------------------------------------------------------------


def _source_added(r: Replayer, e: LoggedEntry, d: SourceAdded) -> None:
    if d.source in r.state.sources:
        r._disagree(e, f"adds source {d.source} again")
    if d.originator not in r.state.agencies:
        r._disagree(e, f"names originator {d.originator}, which is not registered")
    r._acts_as(e, Role.ANALYST, d.originator, "not for its own agency")
    if (d.auth == "none") != (d.credentials is None):
        r._disagree(e, f"has auth {d.auth} but {'no' if d.credentials is None else 'a'} commitment")
    _acknowledging(r, e, d)


def _acknowledging(r: Replayer, e: LoggedEntry, d: SourceAdded) -> None:
    """Only a Garante upstream is acknowledged; one that is names the public key it signs with,
    and one that is not names none. An entry written before these fields has neither."""
    if d.acknowledges is None:
        if d.ack_key is not None:
            r._disagree(
                e, f"names source {d.source}'s acknowledgement key but not that it acknowledges"
            )
        return
    if d.kind != "garante":
        r._disagree(
            e, f"says whether {d.kind} source {d.source} acknowledges: only a garante one does"
        )
    if d.acknowledges != (d.ack_key is not None):
        r._disagree(
            e,
            f"says source {d.source} {'acknowledges' if d.acknowledges else 'does not acknowledge'}"
            f" but names {'no' if d.ack_key is None else 'a'} acknowledgement key",
        )
    elif d.ack_key is not None:
        try:
            parse_public_key(d.ack_key, field="ack_key")
        except GaranteError as exc:
            r._disagree(
                e, f"names an acknowledgement key for source {d.source} that is none: {exc.message}"
            )


def _source_of(r: Replayer, e: LoggedEntry, source_id: str, act: str) -> str | None:
    """The source an entry ``act``s on, if it was added and not removed; else named."""
    found = r.state.sources.get(source_id)
    if found is None:
        r._disagree(e, f"{act} source {source_id}, which was never added")
        return None
    if found.removed:
        r._disagree(e, f"{act} source {source_id}, which was removed")
    r._acts_as(e, Role.ANALYST, found.originator, "not for its own agency")
    return found.id


def _source_paused(r: Replayer, e: LoggedEntry, d: SourcePaused) -> None:
    if _source_of(r, e, d.source, "pauses") and r.state.sources[d.source].paused:
        r._disagree(e, f"pauses source {d.source}, which was already paused")


def _source_resumed(r: Replayer, e: LoggedEntry, d: SourceResumed) -> None:
    if _source_of(r, e, d.source, "resumes") and not r.state.sources[d.source].paused:
        r._disagree(e, f"resumes source {d.source}, which was not paused")


def _source_removed(r: Replayer, e: LoggedEntry, d: SourceRemoved) -> None:
    _source_of(r, e, d.source, "removes")


def _item_ingested(r: Replayer, e: LoggedEntry, d: ItemIngested) -> None:
    """The item was added in this transaction from this source, with this very content; and
    no earlier entry took the same upstream version or made an item of the same upstream id."""
    source = _source_of(r, e, d.source, "ingests from")
    key = (d.source, d.upstream_id, d.upstream_version)
    if key in r.state.ingests:
        r._disagree(e, f"ingests {d.upstream_id} version {d.upstream_version} again")
    if (d.source, d.upstream_id) in r.state.upstream_items:
        r._disagree(e, f"makes a second item of upstream {d.upstream_id}")
    item = r.state.items.get(d.item)
    if item is None:
        r._disagree(e, f"names item {d.item}, which was never added")
        return
    if r.state.commitments.get(d.item) != d.content_commitment:
        r._disagree(e, f"commits to content other than item {d.item}'s")
    if source is not None and item.originator != r.state.sources[source].originator:
        r._disagree(e, f"item {d.item} is not from the source's originator")
    if r.state.ingest_of_item(d.item) is not None:
        r._disagree(e, f"item {d.item} was already ingested")


def _version_seen(r: Replayer, e: LoggedEntry, d: UpstreamVersionSeen) -> None:
    _source_of(r, e, d.source, "records a version from")
    key = (d.source, d.upstream_id, d.upstream_version)
    if key in r.state.ingests:
        r._disagree(e, f"records {d.upstream_id} version {d.upstream_version} again")
    first = r.state.ingest_of_item(d.item)
    if first is None or (first.source, first.upstream_id) != (d.source, d.upstream_id):
        r._disagree(e, f"item {d.item} was not made from {d.source}'s {d.upstream_id}")


# -- item versions and upstream revocations --------------------------------------------------


def _made_from(r: Replayer, e: LoggedEntry, d: ItemRevised | ItemRevoked, act: str) -> None:
    """A revision or revocation takes a new upstream version of what made the item, of an item
    its upstream has not revoked."""
    _source_of(r, e, d.source, act)
    if (d.source, d.upstream_id, d.upstream_version) in r.state.ingests:
        r._disagree(e, f"takes {d.upstream_id} version {d.upstream_version} again")
    first = r.state.ingest_of_item(d.item)
    if first is None or (first.source, first.upstream_id) != (d.source, d.upstream_id):
        r._disagree(e, f"item {d.item} was not made from {d.source}'s {d.upstream_id}")
    item = r.state.items.get(d.item)
    if item is not None and item.revoked is not None:
        r._disagree(e, f"item {d.item} was revoked before")


def _item_revised(r: Replayer, e: LoggedEntry, d: ItemRevised) -> None:
    _made_from(r, e, d, "revises an item from")
    expected = r.state.item_versions.get(d.item, 1) + 1
    if d.version != expected:
        r._disagree(e, f"makes version {d.version} of item {d.item}, not version {expected}")
    for request_id in d.kept:
        request = r.state.requests.get(request_id)
        if request is None or request.item != d.item or request.recalled:
            r._disagree(e, f"keeps request {request_id}, which is no standing release of it")


def _revision_kept(r: Replayer, e: LoggedEntry, d: ItemRevised) -> None:
    """Each release the revision kept is released at the new version (the state this entry
    made), as the server decided it."""
    state = r.state
    for request_id in d.kept:
        request = state.requests.get(request_id)
        if request is None:
            continue
        r.report.decisions_rederived += 1
        try:
            decision = decide(
                ReleaseRequest(
                    id=request.id,
                    item_id=request.item,
                    recipient_id=request.recipient,
                    purpose=request.purpose,
                    requested_by="",
                    requested_at=e.at,
                ),
                state.policy_state(e.at, state.policy_version),
            )
        except GaranteError as exc:
            r._disagree(e, f"keeps a request the log cannot decide: {exc}")
            continue
        if decision.outcome != Outcome.RELEASED:
            r._disagree(
                e,
                f"keeps request {request_id}, but deciding it at version {d.version} gives "
                f"{decision.outcome}: {decision.explanation}",
            )


def _item_revoked(r: Replayer, e: LoggedEntry, d: ItemRevoked) -> None:
    _made_from(r, e, d, "revokes an item from")


def _release_decided(r: Replayer, e: LoggedEntry, d: ReleaseDecided | ReleaseRedecided) -> None:
    request = r.state.requests.get(d.request)
    if request is not None:
        first = isinstance(d, ReleaseDecided)
        if first and request.decisions:
            r._disagree(e, f"decides request {request.id} a first time again")
        if not first and request.outcome != Outcome.HELD:
            r._disagree(e, f"decides request {request.id} again, but it was not held")
        if d.previous != request.outcome:
            r._disagree(e, f"says request {request.id} was {d.previous}, not {request.outcome}")
    decision = r._decided(e, d.request, d.state_version)
    if decision is None:
        return
    if decision.outcome != d.outcome or decision.undertaking_id != d.undertaking:
        under = f" under {decision.undertaking_id}" if decision.undertaking_id else ""
        r._disagree(
            e,
            f"records {d.outcome} for request {d.request}, but deciding it again at "
            f"state version {d.state_version} gives {decision.outcome}{under}: "
            f"{decision.explanation}",
        )
        return
    r._same_rules(e, decision, d.rules)


def _released(r: Replayer, e: LoggedEntry, request_id: int, act: str) -> LoggedRequest | None:
    """The request an entry ``act``s on, if the log released it; else named, and None."""
    request = r.state.requests.get(request_id)
    if request is None or request.outcome != Outcome.RELEASED:
        r._disagree(e, f"{act} request {request_id}, which was not released")
        return None
    return request


def _release_enforced(r: Replayer, e: LoggedEntry, d: ReleaseWithheld | ReleaseAvailable) -> None:
    request = _released(r, e, d.request, "enforces")
    if request is None:
        return
    if request.recipient != d.partner:
        r._disagree(e, f"names {d.partner}, but request {request.id} is {request.recipient}'s")
    decision = r._decided(e, request.id, e.index)
    if decision is None:
        return
    withheld = isinstance(d, ReleaseWithheld)
    if (decision.outcome != Outcome.RELEASED) != withheld:
        r._disagree(
            e,
            f"{'withholds' if withheld else 'makes available'} request {request.id}, but "
            f"deciding it now gives {decision.outcome}: {decision.explanation}",
        )
        return
    r._same_rules(e, decision, d.rules)


def _release_marked(r: Replayer, e: LoggedEntry, d: ReleaseMarked) -> None:
    request = _released(r, e, d.request, "marks")
    if request is None:
        return
    if request.recipient != d.partner:
        r._disagree(e, f"puts request {request.id} in {d.partner}'s feed, not its recipient's")
    # A release is marked again, with its own trace, when its item takes a new version
    # (``item.revised``): the entry then names the objects of that version.
    if request.trace is not None and d.trace != request.trace:
        r._disagree(
            e, f"marks request {request.id} again with trace {d.trace}, not {request.trace}"
        )


def _release_delivered(r: Replayer, e: LoggedEntry, d: ReleaseDelivered) -> None:
    request = _released(r, e, d.request, "delivers")
    if request is None:
        return
    if request.withheld or request.recalled:
        r._disagree(e, f"delivers request {request.id}, which was withheld or recalled")
    if request.recipient != d.partner:
        r._disagree(e, f"delivers request {request.id} to {d.partner}, not its recipient")
    r._acts_as(e, Role.PARTNER, request.recipient, "but a partner fetches only its own feed")
    # Nothing reaches a partner while a rule withholds it: decided again at the delivery.
    decision = r._decided(e, request.id, e.index)
    if decision is not None and decision.outcome != Outcome.RELEASED:
        r._disagree(
            e,
            f"delivers request {request.id} to {request.recipient} while deciding it gives "
            f"{decision.outcome}: {decision.explanation}",
        )
    if request.trace is not None and d.trace != request.trace:
        r._disagree(e, f"delivers request {request.id} with trace {d.trace}, not {request.trace}")


def _release_recalled(r: Replayer, e: LoggedEntry, d: ReleaseRecalled) -> None:
    request = _released(r, e, d.request, "recalls")
    if request is None:
        return
    if request.recalled:
        r._disagree(e, f"recalls request {request.id} again")
    if request.delivered and not d.delivered:
        # Not the other way: a partner that already held the objects is served them without
        # a ``release.delivered`` entry, and a recall then revokes what it holds.
        r._disagree(e, f"says request {request.id} was not delivered, but the log delivered it")
    if d.ack_by is not None and (not d.delivered or d.ack_by <= e.at):
        # A deadline only for what the partner received, and one still ahead when recalled.
        r._disagree(e, f"sets an acknowledgement deadline {d.ack_by} it cannot hold to")
    item = r.state.items.get(request.item)
    if item is not None:
        r._acts_as(e, Role.ANALYST, item.originator, "but only the originator recalls")


def _settings_changed(r: Replayer, e: LoggedEntry, d: SettingsChanged) -> None:
    if d.value is not None:
        instant(d.value)


def _outcome_reported(r: Replayer, e: LoggedEntry, d: OutcomeReported) -> None:
    statement = d.statement
    request = _released(r, e, whole(statement, "release"), "reports on")
    if request is None:
        return
    reporter = text(statement, "agency")
    agency = r.state.agencies.get(reporter)
    if agency is None or agency.id != request.recipient:
        r._disagree(e, f"is reported by {reporter}, not the release's recipient")
        return
    r._acts_as(e, Role.PARTNER, agency.id, "but a partner reports only its own outcomes")
    if d.signature is not None:
        r._signed(
            e, signer=agency.id, key=agency.public_key, statement=statement, signature=d.signature
        )
    if d.undertaking != request.undertaking:
        r._disagree(e, f"names undertaking {d.undertaking}, not {request.undertaking}")
    undertaking = r.state.undertakings.get(request.undertaking or "")
    report = OutcomeReport(
        request_id=request.id,
        agency_id=agency.id,
        kind=text(statement, "kind"),
        occurred_at=instant(text(statement, "occurred_at")),
        casualties=whole(statement, "casualties"),
        persons=whole(statement, "persons"),
        quantities=_quantities(statement),
        place=text(statement, "place"),
        note=text(statement, "note"),
    )
    verdict = judge(report, undertaking)
    if verdict.breach != d.breach or tuple(verdict.reasons) != d.reasons:
        r._disagree(
            e,
            f"records breach={d.breach}, but judging it again gives breach="
            f"{verdict.breach}" + (f" ({'; '.join(verdict.reasons)})" if verdict.reasons else ""),
        )
    if d.breach:
        r._breach = (agency.id, d.outcome)


def _quantities(statement: JsonObject) -> dict[str, float]:
    found: dict[str, float] = {}
    for name, value in member(statement, "quantities").items():
        if type(value) is not int and type(value) is not float:
            raise UnreadableEvent(f"its statement's quantity {name} is not a number")
        found[name] = value
    return found


def _token_created(r: Replayer, e: LoggedEntry, d: TokenCreated) -> None:
    role = d.role
    if role not in _TOKEN_ROLES:
        r._disagree(e, f"creates a token with role {role}, which no token may carry")
        return
    if role == Role.AUTHORITY:
        if d.authority not in r.state.authorities or d.authority == SYSTEM_AUTHORITY:
            r._disagree(e, f"creates an authority token for {d.authority}")
        return
    if role == Role.OVERSEER:
        return
    agency = r.state.agencies.get(d.agency or "")
    if agency is None:
        r._disagree(e, f"creates a {role} token for {d.agency}, which is not registered")
    elif role == Role.PARTNER and agency.domestic:
        r._disagree(e, f"creates a partner token for {agency.id}, a domestic agency")
    elif role in (Role.ANALYST, Role.LIAISON) and not agency.domestic:
        r._disagree(e, f"creates a {role} token for {agency.id}, a partner agency")


def _token_revoked(r: Replayer, e: LoggedEntry, d: TokenRevoked) -> None:
    if d.token not in r.state.tokens:
        r._disagree(e, f"revokes token {d.token}, which was never created")


_check(AgreementMade, _agreement_made)
_check(AgreementAmended, _agreement_amended)
_check(AgreementSuspended, _agreement_suspended)
_check(AgreementResumed, _agreement_resumed)
_check(AgreementEnded, _agreement_ended)
_check(AgencyRegistered, _agency_registered)
_check(AgencyKeySet, _agency_key_set)
_check(AuthorityRegistered, _authority_registered)
_check(AuthorityKeySet, _authority_key_set)
_check(AuthoritySuperiorSet, _authority_superior_set)
_check(ItemAdded, _item_added)
_check(UndertakingSigned, _undertaking_signed)
_check(UndertakingRevoked, _undertaking_revoked)
_check(OrderIssued, _order_issued)
_check(OrderAmended, _order_amended)
_check(OrderLifted, _order_lifted)
_check(ConditionDefined, _condition_defined)
_check(ConditionChanged, _condition_changed)
_check(EventRecorded, _event_recorded)
_check(ReleaseRequested, _release_requested)
_check(ReleaseDecided, _release_decided)
_check(ReleaseRedecided, _release_decided)
_check(ReleaseWithheld, _release_enforced)
_check(ReleaseAvailable, _release_enforced)
_check(ReleaseMarked, _release_marked)
_check(ReleaseDelivered, _release_delivered)
_check(ReleaseRecalled, _release_recalled)
_check(SettingsChanged, _settings_changed)
_check(OutcomeReported, _outcome_reported)
_check(TokenCreated, _token_created)
_check(TokenRevoked, _token_revoked)
_check(SourceAdded, _source_added)
_check(SourcePaused, _source_paused)
_check(SourceResumed, _source_resumed)
_check(SourceRemoved, _source_removed)
_check(ItemIngested, _item_ingested)
_check(UpstreamVersionSeen, _version_seen)
_check(ItemRevised, _item_revised)
_check(ItemRevoked, _item_revoked)


# -- client certificates of partners ---------------------------------------------------------


def _certificate_added(r: Replayer, e: LoggedEntry, d: AgencyCertificateAdded) -> None:
    agency = r.state.agencies.get(d.agency)
    if agency is None:
        r._disagree(e, f"registers a certificate for {d.agency}, which is not registered")
    elif agency.domestic:
        r._disagree(e, f"registers a client certificate for {d.agency}, a domestic agency")
    elif d.fingerprint in r.state.certificates:
        r._disagree(e, f"registers certificate {d.fingerprint}, which was registered before")
    elif len(d.fingerprint) != 64 or d.fingerprint.strip("0123456789abcdef"):
        r._disagree(e, f"registers {d.fingerprint!r}, which is no SHA-256 fingerprint")


def _certificate_removed(r: Replayer, e: LoggedEntry, d: AgencyCertificateRemoved) -> None:
    certificate = r.state.certificates.get(d.fingerprint)
    if certificate is None or certificate.agency != d.agency:
        r._disagree(e, f"removes certificate {d.fingerprint}, which {d.agency} never had")
    elif certificate.removed:
        r._disagree(e, f"removes certificate {d.fingerprint} again")


_check(AgencyCertificateAdded, _certificate_added)
_check(AgencyCertificateRemoved, _certificate_removed)


# -- passkeys of authorities (WebAuthn) -------------------------------------------------------


def _passkey_registered(r: Replayer, e: LoggedEntry, d: AuthorityPasskeyRegistered) -> None:
    """A passkey is registered on the statement the service builds from the credential the
    attestation proves the authenticator made, signed as a key change is: by the key (or a
    passkey) the authority had, unless it had none."""
    authority = r.state.authorities.get(d.authority)
    if authority is None or authority.id == SYSTEM_AUTHORITY:
        r._disagree(e, f"registers a passkey for {d.authority}, which may hold none")
        return
    if d.credential_id in r.state.passkeys:
        r._disagree(e, f"registers credential {d.credential_id}, which was registered before")
    statement = d.statement
    rp_id, origin = maybe_text(statement, "rp_id"), maybe_text(statement, "origin")
    if rp_id is None or origin is None:
        r._disagree(e, "its statement names no relying party")
        return
    try:
        new = verify_attestation(d.attestation, rp=RelyingParty(rp_id=rp_id, origin=origin))
    except GaranteError as exc:
        r._disagree(e, f"its attestation does not verify: {exc}")
        return
    expected = passkey_statement(
        authority.id,
        credential_id=new.credential_id,
        public_key=new.public_key,
        rp_id=rp_id,
        origin=origin,
    )
    if statement != expected or d.credential_id != new.credential_id:
        r._disagree(e, "its statement is not the one the attested credential states")
        return
    if d.sign_count != new.sign_count:
        r._disagree(
            e, f"says the counter starts at {d.sign_count}, the attestation {new.sign_count}"
        )
    r._acts_as(e, Role.AUTHORITY, authority.id, "but an authority registers only its own keys")
    r._authority_signed(
        e, signer=authority.id, statement=statement, signature=d.signature, assertion=d.assertion
    )


_check(AuthorityPasskeyRegistered, _passkey_registered)
# -- partners writing back -------------------------------------------------------------------


def _acknowledged(r: Replayer, e: LoggedEntry, d: ReleaseAcknowledged | RecallAcknowledged) -> None:
    statement = d.statement
    kind = "delivery" if isinstance(d, ReleaseAcknowledged) else "recall"
    if text(statement, "type") != "garante.acknowledgement/v1" or text(statement, "of") != kind:
        r._disagree(e, f"does not state an acknowledgement of {kind}")
        return
    if text(statement, "id") != d.acknowledgement:
        r._disagree(e, f"names acknowledgement {d.acknowledgement}, but its statement another")
    instant(text(statement, "acknowledged_at"))
    request = _released(r, e, whole(statement, "release"), "acknowledges")
    if request is None:
        return
    agency = r.state.agencies.get(text(statement, "agency"))
    if agency is None or agency.id != request.recipient:
        r._disagree(e, f"is acknowledged by {text(statement, 'agency')}, not its recipient")
        return
    r._acts_as(e, Role.PARTNER, agency.id, "but a partner acknowledges only its own releases")
    if agency.public_key is None:
        r._disagree(e, f"is acknowledged by {agency.id}, which had no key to sign it")
    r._signed(
        e, signer=agency.id, key=agency.public_key, statement=statement, signature=d.signature
    )
    if kind == "delivery" and not request.delivered:
        r._disagree(e, f"acknowledges the delivery of request {request.id}, never delivered")
    if kind == "recall" and not request.recalled:
        r._disagree(e, f"acknowledges the recall of request {request.id}, never recalled")
    if d.acknowledgement in r.state.acknowledgements:
        r._disagree(e, f"records acknowledgement {d.acknowledgement} again")
    elif any(a.request == request.id and a.kind == kind for a in r.state.acknowledgements.values()):
        r._disagree(e, f"acknowledges the {kind} of request {request.id} a second time")


_check(ReleaseAcknowledged, _acknowledged)
_check(RecallAcknowledged, _acknowledged)


# -- consent to share onward -----------------------------------------------------------------


def _consent_requested(r: Replayer, e: LoggedEntry, d: ConsentRequested) -> None:
    statement = d.statement
    if text(statement, "type") != CONSENT_STATEMENT:
        r._disagree(e, "does not state a consent request")
        return
    if text(statement, "id") != d.consent:
        r._disagree(e, f"names consent request {d.consent}, but its statement another")
    instant(text(statement, "requested_at"))
    request = _released(r, e, whole(statement, "release"), "asks consent to share onward")
    if request is None:
        return
    agency = r.state.agencies.get(text(statement, "agency"))
    if agency is None or agency.id != request.recipient:
        r._disagree(e, f"is asked by {text(statement, 'agency')}, not the release's recipient")
        return
    r._acts_as(e, Role.PARTNER, agency.id, "but a partner asks consent for its own releases")
    if agency.public_key is None:
        r._disagree(e, f"is asked by {agency.id}, which had no key to sign it")
    r._signed(
        e, signer=agency.id, key=agency.public_key, statement=statement, signature=d.signature
    )
    if d.consent in r.state.consent_requests:
        r._disagree(e, f"records consent request {d.consent} again")


def _consent_answered(r: Replayer, e: LoggedEntry, d: ConsentGranted | ConsentRefused) -> None:
    found = r.state.consent_requests.get(d.consent)
    if found is None:
        r._disagree(e, f"answers consent request {d.consent}, which was never asked")
    elif found.status != "pending":
        r._disagree(e, f"answers consent request {d.consent}, already {found.status}")
    elif isinstance(d, ConsentGranted) and d.rule is not None:
        _granted_by_rule(r, e, d, found)


def _granted_by_rule(r: Replayer, e: LoggedEntry, d: ConsentGranted, found: LoggedConsent) -> None:
    """A grant by rule cites an agreement that, at that moment, consented in advance to
    exactly this: in force, the requesting partner's, naming the recipient or its country and
    the purpose, its scope covering the released item."""
    agreement_id = agreement_of_rule(d.rule)
    if agreement_id is None:
        r._disagree(e, f"is granted by rule {d.rule}, which is no rule of this Garante")
        return
    agreement = r.state.agreements.get(agreement_id)
    if agreement is None:
        r._disagree(e, f"is granted by agreement {agreement_id}, which was never made")
        return
    said = f"is granted by agreement {agreement_id}, but"
    if agreement.partner != found.agency:
        r._disagree(e, f"{said} it is {agreement.partner}'s, not {found.agency}'s")
        return
    statement = d.statement
    if (
        text(statement, "id") != found.id
        or text(statement, "recipient") != found.recipient
        or text(statement, "purpose") != found.purpose
    ):
        r._disagree(e, "answers another statement than the one requested")
        return
    request = r.state.requests.get(found.request)
    item = r.state.items.get(request.item) if request is not None else None
    if item is None:
        r._disagree(e, f"{said} the item of release {found.request} is unknown")
        return
    if not agreement.consents_onward(
        item=item,
        recipient=found.recipient,
        country=text(statement, "country"),
        purpose=found.purpose,
        at=e.at,
    ):
        r._disagree(
            e,
            f"{said} it does not consent in advance to sharing item {item.id} with "
            f"{found.recipient} ({text(statement, 'country')}) for {found.purpose} "
            f"(it was {agreement.status(e.at)})",
        )


_check(ConsentRequested, _consent_requested)
_check(ConsentGranted, _consent_answered)
_check(ConsentRefused, _consent_answered)


def _consent_received(r: Replayer, e: LoggedEntry, d: ConsentReceived) -> None:
    statement = d.statement
    if text(statement, "type") != CONSENT_STATEMENT or text(statement, "id") != d.consent:
        r._disagree(e, f"does not carry the consent request {d.consent} it takes")
        return
    if d.consent in r.state.consents_received:
        r._disagree(e, f"takes the answer to consent {d.consent} a second time")
    taken = r.state.released_under.get(d.item)
    if taken is None:
        r._disagree(e, f"takes a consent for item {d.item}, which no Garante upstream gave")
        return
    if whole(statement, "release") != taken.request:
        r._disagree(e, f"takes a consent for release {whole(statement, 'release')}, not the "
                    f"item's {taken.request}")  # fmt: skip
    if text(statement, "recipient") != d.recipient or text(statement, "purpose") != d.purpose:
        r._disagree(e, "takes a consent asked for another recipient or purpose")
    if d.recipient not in r.state.agencies:
        r._disagree(e, f"takes a consent for {d.recipient}, an agency never registered")
    _answer_proven(r, e, d)
    try:
        upstream = json.loads(d.upstream_entry)
        kind, data = upstream["kind"], upstream["data"]
    except (ValueError, KeyError, TypeError):
        r._disagree(e, "carries an upstream entry that is not an audit entry")
        return
    answer = {"consent.granted": "granted", "consent.refused": "refused"}.get(kind)
    if answer is None or answer != d.answer:
        r._disagree(e, f"says {d.answer}, but the upstream entry is a {kind}")
    if not isinstance(data, dict) or data.get("consent") != d.consent:
        r._disagree(e, "carries the upstream's answer to another consent request")
    elif data.get("statement") != statement:
        r._disagree(e, "carries an upstream answer to another statement")


def _answer_proven(r: Replayer, e: LoggedEntry, d: ConsentReceived) -> None:
    """The upstream's entry of the answer is proven, as the node proved it when it took it:
    included at ``upstream_index`` in the tree of ``checkpoint``, that checkpoint signed by the
    log key ``source.added`` logged for the source, the trust anchor (from this log alone)."""
    source = r.state.sources.get(d.source)
    if source is None or source.log_key is None:
        r._disagree(e, f"takes a consent through source {d.source}, which logged no log key")
        return
    try:
        verify_answer(
            consent_id=d.consent,
            statement=dict(d.statement),
            index=d.upstream_index,
            entry=d.upstream_entry,
            proof=d.proof,
            checkpoint=d.checkpoint,
            log_key=source.log_key,
            origin=None,
        )
    except ConsentNotProven as exc:
        why = exc.message.removeprefix("the consent's answer is not taken: ")
        r._disagree(e, f"carries an upstream answer the replay cannot prove: {why}")


_check(ConsentReceived, _consent_received)
# -- witnesses of the log --------------------------------------------------------------------


def _witness_added(r: Replayer, e: LoggedEntry, d: WitnessAdded) -> None:
    try:
        key = VerifierKey.parse(d.key)
    except LedgerError as exc:
        r._disagree(e, f"registers witness {d.name} with a key that cannot be read: {exc}")
        return
    if key.sig_type != SIG_COSIGNATURE_V1 or key.name != d.name:
        r._disagree(e, f"registers witness {d.name} with a key that is not its cosigner key")
    if d.witness in r.state.witnesses:
        r._disagree(e, f"registers witness {d.witness} again")
    elif any(w.name == d.name and not w.removed for w in r.state.witnesses.values()):
        r._disagree(e, f"registers a second witness named {d.name}")


def _witness_removed(r: Replayer, e: LoggedEntry, d: WitnessRemoved) -> None:
    witness = r.state.witnesses.get(d.witness)
    if witness is None:
        r._disagree(e, f"removes witness {d.witness}, which was never registered")
    elif witness.removed:
        r._disagree(e, f"removes witness {d.witness} ({witness.name}) a second time")


_check(WitnessAdded, _witness_added)
_check(WitnessRemoved, _witness_removed)
