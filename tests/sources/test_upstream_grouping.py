"""What an item is: reports and groupings with their objects, the rest by the source's rule."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from garante.domain.errors import ValidationError
from garante.domain.vocabulary import Tlp
from garante.sources.grouping import Grouping, UpstreamItem, group_objects
from garante.stix.markings import TLP2_MARKING_IDS, StixObject, tlp_marking

AMBER = TLP2_MARKING_IDS[Tlp.AMBER]
BUNDLE = "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"


def obj(kind: str, n: int, **more: Any) -> StixObject:
    made: StixObject = {
        "type": kind,
        "spec_version": "2.1",
        "id": f"{kind}--{n:08d}-0000-4000-8000-000000000000",
        "created": "2026-01-02T03:04:05.000Z",
        "modified": "2026-01-02T03:04:05.000Z",
    }
    made.update(more)
    return made


def ids(item: UpstreamItem) -> list[str]:
    return [str(o["id"]) for o in item.objects]


INDICATOR = obj("indicator", 1, name="Go-fast boat beacon", object_marking_refs=[AMBER])
MALWARE = obj("malware", 2, name="Loader")
LOOSE = obj("indicator", 3, name="Loose end")
REPORT = obj(
    "report",
    9,
    name="Pacific route, week 44",
    modified="2026-01-05T00:00:00Z",
    object_refs=[INDICATOR["id"], MALWARE["id"]],
)


def test_a_report_with_its_objects_is_one_item_whatever_the_rule() -> None:
    for rule in Grouping:
        items = group_objects(
            [REPORT, INDICATOR, MALWARE, tlp_marking(Tlp.AMBER)], rule, bundle_id=BUNDLE
        )
        assert [item.upstream_id for item in items] == [REPORT["id"]]
        (item,) = items
        assert ids(item) == [REPORT["id"], INDICATOR["id"], MALWARE["id"], AMBER]
        assert item.title == "Pacific route, week 44"
        assert item.version == "2026-01-05T00:00:00Z"
        assert item.missing_refs == ()


def test_a_grouping_is_one_item_like_a_report() -> None:
    grouping = obj("grouping", 8, name="Event 17", context="suspicious-activity")
    grouping["object_refs"] = [MALWARE["id"]]
    (item,) = group_objects([grouping, MALWARE], Grouping.PER_OBJECT)
    assert item.upstream_id == grouping["id"]
    assert ids(item) == [grouping["id"], MALWARE["id"]]


def test_objects_no_report_claims_are_one_item_each_per_object() -> None:
    items = group_objects([REPORT, INDICATOR, MALWARE, LOOSE], Grouping.PER_OBJECT)
    assert [item.upstream_id for item in items] == [REPORT["id"], LOOSE["id"]]
    assert ids(items[1]) == [LOOSE["id"]]
    assert items[1].title == "Loose end"


def test_objects_no_report_claims_are_one_item_per_bundle() -> None:
    other = obj("identity", 4, name="Coast guard", modified="2026-02-01T00:00:00.000Z")
    items = group_objects(
        [LOOSE, REPORT, INDICATOR, MALWARE, other], Grouping.PER_BUNDLE, bundle_id=BUNDLE
    )
    assert [item.upstream_id for item in items] == [BUNDLE, REPORT["id"]]
    assert ids(items[0]) == [LOOSE["id"], other["id"]]
    assert items[0].version == "2026-02-01T00:00:00.000Z"


def test_grouping_per_bundle_needs_the_bundles_id() -> None:
    with pytest.raises(ValidationError) as raised:
        group_objects([LOOSE], Grouping.PER_BUNDLE)
    assert raised.value.field == "bundle_id"


def test_an_object_in_two_reports_is_in_both_items() -> None:
    second = obj("report", 10, name="Caribbean route", object_refs=[MALWARE["id"]])
    items = group_objects([REPORT, second, INDICATOR, MALWARE], Grouping.PER_OBJECT)
    assert [item.upstream_id for item in items] == [REPORT["id"], second["id"]]
    assert MALWARE["id"] in ids(items[0])
    assert MALWARE["id"] in ids(items[1])


def test_objects_a_report_names_but_the_upstream_did_not_send_are_listed() -> None:
    (item,) = group_objects([REPORT, MALWARE], Grouping.PER_OBJECT)
    assert item.missing_refs == (INDICATOR["id"],)
    assert ids(item) == [REPORT["id"], MALWARE["id"]]


def test_an_item_carries_the_marking_definitions_its_objects_reference() -> None:
    unused = {**tlp_marking(Tlp.RED)}
    (item,) = group_objects([INDICATOR, tlp_marking(Tlp.AMBER), unused], Grouping.PER_OBJECT)
    assert ids(item) == [INDICATOR["id"], AMBER]


def test_a_definition_is_never_an_item_alone() -> None:
    assert group_objects([tlp_marking(Tlp.RED)], Grouping.PER_OBJECT) == []


def test_the_version_is_modified_else_created_as_the_upstream_wrote_it() -> None:
    created_only = {k: v for k, v in LOOSE.items() if k != "modified"}
    created_only["created"] = "2026-01-02T03:04:05Z"
    observable: StixObject = {
        "type": "ipv4-addr",
        "spec_version": "2.1",
        "id": "ipv4-addr--1",
        "value": "203.0.113.5",
    }
    items = group_objects([created_only, observable], Grouping.PER_OBJECT)
    assert [item.version for item in items] == ["2026-01-02T03:04:05Z", ""]
    assert items[1].title == "ipv4-addr 203.0.113.5"


def test_of_several_versions_of_an_object_the_latest_is_read() -> None:
    newer = {**LOOSE, "modified": "2026-03-01T00:00:00Z", "name": "Loose end, revised"}
    (item,) = group_objects([newer, LOOSE], Grouping.PER_OBJECT)
    assert item.version == "2026-03-01T00:00:00Z"
    assert item.title == "Loose end, revised"


def test_a_revoked_report_or_object_is_a_revoked_item() -> None:
    report = {**REPORT, "revoked": True}
    loose = {**LOOSE, "revoked": True}
    items = group_objects([report, INDICATOR, MALWARE, loose], Grouping.PER_OBJECT)
    assert [item.revoked for item in items] == [True, True]
    assert not group_objects([REPORT, INDICATOR, MALWARE], Grouping.PER_OBJECT)[0].revoked


def test_a_bundle_item_is_revoked_when_all_its_objects_are() -> None:
    both = [{**LOOSE, "revoked": True}, {**MALWARE, "revoked": True}]
    assert group_objects(both, Grouping.PER_BUNDLE, bundle_id=BUNDLE)[0].revoked
    one = [{**LOOSE, "revoked": True}, MALWARE]
    assert not group_objects(one, Grouping.PER_BUNDLE, bundle_id=BUNDLE)[0].revoked


KINDS = ("indicator", "malware", "identity", "report", "grouping")


@st.composite
def upstream_pages(draw: st.DrawFn) -> list[StixObject]:
    """A page of objects, some of them reports or groupings naming others (or absent ones)."""
    count = draw(st.integers(min_value=1, max_value=12))
    made = [obj(draw(st.sampled_from(KINDS)), n) for n in range(count)]
    every = [str(o["id"]) for o in made] + ["indicator--99999999-0000-4000-8000-000000000000"]
    for o in made:
        if o["type"] in ("report", "grouping"):
            o["object_refs"] = draw(st.lists(st.sampled_from(every), max_size=5))
    return made


@given(upstream_pages(), st.sampled_from(list(Grouping)))
def test_every_object_is_in_an_item_and_every_container_is_one(
    page: list[StixObject], rule: Grouping
) -> None:
    items = group_objects(page, rule, bundle_id=BUNDLE)
    placed = {oid for item in items for oid in ids(item)}
    assert placed == {str(o["id"]) for o in page}
    containers = {str(o["id"]) for o in page if o["type"] in ("report", "grouping")}
    assert containers <= {item.upstream_id for item in items}
    present = {str(o["id"]) for o in page}
    for item in items:
        if item.upstream_id in containers:
            (container,) = [o for o in page if o["id"] == item.upstream_id]
            refs = container.get("object_refs") or []
            assert set(ids(item)) == {item.upstream_id} | (set(refs) & present)  # type: ignore[arg-type]
            assert set(item.missing_refs) == set(refs) - present  # type: ignore[arg-type]


def test_an_object_whose_type_is_not_text_is_still_placed() -> None:
    odd: StixObject = {"id": "x-odd--1", "type": {"not": "text"}}
    (item,) = group_objects([odd], Grouping.PER_OBJECT)
    assert item.upstream_id == "x-odd--1"
