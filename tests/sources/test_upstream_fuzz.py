"""Hostile upstream input: the pure readers answer, or raise a typed error; never a crash.

An upstream is outside Garante's control, so whatever it sends (valid examples mutated, and
arbitrary JSON) must end in a result or a ``GaranteError`` with a stable code, and a marking
result is never a TLP beside a reason to hold.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from garante.domain.errors import GaranteError
from garante.domain.vocabulary import Tlp
from garante.sources.grouping import Grouping, group_objects
from garante.sources.mapping import MappingRule, RuleOn, map_item
from garante.sources.markings import read_markings
from garante.sources.misp import event_to_bundle, load_event
from tests.fuzz.mutations import json_values, mutated, mutated_json
from tests.support.misp_feed import feed_json, misp_event

CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
FAST = settings(
    max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
SLOW = settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)

EVENT = feed_json(misp_event(tags=("tlp:amber", "PAP:GREEN"), attribute_tags=("tlp:red",)))
OBJECTS: list[dict[str, Any]] = event_to_bundle(EVENT).bundle["objects"]  # type: ignore[assignment]
RULES = [
    MappingRule(on=RuleOn.STIX_LABEL, pattern="misp:*", category="terrorism"),
    MappingRule(on=RuleOn.LOCATION, pattern="country:co", region="pacific"),
]
objects_like = st.one_of(
    mutated_json(OBJECTS), st.lists(st.dictionaries(st.text(max_size=8), json_values))
)


def dicts(value: Any) -> list[dict[str, Any]]:
    """The objects of a mutated list: its members that are still JSON objects."""
    return [o for o in value if isinstance(o, dict)] if isinstance(value, list) else []


def typed(error: GaranteError) -> None:
    assert CODE.match(error.code), error.code


@FAST
@given(objects_like, st.lists(st.text(max_size=30), max_size=4))
def test_read_markings_answers_anything_and_holds_rather_than_guess(
    objects: Any, tags: list[str]
) -> None:
    objects = dicts(objects)
    markings = read_markings(objects, tags=tags, default=Tlp.CLEAR)
    assert (markings.tlp is None) == bool(markings.review)


@FAST
@given(objects_like, st.sampled_from(list(Grouping)))
def test_group_objects_answers_anything_or_refuses_it_typed(objects: Any, rule: Grouping) -> None:
    objects = dicts(objects)
    try:
        group_objects(objects, rule, bundle_id="bundle--x")
    except GaranteError as error:
        typed(error)


@FAST
@given(objects_like, st.lists(st.text(max_size=30), max_size=4))
def test_map_item_answers_anything(objects: Any, tags: list[str]) -> None:
    objects = dicts(objects)
    mapped = map_item(
        objects, RULES, tags=tags, default_category="organised-crime", default_region="domestic"
    )
    assert mapped.category in {"terrorism", "organised-crime"}


@SLOW
@given(st.one_of(mutated_json(EVENT), json_values))
def test_a_mutated_misp_event_converts_or_is_refused_typed(event: Any) -> None:
    try:
        event_to_bundle(event)
    except GaranteError as error:
        typed(error)


@SLOW
@given(mutated(json.dumps(EVENT)))
def test_mutated_misp_event_text_converts_or_is_refused_typed(text: str) -> None:
    try:
        event_to_bundle(load_event(text))
    except GaranteError as error:
        typed(error)
