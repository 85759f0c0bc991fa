"""What the service hands back: one frozen dataclass per kind of record, defined once.

The service builds these from what it stored; the API serves them as its response models
(FastAPI reads a dataclass as a schema), the CLI prints them with ``--json``, and the console
renders them. A field added here reaches every interface, and a field an interface reads that
is not here fails ``mypy``, not a user. Times are the log's one text form (``timeutil.iso``),
so what the API says and what the log signed read the same.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Literal, get_args

from garante.domain.condition import ConditionRule
from garante.domain.decision import Outcome, RuleHit
from garante.domain.outcome import OutcomeKind
from garante.domain.vocabulary import Tlp

# -- decisions -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Decided:
    """A request with the decision that now stands for it: what a write moved in the held
    queue, or what a release request came to. ``previous`` is the outcome it had before."""

    request: int
    item: str
    recipient: str
    purpose: str
    outcome: Outcome
    previous: Outcome | None
    undertaking: str | None
    explanation: str
    rules: tuple[RuleHit, ...]
    trigger: str
    decided_at: str
    state_version: int


@dataclass(frozen=True, kw_only=True)
class Enforced:
    """A release not yet delivered that a write enforced again: withheld from its partner's
    feed because the decision that stands for it now no longer releases it, or made available
    there again. ``outcome`` and ``explanation`` are that decision; ``at`` is when."""

    request: int
    item: str
    recipient: str
    purpose: str
    outcome: Outcome
    undertaking: str | None
    explanation: str
    rules: tuple[RuleHit, ...]
    trigger: str
    at: str


# -- orders, conditions, events and release requests -----------------------------------------

# Where a release stands in its partner's feed (``store.feed.deliveries``).
Delivery = Literal["available", "withheld", "delivered", "recalled", "withdrawn"]
DELIVERIES: frozenset[str] = frozenset(get_args(Delivery))


@dataclass(frozen=True, kw_only=True)
class Order:
    """An order as it stands at its latest version, and when it was issued, amended, lifted.

    ``effect`` is the stored text, as the domain's ``Order`` keeps it: an effect this version
    does not know still shows (and holds, fail closed), it does not break the listing.
    ``scope`` and ``requires`` are ``Scope.to_dict`` and ``Requirement.to_dict`` as stored.
    """

    id: str
    sequence: int
    authority: str
    effect: str
    scope: dict[str, list[str]]
    requires: dict[str, list[str]]
    exempts: tuple[str, ...]
    valid_from: str
    valid_until: str | None
    while_condition: str | None
    reason: str
    version: int
    issued_at: str
    amended_at: str | None
    lifted_at: str | None
    lift_reason: str | None


@dataclass(frozen=True, kw_only=True)
class Boundary:
    """An order period's start (``began``) or end that the clock passed, and when it fell."""

    order: str
    at: str
    began: bool


@dataclass(frozen=True, kw_only=True)
class Sample:
    """One stored request a simulated order would decide differently."""

    request: int
    item: str
    recipient: str
    purpose: str
    before: Outcome
    after: Outcome


@dataclass(frozen=True, kw_only=True)
class Simulation:
    """What issuing, amending or lifting an order would change for the requests of a period.

    ``period`` is ``{"from": ..., "to": ...}`` (``from`` is no name a field can have).
    ``before``/``after`` count outcomes of the requests in scope; ``by_partner`` and
    ``by_category`` count changes such as ``"released->held"``; ``examples`` are the first.
    """

    at: str
    period: dict[str, str]
    order: str | None
    action: Literal["issue", "amend", "lift"]
    requests: int
    in_scope: int
    distinct_decisions: int
    changed: int
    before: dict[str, int]
    after: dict[str, int]
    by_partner: dict[str, dict[str, int]]
    by_category: dict[str, dict[str, int]]
    examples: tuple[Sample, ...]


@dataclass(frozen=True, kw_only=True)
class Condition:
    """A named state orders can depend on: derived from events by ``rule``, or kept by hand
    (no rule), with the evidence for its last change."""

    id: str
    description: str
    rule: ConditionRule | None
    active: bool
    evidence: str
    changed_at: str


@dataclass(frozen=True, kw_only=True)
class Event:
    """A reported event derived conditions count, and the agency on whose word it stands."""

    id: int
    kind: str
    region: str
    occurred_at: str
    source: str
    note: str
    agency: str | None
    signed: bool


@dataclass(frozen=True, kw_only=True)
class Request:
    """A release request and the outcome that stands for it."""

    id: int
    item: str
    recipient: str
    purpose: str
    requested_by: str
    requested_at: str
    outcome: Outcome
    undertaking: str | None
    decided_at: str
    delivery: Delivery | None = field(
        metadata={
            "description": "Where the release stands in the partner's feed: available (not "
            "yet fetched), withheld (an order now stops it), delivered, recalled (after "
            "delivery) or withdrawn (recalled before delivery); null if it never reached the "
            "feed."
        },
    )


@dataclass(frozen=True, kw_only=True)
class Held(Request):
    """A request in the held queue: why it is held, and for how long it has waited."""

    reason: str
    held_for_seconds: int


@dataclass(frozen=True, kw_only=True)
class Decision:
    """One decision taken on a request: a first decision or a decision taken again, with
    every rule that spoke, what triggered it and the state version it read."""

    id: int
    request: int
    outcome: Outcome
    explanation: str
    rules: tuple[RuleHit, ...]
    undertaking: str | None
    state_version: int
    trigger: str
    decided_at: str


@dataclass(frozen=True, kw_only=True)
class Recall:
    """A recalled release: ``recalled`` if it was delivered (revoked versions follow),
    ``withdrawn`` if the partner never received it."""

    request: int
    partner: str
    status: Literal["recalled", "withdrawn"]
    recalled_at: str | None
    ack_by: str | None = None  # by when the partner must acknowledge it (issue 21)


@dataclass(frozen=True, kw_only=True)
class Traced:
    """The release a trace token names: to whom, what, under which undertaking, and when
    it was released and delivered (TAXII times)."""

    trace_token: str
    request: int
    partner: str
    item: str
    purpose: str
    undertaking: str | None
    released_at: str
    delivered_at: str | None
    status: str
    # Where the item came from, when a source gave it: the source and the upstream object.
    source: str | None = None
    upstream_id: str | None = None
    # An item from a Garante upstream: what it was released to this node under.
    released_under: UpstreamTerms | None = None


# -- an item's requests, each with the decision that stands (the console's item page) ------


@dataclass(frozen=True, kw_only=True)
class Standing(Request):
    """A request (as ``Request`` shows it) with the decision that stands for it: the rules
    that spoke, its explanation, and what triggered it (``request`` for the first decision;
    an order, a condition, an undertaking, an embargo end or an expiry for a decision taken
    again)."""

    explanation: str
    rules: tuple[RuleHit, ...]
    trigger: str


# -- agencies, authorities, items, undertakings, outcomes, tokens, reports --------------------


@dataclass(frozen=True, kw_only=True)
class Agency:
    """An agency that sends or receives intelligence: one of the operator's own services
    (``domestic``) or a foreign partner, and the key its statements are signed with, if any
    (base64 of the raw Ed25519 key)."""

    id: str
    name: str
    country: str
    domestic: bool
    requires_undertaking: bool
    public_key: str | None
    active: bool


@dataclass(frozen=True, kw_only=True)
class Authority:
    """An authority that issues orders, and the key its orders are signed with, if any."""

    id: str
    name: str
    public_key: str | None
    active: bool


@dataclass(frozen=True, kw_only=True)
class Superior:
    """An authority configured as superior (``authority``) to the authorities in ``over``,
    whose orders it amends and lifts; none when the configuration was cleared."""

    authority: str
    over: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Item:
    """An item the originator shares: its marks and the SHA-256 of its content, never the
    content itself."""

    id: str
    title: str
    category: str
    region: str
    tlp: Tlp
    originator: str
    releasable_to: tuple[str, ...]
    content_sha256: str
    added_at: str
    embargo_until: str | None = None
    expires_at: str | None = None
    # Why an item a source gave is held for review; empty when it is not held.
    review: tuple[str, ...] = ()
    # An item from a Garante upstream: what it was released to this node under.
    released_under: UpstreamTerms | None = None


# -- terms from a Garante upstream (a partner node) ------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UpstreamTerms:
    """What an item taken from a Garante upstream was released under there: the upstream log
    (``log_origin``) and the entry that released it, the release request, to whom and for
    which purpose, the undertaking and its statement (as the objects' marking carries it),
    and the TLP."""

    log_origin: str | None
    log_index: int
    request: int
    released_to: str
    purpose: str
    undertaking: str | None
    statement: str | None
    tlp: str


# -- item versions ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ItemVersion:
    """One upstream version of an item a source gave: the item version it became (None for one
    not applied: older than the item was at, or of a revoked item), its status (``item``, the
    first; ``revised``; ``revoked``; ``version-seen``), its TLP when applied, and the salted
    commitment to its content that the log holds."""

    item: str
    source: str
    upstream_id: str
    upstream_version: str
    version: int | None
    status: str
    tlp: str | None
    content_commitment: str
    taken_at: str


@dataclass(frozen=True, kw_only=True)
class WindowPassed:
    """An item's embargo end or expiry that the clock passed, when it fell, and (at an expiry)
    the releases it withdrew from their partners' feeds."""

    item: str
    at: str
    expired: bool
    recalled: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ItemOpening:
    """What opens an item's commitment in the log: the salt (hex), the title and the
    canonical bundle, which hash to ``commitment``. It holds the item's content."""

    item: str
    salt: str
    title: str
    bundle: str
    commitment: str


@dataclass(frozen=True, kw_only=True)
class Undertaking:
    """An undertaking as recorded: the terms a partner gave, whether its key signed them
    (``key_recovered``: a key a recovery statement installed), and its revocation, if any."""

    id: str
    agency: str
    permits: tuple[str, ...]
    prohibits: tuple[str, ...]
    protections: tuple[str, ...]
    categories: tuple[str, ...]
    valid_from: str
    valid_until: str | None
    signed: bool
    key_recovered: bool = field(
        metadata={
            "description": "Signed with a key installed by a recovery statement (an authority "
            "vouched for it after the agency's previous key was lost), not by the agency's own "
            "key chain."
        }
    )
    revoked_at: str | None
    revoke_reason: str | None


@dataclass(frozen=True, kw_only=True)
class ReportedOutcome:
    """What a partner did with a release, whether it kept the undertaking it was released
    under, and the automatic order a breach brought (``order``; never shown to a partner)."""

    id: int
    release: int
    agency: str
    kind: OutcomeKind
    occurred_at: str
    casualties: int
    persons: int
    quantities: dict[str, float]
    place: str
    note: str
    undertaking: str | None
    breach: bool
    breach_reasons: tuple[str, ...]
    order: str | None
    signed: bool
    reported_by: str
    reported_at: str


@dataclass(frozen=True, kw_only=True)
class Token:
    """An API token, never its secret. ``role`` is the stored text: a token naming a role no
    token may carry still lists (to be revoked), though it authenticates as nobody."""

    id: str
    role: str
    agency: str | None
    authority: str | None
    label: str
    created_at: str
    revoked_at: str | None


@dataclass(frozen=True, kw_only=True)
class PartnerLine:
    """One partner's line of the partner report: its requests by the decision that stands,
    those a re-decision released after a hold and for how long (hours), and the outcomes it
    reported by kind, breaches among them."""

    partner: str
    released: int
    held: int
    denied: int
    held_then_released: int
    mean_hours_held: float
    max_hours_held: float
    outcomes: dict[str, int]
    breaches: int


@dataclass(frozen=True, kw_only=True)
class PartnerReport:
    """Per partner over a period: ``period`` is ``{"from": ..., "to": ...}`` (``from`` is no
    name a field can have); every foreign partner has a line, a domestic service only when
    something was requested for it."""

    period: dict[str, str]
    partners: tuple[PartnerLine, ...]


# -- audit log ---------------------------------------------------------------------------------
#
# Proofs cross the service boundary with their hashes as bytes, for a verifier to use as they
# are; ``encoded()`` gives the form every interface serves (hashes in base64, the entry as its
# canonical JSON text), so the API, the console and the CLI print the same document.


@dataclass(frozen=True, kw_only=True)
class LogKey:
    """The log's verifier key: a C2SP signed-note verifier key, which an inspector should also
    get out of band."""

    log_key: str


@dataclass(frozen=True, kw_only=True)
class Checkpoint:
    """A signed checkpoint as the log serves it: its tree size, its RFC 9162 root (base64 of
    the SHA-256), and the C2SP signed note with witnesses' cosignature lines."""

    size: int
    root_hash: str
    note: str


@dataclass(frozen=True, kw_only=True)
class CosignedCheckpoint:
    """A witness's cosignature of one of the log's checkpoints, as it posts it: the checkpoint
    as the log signed it, with the witness's cosignature line (c2sp.org/tlog-cosignature, type
    0x04) appended to the note's signatures."""

    note: str


@dataclass(frozen=True, kw_only=True)
class Witness:
    """A witness the log's operator trusts: the key name its cosignature lines carry and its
    type 0x04 note verifier key."""

    id: str
    name: str
    key: str
    added_at: str
    removed_at: str | None


@dataclass(frozen=True, kw_only=True)
class LogEntry:
    """One audit entry: its index and kind, the RFC 8785 canonical JSON of the event, and its
    leaf hash (base64 of SHA-256(0x00 || entry)), as in the proofs."""

    index: int
    kind: str
    entry: str
    leaf_hash: str


@dataclass(frozen=True, kw_only=True)
class EncodedInclusionProof:
    """An RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` entries, as
    served: the leaf hash and the proof's hashes in base64, the entry as its JSON text."""

    index: int
    size: int
    leaf_hash: str
    entry: str
    proof: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class InclusionProof:
    """An RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` entries: the
    entry's bytes, its leaf hash and the proof's hashes, for a verifier to use as they are."""

    index: int
    size: int
    leaf_hash: bytes
    entry: bytes
    proof: tuple[bytes, ...]

    def encoded(self) -> EncodedInclusionProof:
        return EncodedInclusionProof(
            index=self.index,
            size=self.size,
            leaf_hash=_b64(self.leaf_hash),
            entry=self.entry.decode(),
            proof=tuple(_b64(h) for h in self.proof),
        )


@dataclass(frozen=True, kw_only=True)
class EncodedConsistencyProof:
    """An RFC 9162 consistency proof between two tree sizes, its hashes in base64."""

    old_size: int
    new_size: int
    proof: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ConsistencyProof:
    """An RFC 9162 consistency proof between tree sizes ``old_size`` and ``new_size``."""

    old_size: int
    new_size: int
    proof: tuple[bytes, ...]

    def encoded(self) -> EncodedConsistencyProof:
        return EncodedConsistencyProof(
            old_size=self.old_size,
            new_size=self.new_size,
            proof=tuple(_b64(h) for h in self.proof),
        )


@dataclass(frozen=True, kw_only=True)
class EncodedReceipt:
    """A receipt as served: the entry as its JSON text, the proof's hashes in base64, and the
    signed checkpoint they lead to."""

    index: int
    size: int
    entry: str
    proof: tuple[str, ...]
    checkpoint: str


@dataclass(frozen=True, kw_only=True)
class Receipt:
    """Entry ``index``'s inclusion proof in the tree of ``size`` entries, with the signed
    checkpoint (``checkpoint``, a C2SP note) of that size: what a writer keeps to show later
    that the log holds its entry."""

    index: int
    size: int
    leaf_hash: bytes
    entry: bytes
    proof: tuple[bytes, ...]
    checkpoint: str

    def encoded(self) -> EncodedReceipt:
        return EncodedReceipt(
            index=self.index,
            size=self.size,
            entry=self.entry.decode(),
            proof=tuple(_b64(h) for h in self.proof),
            checkpoint=self.checkpoint,
        )


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


# -- standing agreements ---------------------------------------------------------------------

AgreementStatus = Literal["active", "pending", "suspended", "expired", "ended"]


@dataclass(frozen=True, kw_only=True)
class Agreement:
    """A partner's standing request at its latest version, and where it stands now.

    Empty ``categories``, ``regions`` or ``originators`` cover any; ``tlp_ceiling`` is the most
    restricted marking it takes. ``countersigned``: the partner signed this version's
    statement. ``reason`` is why it was last amended, suspended, resumed or ended.
    """

    id: str
    partner: str
    purposes: tuple[str, ...]
    categories: tuple[str, ...]
    regions: tuple[str, ...]
    tlp_ceiling: Tlp
    originators: tuple[str, ...]
    valid_from: str
    valid_until: str | None
    version: int
    countersigned: bool
    status: AgreementStatus
    made_by: str
    made_at: str
    amended_at: str | None
    suspended_at: str | None
    ended_at: str | None
    reason: str | None
    # How long the partner has to acknowledge a recall of a release it started (``48h``).
    recall_ack_within: str | None = None
    # Onward sharing the originator consents to in advance (issue 21): recipients (agency ids,
    # ISO 3166 codes) and purposes; a consent request they cover is granted at once.
    onward_to: tuple[str, ...] = ()
    onward_purposes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AgreementPreview:
    """What an agreement would start for the items already stored that were added since
    ``since``: how many it covers, the requests it would start (one per purpose, none where
    a request for that item, partner and purpose exists), and how each would be decided now.
    Nothing is stored."""

    agreement: str
    partner: str
    since: str
    at: str
    items: int
    requests: int
    already_requested: int
    released: int
    held: int
    denied: int


# -- sources ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UpstreamCheckpoint:
    """The last checkpoint of a Garante upstream's log a pull verified (its size and root) and
    whether the upstream took this node's cosignature of it: ``cosignature_error`` says why
    not, while it has not; the next pull posts it again."""

    size: int
    root_hash: str
    cosignature_accepted: bool
    cosignature_error: str | None


@dataclass(frozen=True, kw_only=True)
class Source:
    """A source of items and how its pulls go. Its credentials are never shown: only how it
    authenticates (``none``, ``basic``, ``bearer``)."""

    id: str
    kind: str
    url: str
    collection: str | None
    auth: str
    originator: str
    interval: int
    grouping: str
    category: str
    region: str
    tlp: str
    mapping: dict[str, object]
    added_at: str
    paused: bool
    removed: bool
    position: str | None  # TAXII: the last date_added taken; MISP: the last event timestamp
    last_attempt_at: str | None
    last_success_at: str | None
    last_error: str | None
    last_error_at: str | None
    lag_seconds: float | None  # since the last success; None if never pulled
    items: int
    versions_seen: int
    # -- srcsec: a pull asked for through the API and not yet done (the server does it next) --
    pull_requested_at: str | None = None
    # -- a Garante upstream: whether the node signs its acknowledgements there by itself (its
    # key is never shown), how many the upstream has not accepted yet, and why not, if it said.
    acknowledges: bool = False
    acks_waiting: int = 0
    ack_error: str | None = None
    # -- a Garante upstream: how far its log was verified, and the cosignature posted to it --
    upstream_checkpoint: UpstreamCheckpoint | None = None


@dataclass(frozen=True, kw_only=True)
class Pulled:
    """What one pull of a source took: pages and objects read, the items made (and of those
    the ones held for review), versions already taken, older versions recorded, and what was
    refused, with why."""

    source: str
    pages: int
    objects: int
    items: tuple[str, ...]
    held: tuple[str, ...]
    duplicates: int
    versions_seen: int
    rejected: tuple[str, ...]
    position: str | None
    # -- versions: the items a later version revised, those a revocation revoked, and the
    # releases either recalled.
    revised: tuple[str, ...] = ()
    revoked: tuple[str, ...] = ()
    recalled: tuple[int, ...] = ()


# -- client certificates of partners ---------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AgencyCertificate:
    """A client certificate registered for a partner agency, by its SHA-256 fingerprint."""

    fingerprint: str
    agency: str
    label: str
    created_at: str
    removed_at: str | None


# -- receipts: a partner's proof of what it received ----------------------------------------


@dataclass(frozen=True, kw_only=True)
class DeliveryCheck:
    """One delivered STIX object checked against its receipt (``ledger.delivery``): verified,
    or ``problem`` says what failed and ``hint`` what to do."""

    object_id: str
    index: int | None  # the log entry the object names (None: it names none)
    checkpoint_size: int | None  # the signed tree the entry was proven in
    verified: bool
    problem: str | None = None
    hint: str | None = None


# -- passkeys of authorities (WebAuthn) -------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Passkey:
    """A passkey or security key an authority signs orders with: its credential id, the
    relying party it was created for and the signature counter it last reported."""

    credential_id: str
    authority: str
    rp_id: str
    origin: str
    sign_count: int
    created_at: str


@dataclass(frozen=True, kw_only=True)
class PasskeyOptions:
    """What ``navigator.credentials.create`` needs to make a passkey for an authority: the
    relying party, a fresh challenge (base64url), the user handle (the authority's id) and the
    credentials it already has, which the authenticator must not make again."""

    rp_id: str
    origin: str
    challenge: str
    user_id: str
    user_name: str
    exclude: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class PasskeyStatement:
    """What registering a verified new credential states, for the authority's current key to
    sign, and whether one must: an authority with no key yet registers its first without."""

    statement: dict[str, str]
    needs_signature: bool


# -- partners writing back -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Acknowledgement:
    """A partner's signed acknowledgement that it received a release (``delivery``) or applied
    its recall (``recall``), by the STIX id of the object that carried it."""

    id: str
    of: str
    release: int
    agency: str
    acknowledged_at: str
    received_at: str
    signature: str


@dataclass(frozen=True, kw_only=True)
class UnacknowledgedRecall:
    """A recalled release whose partner has not acknowledged the recall, and since when."""

    release: int
    agency: str
    recalled_at: str
    delivered: bool
    # Issue 21, recall deadlines: the item, by when the partner must acknowledge (if ever), and
    # whether that has passed (the partner is then held by the system).
    item: str = ""
    ack_by: str | None = None
    overdue: bool = False


@dataclass(frozen=True, kw_only=True)
class WriteResult:
    """What became of one object written to a partner's write collection (TAXII 2.1 status
    details): ``message`` says what is wrong and what to do, or what was recorded."""

    id: str
    version: str
    message: str


@dataclass(frozen=True, kw_only=True)
class WriteStatus:
    """The status of one write to a partner's write collection (TAXII 2.1, 4.3)."""

    id: str
    agency: str
    status: str
    request_timestamp: str
    total_count: int
    success_count: int
    failure_count: int
    pending_count: int
    successes: tuple[WriteResult, ...]
    failures: tuple[WriteResult, ...]


@dataclass(frozen=True, kw_only=True)
class Acknowledged:
    """An acknowledgement as recorded; ``new`` is false when it (or one of the same release and
    kind) had come before, and nothing more was logged."""

    acknowledgement: Acknowledgement
    new: bool


# -- recall acknowledgement deadlines (issue 21) -------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecallHold:
    """A hold the system issued because a recall was not acknowledged by its deadline."""

    order: str
    agency: str
    release: int
    ack_by: str


# -- consent to share onward (issue 21) -------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ConsentRequest:
    """A partner's signed request to share onward, with ``recipient`` (of ``country``) and for
    ``purpose``, what release ``release`` gave it; ``status`` is ``pending``, ``granted`` or
    ``refused``, answered by ``answered_by`` (a liaison, or ``rule:...``) for ``reason``."""

    id: str
    agency: str
    release: int
    recipient: str
    country: str
    purpose: str
    requested_at: str
    received_at: str
    signature: str
    status: str
    answered_by: str | None = None
    answered_at: str | None = None
    reason: str | None = None
    answer_index: int | None = None


@dataclass(frozen=True, kw_only=True)
class ConsentRequested:
    """A consent request as recorded; ``new`` is false when the same request came before and
    nothing more was logged."""

    consent: ConsentRequest
    new: bool


@dataclass(frozen=True, kw_only=True)
class ConsentAsked:
    """A consent this node asked of the Garante upstream ``source`` its item ``item`` came
    from (upstream release ``upstream_request``), to share it with ``recipient`` for
    ``purpose``: ``asked`` until its answer is taken, proven, as ``granted`` or ``refused``
    (the upstream's log entry ``answer_index``). ``moved``: the held requests taking it
    decided again; ``problem``: why a fetched answer was not taken."""

    id: str
    source: str
    item: str
    upstream_request: int
    recipient: str
    purpose: str
    status: str
    asked_at: str
    received_at: str | None = None
    answer_index: int | None = None
    moved: tuple[int, ...] = ()
    problem: str | None = None
