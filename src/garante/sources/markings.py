"""Upstream markings read into an item's handling: TLP, PAP, IEP 2.0, without loss.

An upstream says how its intelligence may be handled in several vocabularies at once: STIX 2.1
TLP 1.0 marking definitions, TLP 2.0 marking definitions, MISP ``tlp:`` and ``PAP:`` tags, the
FIRST IEP 2.0 marking extension, free-text statements. Garante keeps one TLP 2.0 label per item
and decides on it, so this module reads all of them, takes the most restrictive, and keeps
where each came from.

It fails closed. A marking it cannot read (an unknown definition, an unknown tag value), two
markings that disagree about one object, or no marking at all hold the item for review with a
reason, and its TLP is then ``None``: an item is never CLEAR because a marking was not
understood. ``tlp is None`` exactly when ``review`` is not empty.

Pure: plain JSON in, a frozen value out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from garante.canonical import Json
from garante.domain.agreement import TLP_ORDER
from garante.domain.vocabulary import Tlp
from garante.stix.markings import TLP1_MARKING_IDS as TLP1_MARKING_IDS
from garante.stix.markings import (
    TLP2_EXTENSION_ID,
    TLP2_MARKING_IDS,
    StixObject,
    normalise_timestamp,
)

_E = TypeVar("_E", bound=StrEnum)

_TLP2_BY_ID: Mapping[str, Tlp] = {marking: tlp for tlp, marking in TLP2_MARKING_IDS.items()}

# The FIRST IEP 2.0 marking definition extension, "IEP Marking Definition Version 2.0 for
# STIX 2.1" (oasis-open/cti-stix-common-objects, extension-definition-specifications/
# iep-marking-definition-762): a marking-definition whose only extension is this id.
IEP2_EXTENSION_ID = "extension-definition--762e2e97-ee51-43e5-a9ea-165fbb862c4a"

# Tag namespaces that state handling but that Garante does not map (the MISP taxonomies of
# IEP 1.0 and 2.0): an item carrying one is held rather than released without its terms.
_UNMAPPED_TAG_NAMESPACES = ("iep:", "iep2-policy:", "iep2-reference:")

# Where statements of tags are attached: the tags describe the whole upstream item.
TAGS_SUBJECT = "tags"

_TLP_WORDS: Mapping[str, Tlp] = {
    "white": Tlp.CLEAR,
    "clear": Tlp.CLEAR,
    "green": Tlp.GREEN,
    "amber": Tlp.AMBER,
    "amber+strict": Tlp.AMBER_STRICT,
    "red": Tlp.RED,
}
# TLP 2.0 has no WHITE, IEP 2.0 (on TLP 1.0) no CLEAR nor AMBER+STRICT.
_TLP2_WORDS: Mapping[str, Tlp] = {tlp.value: tlp for tlp in Tlp}
_TLP1_WORDS = ("white", "green", "amber", "red")
_TLP_RANK = {tlp: rank for rank, tlp in enumerate(TLP_ORDER)}


class Pap(StrEnum):
    """The Permissible Actions Protocol (PAP) levels, least restrictive first."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


_PAP_WORDS: Mapping[str, Pap] = {
    "white": Pap.CLEAR,  # the older name of PAP:CLEAR, as TLP:WHITE is of TLP:CLEAR
    "clear": Pap.CLEAR,
    "green": Pap.GREEN,
    "amber": Pap.AMBER,
    "red": Pap.RED,
}
_PAP_RANK = {pap: rank for rank, pap in enumerate(Pap)}


class EncryptInTransit(StrEnum):
    MUST = "must"
    MAY = "may"


class PermittedActions(StrEnum):
    """IEP 2.0 ``iep-permitted-actions-enum``, most restrictive first."""

    NONE = "none"
    CONTACT_FOR_INSTRUCTION = "contact-for-instruction"
    INTERNALLY_VISIBLE_ACTIONS = "internally-visible-actions"
    EXTERNALLY_VISIBLE_INDIRECT_ACTIONS = "externally-visible-indirect-actions"
    EXTERNALLY_VISIBLE_DIRECT_ACTIONS = "externally-visible-direct-actions"


class AffectedPartyNotifications(StrEnum):
    MAY = "may"
    MUST_NOT = "must-not"


class ProviderAttribution(StrEnum):
    MAY = "may"
    MUST = "must"
    MUST_NOT = "must-not"


class UnmodifiedResale(StrEnum):
    MAY = "may"
    MUST_NOT = "must-not"


@dataclass(frozen=True, kw_only=True)
class IepPolicy:
    """An IEP 2.0 policy as the FIRST extension states it, every field typed.

    ``tlp`` is the policy's redistribution scope in TLP 2.0 terms (IEP 2.0 says ``white``,
    read here as CLEAR). ``marking_ids`` are the definitions it was read from and ``iep_ids``
    the policies' own ids: one each, unless the item carries several policies, which are
    then combined into the strictest of them (see ``strictest``).
    """

    marking_ids: tuple[str, ...]
    iep_ids: tuple[str, ...]
    name: str | None
    description: str
    iep_version: str
    encrypt_in_transit: EncryptInTransit
    permitted_actions: PermittedActions
    affected_party_notifications: AffectedPartyNotifications
    tlp: Tlp
    provider_attribution: ProviderAttribution
    unmodified_resale: UnmodifiedResale
    start_date: str
    end_date: str | None = None


def strictest(policies: Sequence[IepPolicy]) -> IepPolicy | str:
    """Several IEP 2.0 policies on one item as the one that allows only what all allow.

    Each field takes its most restrictive value (encryption required if any requires it, the
    fewest permitted actions, the most restrictive TLP, the latest start and earliest end).
    Provider attribution has no order: one policy requiring it and another forbidding it
    cannot both be kept, so that returns the reason instead and the item is held.
    """
    first = policies[0]
    attributions = {p.provider_attribution for p in policies} - {ProviderAttribution.MAY}
    if len(attributions) > 1:
        ids = ", ".join(sorted({m for p in policies for m in p.marking_ids}))
        return f"IEP 2.0 policies disagree on provider attribution (must and must-not: {ids})"
    names = {p.name for p in policies}
    ends = [p.end_date for p in policies if p.end_date is not None]
    return IepPolicy(
        marking_ids=tuple(sorted({m for p in policies for m in p.marking_ids})),
        iep_ids=tuple(sorted({i for p in policies for i in p.iep_ids})),
        name=first.name if len(names) == 1 else None,
        description="\n".join(sorted({p.description for p in policies})),
        iep_version="2.0",
        encrypt_in_transit=_stricter(policies, "encrypt_in_transit", EncryptInTransit.MUST),
        permitted_actions=min(
            (p.permitted_actions for p in policies), key=list(PermittedActions).index
        ),
        affected_party_notifications=_stricter(
            policies, "affected_party_notifications", AffectedPartyNotifications.MUST_NOT
        ),
        tlp=max((p.tlp for p in policies), key=_TLP_RANK.__getitem__),
        provider_attribution=attributions.pop() if attributions else ProviderAttribution.MAY,
        unmodified_resale=_stricter(policies, "unmodified_resale", UnmodifiedResale.MUST_NOT),
        start_date=max((p.start_date for p in policies), key=_instant),
        end_date=min(ends, key=_instant) if ends else None,
    )


def _stricter(policies: Sequence[IepPolicy], field: str, strict: _E) -> _E:
    """``strict`` if any policy says it, else what they all say (the other value)."""
    said = [getattr(policy, field) for policy in policies]
    return strict if strict in said else type(strict)(said[0])


def _instant(timestamp: str) -> str:
    """A timestamp comparable as an instant; one that is not sorts last (treated as latest)."""
    try:
        return normalise_timestamp(timestamp)
    except ValueError:
        return "9999"


@dataclass(frozen=True, kw_only=True)
class MarkingSource:
    """One statement read: ``field`` (tlp, pap, iep, statement) is ``value`` on ``subject``
    (an object id, an object's granular marking, or ``tags``) because of ``source`` (a
    marking-definition id or a tag, as the upstream wrote it)."""

    field: str
    value: str
    source: str
    subject: str


@dataclass(frozen=True, kw_only=True)
class Markings:
    """An item's handling as read from its upstream markings.

    ``tlp`` is the most restrictive TLP found (or the caller's default when none was), and
    ``None`` exactly when the item is held for review (``review`` gives the reasons in plain
    words). ``sources`` lists every marking id and marking tag read, so that nothing is
    dropped unseen; ``provenance`` says which of them gave which field, on which object.
    """

    tlp: Tlp | None
    pap: Pap | None
    iep: IepPolicy | None
    statements: tuple[str, ...]
    review: tuple[str, ...]
    sources: tuple[str, ...]
    provenance: tuple[MarkingSource, ...] = ()

    @property
    def held(self) -> bool:
        return bool(self.review)


class _Reader:
    """Collects what each marking says, then decides once everything is read."""

    def __init__(self, definitions: Mapping[str, StixObject]) -> None:
        self.definitions = definitions
        self.found: list[MarkingSource] = []
        self.ieps: list[IepPolicy] = []
        # Reasons in the order found, each once; per-object reasons are gathered by what they
        # say, so that ten thousand objects marked alike give one reason, not ten thousand.
        self.review: dict[str, None] = {}
        self.per_object: dict[str, list[str]] = {}
        self.sources: set[str] = set()

    def note(self, reason: str) -> None:
        self.review.setdefault(reason, None)

    def note_on(self, subject: str, reason: str) -> None:
        """A reason about one object: ``reason`` follows the object's id."""
        self.per_object.setdefault(reason, []).append(subject)

    def state(self, field: str, value: str, source: str, subject: str) -> None:
        self.found.append(MarkingSource(field=field, value=value, source=source, subject=subject))

    # Marking definitions

    def marking_ref(self, ref: Json, subject: str) -> None:
        if not isinstance(ref, str):
            self.note_on(subject, f"names a marking that is not an id: {_quote(str(ref))}")
            return
        self.sources.add(ref)
        definition = self.definitions.get(ref)
        well_known = TLP1_MARKING_IDS.get(ref) or _TLP2_BY_ID.get(ref)
        if well_known is not None:
            if definition is not None:
                said = _definition_tlp(definition)
                if said is not None and said != well_known:
                    self.note(
                        f"marking-definition {ref} is the id of TLP:{_tlp_label(well_known)} "
                        f"but its content says TLP:{_tlp_label(said)}"
                    )
                    return
            self.state("tlp", well_known.value, ref, subject)
            return
        if definition is None:
            self.note_on(
                subject,
                f"is marked with {ref}, which is neither in the upstream's objects "
                "nor a TLP marking Garante knows",
            )
            return
        self.definition(ref, definition, subject)

    def definition(self, ref: str, definition: StixObject, subject: str) -> None:
        extensions = definition.get("extensions")
        read_any = False
        if isinstance(extensions, Mapping):
            for extension_id, body in extensions.items():
                if extension_id == TLP2_EXTENSION_ID:
                    self.tlp2_extension(ref, body, subject)
                elif extension_id == IEP2_EXTENSION_ID:
                    self.iep_extension(ref, body, subject)
                else:
                    self.note(
                        f"marking-definition {ref} uses the extension {extension_id}, "
                        "which Garante does not map"
                    )
                read_any = True
        elif extensions is not None:
            self.note(f"marking-definition {ref} has extensions that are not an object")
            return
        kind = definition.get("definition_type")
        if isinstance(kind, str):
            read_any = True
            self.definition_type(ref, kind, definition.get("definition"), subject)
        if not read_any:
            self.note(f"marking-definition {ref} states nothing Garante can read")

    def tlp2_extension(self, ref: str, body: Json, subject: str) -> None:
        value = body.get("tlp_2_0") if isinstance(body, Mapping) else None
        tlp = _TLP2_WORDS.get(value.strip().casefold()) if isinstance(value, str) else None
        if tlp is None:
            self.note(f"marking-definition {ref} has a TLP 2.0 extension with no TLP 2.0 level")
            return
        self.state("tlp", tlp.value, ref, subject)

    def definition_type(self, ref: str, kind: str, body: Json, subject: str) -> None:
        folded = kind.casefold()
        if folded == "tlp":
            tlp = _definition_tlp({"definition_type": kind, "definition": body})
            if tlp is None:
                self.note(f"marking-definition {ref} is a TLP marking of no known level")
            else:
                self.state("tlp", tlp.value, ref, subject)
        elif folded == "statement":
            text = body.get("statement") if isinstance(body, Mapping) else None
            if isinstance(text, str):
                self.state("statement", text, ref, subject)
            else:
                self.note(f"marking-definition {ref} is a statement with no statement text")
        elif folded == "pap":
            values = list(body.values()) if isinstance(body, Mapping) else [body]
            words = {_strip_prefix(v, "pap:") for v in values if isinstance(v, str)}
            paps = {_PAP_WORDS.get(word) for word in words}
            if len(paps) != 1 or None in paps:
                self.note(f"marking-definition {ref} is a PAP marking of no known level")
            else:
                (pap,) = paps
                assert pap is not None
                self.state("pap", pap.value, ref, subject)
        else:
            self.note(f"marking-definition {ref} is of type '{kind}', which Garante does not map")

    def iep_extension(self, ref: str, body: Json, subject: str) -> None:
        name = self.definitions[ref].get("name")
        policy = _read_iep(ref, body, name if isinstance(name, str) else None)
        if isinstance(policy, str):
            self.note(policy)
            return
        self.ieps.append(policy)
        self.state("iep", policy.iep_ids[0], ref, subject)
        self.state("tlp", policy.tlp.value, ref, subject)

    # MISP tags

    def tag(self, tag: str, subject: str = TAGS_SUBJECT) -> None:
        name = tag.strip()
        folded = name.casefold()
        said = (
            f"the tag {_quote(tag)}"
            if subject == TAGS_SUBJECT
            else f"the label {_quote(tag)} of {subject}"
        )
        if folded.startswith("tlp:"):
            self.sources.add(tag)
            tlp = _TLP_WORDS.get(_strip_prefix(name, "tlp:"))
            if tlp is None:
                self.note(f"{said} names no TLP level Garante knows")
            else:
                self.state("tlp", tlp.value, tag, subject)
        elif folded.startswith("pap:"):
            self.sources.add(tag)
            pap = _PAP_WORDS.get(_strip_prefix(name, "pap:"))
            if pap is None:
                self.note(f"{said} names no PAP level Garante knows")
            else:
                self.state("pap", pap.value, tag, subject)
        elif folded.startswith(_UNMAPPED_TAG_NAMESPACES):
            self.sources.add(tag)
            self.note(f"{said} states handling that Garante does not map")

    # The decision

    def markings(self, default: Tlp | None) -> Markings:
        tlps = self.levels("tlp")
        paps = self.levels("pap")
        for field, by_subject in (("TLP", tlps), ("PAP", paps)):
            for subject, values in by_subject.items():
                if len(values) > 1:
                    said = ", ".join(
                        f"{field}:{value.upper()} ({', '.join(sorted(sources))})"
                        for value, sources in sorted(values.items())
                    )
                    if subject == TAGS_SUBJECT:
                        self.note(f"the item's tags carry contradictory {field} levels: {said}")
                    else:
                        self.note_on(
                            subject, f"is marked with contradictory {field} levels: {said}"
                        )
        for reason, subjects in self.per_object.items():
            others = len(subjects) - 1
            also = f" (and {others} other object{'s' if others > 1 else ''})" if others else ""
            self.note(f"{subjects[0]}{also} {reason}")
        iep = self.iep()
        levels = {Tlp(value) for values in tlps.values() for value in values}
        tlp: Tlp | None
        if levels:
            tlp = max(levels, key=_TLP_RANK.__getitem__)
        elif default is not None:
            tlp = default
            self.state("tlp", default.value, "source default", TAGS_SUBJECT)
        else:
            tlp = None
            self.note("no TLP marking was found and the source has no default TLP")
        pap_levels = {Pap(value) for values in paps.values() for value in values}
        pap = max(pap_levels, key=_PAP_RANK.__getitem__) if pap_levels else None
        statements = tuple(sorted({s.value for s in self.found if s.field == "statement"}))
        return Markings(
            tlp=None if self.review else tlp,
            pap=pap,
            iep=iep,
            statements=statements,
            review=tuple(self.review),
            sources=tuple(sorted(self.sources)),
            provenance=tuple(self.found),
        )

    def levels(self, field: str) -> dict[str, dict[str, set[str]]]:
        """For each subject, each level of ``field`` stated on it and what stated it."""
        out: dict[str, dict[str, set[str]]] = {}
        for found in self.found:
            if found.field == field:
                out.setdefault(found.subject, {}).setdefault(found.value, set()).add(found.source)
        return out

    def iep(self) -> IepPolicy | None:
        if not self.ieps:
            return None
        policy = strictest(self.ieps)
        if isinstance(policy, str):
            self.note(policy)
            return None
        return policy


def read_markings(
    objects: Sequence[StixObject], *, tags: Sequence[str] = (), default: Tlp | None = None
) -> Markings:
    """Read the markings of an upstream item: its objects' and the upstream's tags.

    Every object's ``object_marking_refs``, ``granular_markings`` and ``tlp:``/``PAP:``
    labels (MISP tags as misp-stix carries them) count; marking
    definitions are looked up among ``objects`` (the four TLP 1.0 and five TLP 2.0 markings
    are known without). ``tags`` are the item's MISP tags (event and galaxy tags). The item's
    TLP is the most restrictive found; ``default`` (the source's configured default) applies
    only when no marking states a TLP at all, so that an upstream that marks nothing is
    neither refused nor, without a default, ever taken as CLEAR.
    """
    definitions = {
        str(obj["id"]): obj
        for obj in objects
        if obj.get("type") == "marking-definition" and isinstance(obj.get("id"), str)
    }
    reader = _Reader(definitions)
    for obj in objects:
        subject = str(obj.get("id", "an object with no id"))
        refs = obj.get("object_marking_refs")
        if isinstance(refs, list):
            for ref in refs:
                reader.marking_ref(ref, subject)
        elif refs is not None:
            reader.note_on(subject, "has object_marking_refs that are not a list")
        granular = obj.get("granular_markings")
        if isinstance(granular, list):
            for index, marking in enumerate(granular):
                if isinstance(marking, Mapping) and "marking_ref" in marking:
                    reader.marking_ref(marking["marking_ref"], f"{subject} (granular {index})")
                elif not (isinstance(marking, Mapping) and "lang" in marking):
                    reader.note_on(subject, "has a granular marking Garante cannot read")
        elif granular is not None:
            reader.note_on(subject, "has granular_markings that are not a list")
        labels = obj.get("labels")
        if isinstance(labels, list):
            # MISP tags that misp-stix carries as labels (an attribute's PAP: tag) mark it.
            for label in labels:
                if isinstance(label, str):
                    reader.tag(label, subject)
    for tag in tags:
        reader.tag(tag)
    return reader.markings(default)


def _quote(text: str, limit: int = 120) -> str:
    """Upstream text in a reason: quoted, and cut so that a hostile value cannot flood it."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _strip_prefix(value: str, prefix: str) -> str:
    word = value.strip().casefold()
    return word[len(prefix) :].strip() if word.startswith(prefix) else word


def _tlp_label(tlp: Tlp) -> str:
    return tlp.value.upper()


def _definition_tlp(definition: StixObject) -> Tlp | None:
    """The TLP a definition's own content states, if any (to check it against its id)."""
    body = definition.get("definition")
    kind = definition.get("definition_type")
    if isinstance(kind, str) and kind.casefold() == "tlp" and isinstance(body, Mapping):
        # Keys and values in any case, "TLP:" or not: {"tlp": "amber"}, {"TLP": "TLP:AMBER"}.
        said = {
            _strip_prefix(v, "tlp:")
            for k, v in body.items()
            if k.casefold() == "tlp" and isinstance(v, str)
        }
        return _TLP_WORDS.get(said.pop()) if len(said) == 1 else None
    extensions = definition.get("extensions")
    if isinstance(extensions, Mapping):
        extension = extensions.get(TLP2_EXTENSION_ID)
        if isinstance(extension, Mapping) and isinstance(extension.get("tlp_2_0"), str):
            return _TLP2_WORDS.get(str(extension["tlp_2_0"]).strip().casefold())
    return None


_IEP_ENUMS: Mapping[str, type[StrEnum]] = {
    "encrypt_in_transit": EncryptInTransit,
    "permitted_actions": PermittedActions,
    "affected_party_notifications": AffectedPartyNotifications,
    "provider_attribution": ProviderAttribution,
    "unmodified_resale": UnmodifiedResale,
}


def _read_iep(ref: str, body: Json, name: str | None) -> IepPolicy | str:
    """An IEP 2.0 policy from the extension's body, or why it is not one."""
    if not isinstance(body, Mapping):
        return f"marking-definition {ref} has an IEP 2.0 extension that is not an object"
    values: dict[str, StrEnum] = {}
    for field, enum in _IEP_ENUMS.items():
        raw = body.get(field)
        if isinstance(raw, str) and raw in {member.value for member in enum}:
            values[field] = enum(raw)
        else:
            accepted = ", ".join(member.value for member in enum)
            return f"marking-definition {ref} has IEP 2.0 {field} {raw!r} (accepted: {accepted})"
    raw_tlp = body.get("tlp")
    if raw_tlp not in _TLP1_WORDS:
        accepted = ", ".join(_TLP1_WORDS)
        return f"marking-definition {ref} has IEP 2.0 tlp {raw_tlp!r} (accepted: {accepted})"
    iep_id, description = body.get("iep_id"), body.get("description")
    start = body.get("start_date")
    version = body.get("iep_version")
    if not isinstance(iep_id, str) or not iep_id:
        return f"marking-definition {ref} has an IEP 2.0 policy without an iep_id"
    if not isinstance(start, str):
        return f"marking-definition {ref} has an IEP 2.0 policy without a start_date"
    if version not in (2, 2.0, "2.0"):
        return f"marking-definition {ref} has IEP version {version!r}, not 2.0"
    end = body.get("end_date")
    return IepPolicy(
        marking_ids=(ref,),
        iep_ids=(iep_id,),
        name=name,
        description=description if isinstance(description, str) else "",
        iep_version="2.0",
        encrypt_in_transit=EncryptInTransit(values["encrypt_in_transit"]),
        permitted_actions=PermittedActions(values["permitted_actions"]),
        affected_party_notifications=AffectedPartyNotifications(
            values["affected_party_notifications"]
        ),
        tlp=_TLP_WORDS[str(raw_tlp)],
        provider_attribution=ProviderAttribution(values["provider_attribution"]),
        unmodified_resale=UnmodifiedResale(values["unmodified_resale"]),
        start_date=start,
        end_date=end if isinstance(end, str) else None,
    )
