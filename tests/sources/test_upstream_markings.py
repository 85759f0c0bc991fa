"""Upstream markings map to an item's TLP, PAP and IEP policy without loss, failing closed.

Each row of the tables is one rule of docs/sources.md "Markings"; the properties at the end
hold for any mix of known markings: the item's TLP is the most restrictive, and every marking
read is listed in ``sources``.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from garante.domain.agreement import TLP_ORDER
from garante.domain.vocabulary import Tlp
from garante.sources.markings import (
    IEP2_EXTENSION_ID,
    TLP1_MARKING_IDS,
    EncryptInTransit,
    Markings,
    Pap,
    PermittedActions,
    ProviderAttribution,
    read_markings,
)
from garante.stix.markings import TLP2_EXTENSION_ID, TLP2_MARKING_IDS, StixObject, tlp_marking

TLP1 = {tlp: marking for marking, tlp in TLP1_MARKING_IDS.items()}
WHITE, GREEN1, AMBER1, RED1 = TLP1[Tlp.CLEAR], TLP1[Tlp.GREEN], TLP1[Tlp.AMBER], TLP1[Tlp.RED]
INDICATOR = "indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2"
REPORT = "report--84e4d88f-44ea-4bcd-bbf3-b2c1c320bcb3"
CUSTOM_TLP2 = "marking-definition--0b4a2b5e-7b55-4b44-a7c5-2ea5a1c5b6f1"
STATEMENT = "marking-definition--3cd55916-d34b-4747-a8e0-dedec14b711b"
IEP = "marking-definition--da05d443-ad8d-46fc-abf5-31d3d00290f1"
UNKNOWN = "marking-definition--5d1e6c0f-4f0e-4d5c-9d1e-6c0f4f0e4d5c"


def sdo(object_id: str = INDICATOR, *refs: str, **more: Any) -> StixObject:
    obj: StixObject = {
        "type": object_id.split("--")[0],
        "spec_version": "2.1",
        "id": object_id,
        "created": "2026-01-02T03:04:05.000Z",
        "modified": "2026-01-02T03:04:05.000Z",
    }
    if refs:
        obj["object_marking_refs"] = list(refs)
    obj.update(more)
    return obj


def tlp2_definition(marking_id: str, level: str) -> StixObject:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": marking_id,
        "created": "2022-10-01T00:00:00.000Z",
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level}
        },
    }


def iep_definition(marking_id: str = IEP, **fields: Any) -> StixObject:
    body: dict[str, Any] = {
        "extension_type": "property-extension",
        "encrypt_in_transit": "may",
        "permitted_actions": "externally-visible-direct-actions",
        "affected_party_notifications": "may",
        "tlp": "amber",
        "provider_attribution": "must-not",
        "unmodified_resale": "must-not",
        "iep_id": "0224bfdf-ea3a-49c3-96f6-66d908bb1845",
        "iep_version": 2.0,
        "description": "This is a TLP-AMBER Information Exchange Policy",
        "start_date": "2022-10-01T00:00:00Z",
    }
    body.update(fields)
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": marking_id,
        "created": "2024-01-10T14:52:41.853121Z",
        "name": "IEP data marking",
        "extensions": {IEP2_EXTENSION_ID: body},
    }


def statement_definition() -> StixObject:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": STATEMENT,
        "created": "2020-12-22T00:00:00.000Z",
        "definition_type": "statement",
        "definition": {"statement": "Copyright 2020 - The MITRE Corporation, Inc."},
    }


# --- Which marking gives which TLP ------------------------------------------------------------

TLP_CASES = [
    pytest.param([sdo(INDICATOR, WHITE)], (), Tlp.CLEAR, id="tlp1-white-is-clear"),
    pytest.param([sdo(INDICATOR, GREEN1)], (), Tlp.GREEN, id="tlp1-green"),
    pytest.param([sdo(INDICATOR, AMBER1)], (), Tlp.AMBER, id="tlp1-amber"),
    pytest.param([sdo(INDICATOR, RED1)], (), Tlp.RED, id="tlp1-red"),
    *(
        pytest.param([sdo(INDICATOR, TLP2_MARKING_IDS[tlp])], (), tlp, id=f"tlp2-{tlp.value}")
        for tlp in Tlp
    ),
    pytest.param(
        [sdo(INDICATOR, CUSTOM_TLP2), tlp2_definition(CUSTOM_TLP2, "amber+strict")],
        (),
        Tlp.AMBER_STRICT,
        id="tlp2-extension-on-another-id",
    ),
    pytest.param(
        [sdo(INDICATOR, TLP2_MARKING_IDS[Tlp.AMBER]), tlp_marking(Tlp.AMBER)],
        (),
        Tlp.AMBER,
        id="tlp2-definition-given-with-its-id",
    ),
    pytest.param([sdo()], ("tlp:white",), Tlp.CLEAR, id="misp-tlp-white"),
    pytest.param([sdo()], ("tlp:clear",), Tlp.CLEAR, id="misp-tlp-clear"),
    pytest.param([sdo()], ("tlp:green",), Tlp.GREEN, id="misp-tlp-green"),
    pytest.param([sdo()], ("tlp:amber",), Tlp.AMBER, id="misp-tlp-amber"),
    pytest.param([sdo()], ("tlp:amber+strict",), Tlp.AMBER_STRICT, id="misp-tlp-amber-strict"),
    pytest.param([sdo()], ("tlp:red",), Tlp.RED, id="misp-tlp-red"),
    pytest.param([sdo()], ("TLP:Amber+Strict",), Tlp.AMBER_STRICT, id="misp-tag-any-case"),
    pytest.param([sdo(INDICATOR, IEP), iep_definition()], (), Tlp.AMBER, id="iep2-tlp"),
    pytest.param(
        [sdo(INDICATOR, IEP), iep_definition(tlp="white")], (), Tlp.CLEAR, id="iep2-white"
    ),
    pytest.param(
        [sdo(REPORT, GREEN1), sdo(INDICATOR, RED1)],
        (),
        Tlp.RED,
        id="most-restrictive-across-objects",
    ),
    pytest.param(
        [sdo(INDICATOR, GREEN1)], ("tlp:amber",), Tlp.AMBER, id="most-restrictive-tags-and-objects"
    ),
    pytest.param(
        [sdo(INDICATOR, WHITE, TLP2_MARKING_IDS[Tlp.CLEAR])],
        (),
        Tlp.CLEAR,
        id="tlp1-white-and-tlp2-clear-agree",
    ),
    pytest.param(
        [
            sdo(
                INDICATOR,
                GREEN1,
                granular_markings=[{"marking_ref": RED1, "selectors": ["description"]}],
            )
        ],
        (),
        Tlp.RED,
        id="granular-marking-counts",
    ),
]


@pytest.mark.parametrize(("objects", "tags", "expected"), TLP_CASES)
def test_each_known_marking_maps_to_its_tlp(
    objects: list[StixObject], tags: tuple[str, ...], expected: Tlp
) -> None:
    markings = read_markings(objects, tags=tags)
    assert markings.review == ()
    assert markings.tlp is expected


# --- Failing closed ----------------------------------------------------------------------------

HELD_CASES = [
    pytest.param([sdo(INDICATOR, UNKNOWN)], (), UNKNOWN, id="unknown-definition-referenced"),
    pytest.param([sdo()], ("tlp:ex:chr",), "tlp:ex:chr", id="unknown-tlp-tag"),
    pytest.param([sdo()], ("tlp:purple",), "tlp:purple", id="unknown-tlp-tag-value"),
    pytest.param([sdo()], ("PAP:ORANGE",), "PAP:ORANGE", id="unknown-pap-tag"),
    pytest.param(
        [sdo(INDICATOR, AMBER1, RED1)], (), "contradictory TLP", id="two-tlp1-levels-one-object"
    ),
    pytest.param(
        [sdo(INDICATOR, WHITE, TLP2_MARKING_IDS[Tlp.RED])],
        (),
        "contradictory TLP",
        id="tlp1-white-with-tlp2-red",
    ),
    pytest.param(
        [sdo(INDICATOR, TLP2_MARKING_IDS[Tlp.AMBER], TLP2_MARKING_IDS[Tlp.AMBER_STRICT])],
        (),
        "contradictory TLP",
        id="amber-and-amber-strict-one-object",
    ),
    pytest.param([sdo()], ("tlp:green", "tlp:red"), "contradictory TLP", id="two-tlp-tags"),
    pytest.param([sdo()], ("PAP:GREEN", "PAP:RED"), "contradictory PAP", id="two-pap-tags"),
    pytest.param([sdo()], (), "no TLP marking", id="no-marking-no-default"),
    pytest.param(
        [sdo(INDICATOR, WHITE, "tlp-white"), {**tlp_marking(Tlp.RED), "id": WHITE}],
        (),
        "content says TLP:RED",
        id="well-known-id-with-other-content",
    ),
    pytest.param(
        [sdo(INDICATOR, CUSTOM_TLP2), tlp2_definition(CUSTOM_TLP2, "white")],
        (),
        CUSTOM_TLP2,
        id="tlp2-extension-saying-white",
    ),
    pytest.param(
        [sdo(INDICATOR, IEP), iep_definition(permitted_actions="anything")],
        (),
        "permitted_actions",
        id="iep2-field-out-of-its-enum",
    ),
    pytest.param(
        [sdo(INDICATOR, IEP), iep_definition(iep_version=1.0)],
        (),
        "IEP version",
        id="iep-version-not-2",
    ),
    pytest.param(
        [
            sdo(INDICATOR, IEP),
            sdo(REPORT, "marking-definition--1e8a0b6e-2d1b-4c8b-8d0c-3b8e9a1f2c3d"),
            iep_definition(),
            iep_definition(
                "marking-definition--1e8a0b6e-2d1b-4c8b-8d0c-3b8e9a1f2c3d",
                iep_id="8c1a9e53-1a2b-4c3d-9e8f-0a1b2c3d4e5f",
                provider_attribution="must",
            ),
        ],
        (),
        "disagree on provider attribution",
        id="iep-policies-requiring-and-forbidding-attribution",
    ),
    pytest.param(
        [
            sdo(INDICATOR, UNKNOWN),
            {
                "type": "marking-definition",
                "id": UNKNOWN,
                "created": "2024-01-01T00:00:00Z",
                "extensions": {"extension-definition--3a65884d-005a-4290-8335-cb2d778a83ce": {}},
            },
        ],
        (),
        "does not map",
        id="definition-of-an-unmapped-extension",
    ),
    pytest.param([sdo()], ('iep2-policy:tlp="red"',), "does not map", id="iep-taxonomy-tag"),
]


@pytest.mark.parametrize(("objects", "tags", "reason"), HELD_CASES)
def test_an_unreadable_or_contradictory_marking_holds_the_item_with_a_reason(
    objects: list[StixObject], tags: tuple[str, ...], reason: str
) -> None:
    markings = read_markings(objects, tags=tags)
    assert markings.tlp is None
    assert any(reason in line for line in markings.review), markings.review


def test_an_unknown_marking_is_held_even_beside_a_clear_one() -> None:
    markings = read_markings([sdo(INDICATOR, WHITE), sdo(REPORT, UNKNOWN)])
    assert markings.tlp is None
    assert markings.held


def test_no_marking_takes_the_sources_default() -> None:
    markings = read_markings([sdo()], default=Tlp.AMBER)
    assert markings.tlp is Tlp.AMBER
    assert markings.review == ()
    assert [(s.field, s.source) for s in markings.provenance] == [("tlp", "source default")]


def test_the_default_does_not_override_a_stated_marking() -> None:
    assert read_markings([sdo(INDICATOR, GREEN1)], default=Tlp.RED).tlp is Tlp.GREEN


def test_the_default_does_not_lift_a_hold() -> None:
    assert read_markings([sdo(INDICATOR, UNKNOWN)], default=Tlp.RED).tlp is None


def test_other_tags_are_not_markings() -> None:
    markings = read_markings([sdo()], tags=("tlp:green", 'misp-galaxy:threat-actor="APT1"'))
    assert markings.tlp is Tlp.GREEN
    assert markings.sources == ("tlp:green",)


# --- PAP, IEP and statements -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "pap"),
    [
        ("PAP:CLEAR", Pap.CLEAR),
        ("PAP:WHITE", Pap.CLEAR),
        ("PAP:GREEN", Pap.GREEN),
        ("pap:amber", Pap.AMBER),
        ("PAP:RED", Pap.RED),
    ],
)
def test_pap_tags_map_to_pap(tag: str, pap: Pap) -> None:
    markings = read_markings([sdo(INDICATOR, GREEN1)], tags=(tag,))
    assert markings.pap is pap
    assert markings.tlp is Tlp.GREEN


def test_a_pap_marking_definition_maps_to_pap() -> None:
    pap = "marking-definition--c2a1b1e0-1d1f-4b6a-9f3a-2c7e5b8d9a0f"
    definition: StixObject = {
        "type": "marking-definition",
        "id": pap,
        "created": "2024-01-01T00:00:00Z",
        "definition_type": "PAP",
        "definition": {"PAP": "PAP:AMBER"},
    }
    markings = read_markings([sdo(INDICATOR, GREEN1, pap), definition])
    assert markings.pap is Pap.AMBER


def test_pap_is_the_most_restrictive_across_objects() -> None:
    pap = "marking-definition--c2a1b1e0-1d1f-4b6a-9f3a-2c7e5b8d9a0f"
    definition: StixObject = {
        "type": "marking-definition",
        "id": pap,
        "created": "2024-01-01T00:00:00Z",
        "definition_type": "pap",
        "definition": {"pap": "red"},
    }
    markings = read_markings([sdo(INDICATOR, GREEN1, pap), definition], tags=("PAP:GREEN",))
    assert markings.pap is Pap.RED


def test_an_iep2_policy_is_read_field_by_field() -> None:
    markings = read_markings([sdo(INDICATOR, IEP), iep_definition(end_date="2027-01-01T00:00:00Z")])
    iep = markings.iep
    assert iep is not None
    assert iep.marking_ids == (IEP,)
    assert iep.iep_ids == ("0224bfdf-ea3a-49c3-96f6-66d908bb1845",)
    assert iep.name == "IEP data marking"
    assert iep.permitted_actions is PermittedActions.EXTERNALLY_VISIBLE_DIRECT_ACTIONS
    assert iep.provider_attribution is ProviderAttribution.MUST_NOT
    assert iep.tlp is Tlp.AMBER
    assert iep.end_date == "2027-01-01T00:00:00Z"


def test_the_same_iep_policy_on_two_objects_is_one_policy() -> None:
    other = "marking-definition--1e8a0b6e-2d1b-4c8b-8d0c-3b8e9a1f2c3d"
    markings = read_markings(
        [sdo(INDICATOR, IEP), sdo(REPORT, other), iep_definition(), iep_definition(other)]
    )
    assert markings.review == ()
    assert markings.iep is not None


def test_several_iep_policies_combine_into_the_strictest() -> None:
    other = "marking-definition--1e8a0b6e-2d1b-4c8b-8d0c-3b8e9a1f2c3d"
    strict = iep_definition(
        other,
        iep_id="8c1a9e53-1a2b-4c3d-9e8f-0a1b2c3d4e5f",
        tlp="red",
        encrypt_in_transit="must",
        permitted_actions="contact-for-instruction",
        start_date="2023-01-01T00:00:00Z",
        end_date="2030-01-01T00:00:00Z",
    )
    markings = read_markings([sdo(INDICATOR, IEP), sdo(REPORT, other), iep_definition(), strict])
    iep = markings.iep
    assert iep is not None
    assert iep.marking_ids == tuple(sorted((IEP, other)))
    assert len(iep.iep_ids) == 2
    assert iep.tlp is Tlp.RED
    assert iep.encrypt_in_transit is EncryptInTransit.MUST
    assert iep.permitted_actions is PermittedActions.CONTACT_FOR_INSTRUCTION
    assert iep.start_date == "2023-01-01T00:00:00Z"
    assert iep.end_date == "2030-01-01T00:00:00Z"
    assert markings.tlp is Tlp.RED


def test_a_statement_marking_is_kept_and_needs_a_tlp_beside_it() -> None:
    alone = read_markings([sdo(INDICATOR, STATEMENT), statement_definition()])
    assert alone.statements == ("Copyright 2020 - The MITRE Corporation, Inc.",)
    assert alone.tlp is None
    beside = read_markings([sdo(INDICATOR, STATEMENT, GREEN1), statement_definition()])
    assert beside.tlp is Tlp.GREEN
    assert beside.statements == alone.statements


def test_provenance_names_the_object_and_the_marking_of_each_statement() -> None:
    markings = read_markings([sdo(REPORT, GREEN1), sdo(INDICATOR, RED1)], tags=("PAP:AMBER",))
    said = {(s.field, s.value, s.source, s.subject) for s in markings.provenance}
    assert said == {
        ("tlp", "green", GREEN1, REPORT),
        ("tlp", "red", RED1, INDICATOR),
        ("pap", "amber", "PAP:AMBER", "tags"),
    }


def test_a_misp_tag_and_the_marking_misp_stix_makes_of_it_agree() -> None:
    # misp-stix turns the event's tlp:amber+strict tag into the TLP 2.0 definition on the
    # report, and Garante reads both: they must not look contradictory.
    objects = [sdo(REPORT, TLP2_MARKING_IDS[Tlp.AMBER_STRICT]), tlp_marking(Tlp.AMBER_STRICT)]
    markings = read_markings(objects, tags=("tlp:amber+strict",))
    assert markings.tlp is Tlp.AMBER_STRICT
    assert markings.review == ()


# --- Properties ---------------------------------------------------------------------------------

# Every known way to say each TLP level: (marking ref or tag, definition objects it needs).
KNOWN: dict[Tlp, list[tuple[str, bool, list[StixObject]]]] = {tlp: [] for tlp in Tlp}
for _marking, _tlp in TLP1_MARKING_IDS.items():
    KNOWN[_tlp].append((_marking, False, []))
for _tlp, _marking in TLP2_MARKING_IDS.items():
    KNOWN[_tlp].append((_marking, False, []))
    KNOWN[_tlp].append((_marking, False, [tlp_marking(_tlp)]))
    _custom = f"marking-definition--{uuid.uuid5(uuid.NAMESPACE_URL, 'tlp2:' + _tlp.value)}"
    KNOWN[_tlp].append((_custom, False, [tlp2_definition(_custom, _tlp.value)]))
    KNOWN[_tlp].append((f"tlp:{_tlp.value}", True, []))
KNOWN[Tlp.CLEAR].append(("tlp:white", True, []))
for _word, _tlp in (
    ("white", Tlp.CLEAR),
    ("green", Tlp.GREEN),
    ("amber", Tlp.AMBER),
    ("red", Tlp.RED),
):
    _iep = f"marking-definition--{uuid.uuid5(uuid.NAMESPACE_URL, 'iep:' + _word)}"
    KNOWN[_tlp].append((_iep, False, [iep_definition(_iep, tlp=_word)]))

way = st.sampled_from(list(Tlp)).flatmap(
    lambda tlp: st.tuples(st.just(tlp), st.sampled_from(KNOWN[tlp]))
)


@st.composite
def marked_items(draw: st.DrawFn) -> tuple[list[StixObject], list[str], list[Tlp], list[str]]:
    """Objects each marked with one level (said one or more ways), plus at most one TLP tag."""
    objects: list[StixObject] = []
    tags: list[str] = []
    levels: list[Tlp] = []
    markings: list[str] = []
    definitions: dict[str, StixObject] = {}
    for index in range(draw(st.integers(min_value=1, max_value=4))):
        tlp = draw(st.sampled_from(list(Tlp)))
        chosen = draw(st.lists(st.sampled_from(KNOWN[tlp]), min_size=1, max_size=3))
        refs = [ref for ref, is_tag, _ in chosen if not is_tag]
        tag_ways = [ref for ref, is_tag, _ in chosen if is_tag]
        if tag_ways and not tags:
            tags.append(tag_ways[0])
            markings.append(tag_ways[0])
            levels.append(tlp)
        if refs:
            object_id = f"indicator--{index:08d}-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
            objects.append(sdo(object_id, *dict.fromkeys(refs)))
            levels.append(tlp)
            markings.extend(refs)
        for _, _, needed in chosen:
            for definition in needed:
                definitions[str(definition["id"])] = definition
    objects.extend(definitions.values())
    if not levels:
        objects.append(sdo(INDICATOR, WHITE))
        levels.append(Tlp.CLEAR)
        markings.append(WHITE)
    return objects, tags, levels, markings


@given(marked_items())
def test_any_mix_of_known_markings_gives_the_most_restrictive_and_drops_none(
    case: tuple[list[StixObject], list[str], list[Tlp], list[str]],
) -> None:
    objects, tags, levels, markings = case
    result = read_markings(objects, tags=tags)
    assert result.review == ()
    assert result.tlp is max(levels, key=TLP_ORDER.index)
    assert set(markings) <= set(result.sources)


@given(marked_items(), st.sampled_from([UNKNOWN, "tlp:unclear", "PAP:BLUE"]))
def test_one_unknown_marking_in_any_mix_holds_the_item(
    case: tuple[list[StixObject], list[str], list[Tlp], list[str]], unknown: str
) -> None:
    objects, tags, _, _ = case
    if unknown.startswith("marking-definition--"):
        objects = [*objects, sdo(REPORT, unknown)]
    else:
        tags = [*tags, unknown]
    result: Markings = read_markings(objects, tags=tags, default=Tlp.CLEAR)
    assert result.tlp is None
    assert unknown in result.sources


def test_a_tlp_or_pap_label_on_an_object_counts_as_its_marking() -> None:
    markings = read_markings([sdo(INDICATOR, GREEN1, labels=["PAP:RED", "malicious-activity"])])
    assert markings.pap is Pap.RED
    assert markings.sources == tuple(sorted((GREEN1, "PAP:RED")))


def test_a_label_contradicting_its_objects_marking_holds_the_item() -> None:
    markings = read_markings([sdo(INDICATOR, GREEN1, labels=["tlp:red"])])
    assert markings.tlp is None
    assert any("contradictory TLP" in reason for reason in markings.review)


def test_many_objects_marked_alike_give_one_reason() -> None:
    objects = [sdo(f"indicator--{n:08d}-0000-4000-8000-000000000000", UNKNOWN) for n in range(500)]
    markings = read_markings(objects, default=Tlp.GREEN)
    assert len(markings.review) == 1
    assert "and 499 other objects" in markings.review[0]
    assert UNKNOWN in markings.review[0]


def test_hostile_text_in_a_reason_is_cut() -> None:
    markings = read_markings([sdo()], tags=("tlp:" + "x" * 10_000,))
    assert markings.tlp is None
    assert len(markings.review[0]) < 300


@pytest.mark.parametrize(
    "definition",
    [{"tlp": "amber+strict"}, {"TLP": "TLP:AMBER+STRICT"}, {"Tlp": " tlp:Amber+Strict "}],
)
def test_a_tlp_definition_under_another_id_maps_in_any_case(definition: dict[str, str]) -> None:
    marking = "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"
    stated: StixObject = {
        "type": "marking-definition",
        "id": marking,
        "created": "2024-01-01T00:00:00Z",
        "definition_type": "TLP",
        "definition": dict(definition),
    }
    assert read_markings([sdo(INDICATOR, marking), stated]).tlp is Tlp.AMBER_STRICT
