"""Category and region from a source's rules (MISP tags and galaxies, STIX labels, locations),
else its defaults, each saying which rule gave it."""

from __future__ import annotations

import pytest

from garante.domain.errors import UnknownValue, ValidationError
from garante.domain.vocabulary import Vocabulary
from garante.sources.mapping import Mapped, MappingRule, RuleOn, check_rules, map_item
from garante.stix.markings import StixObject

CLAN = 'misp-galaxy:threat-actor="Clan del Golfo"'


def location(**properties: str) -> StixObject:
    made: StixObject = {
        "type": "location",
        "spec_version": "2.1",
        "id": "location--a6e9345f-5a15-4c29-8bb3-7dcc5d168d64",
        "created": "2026-01-02T03:04:05.000Z",
        "modified": "2026-01-02T03:04:05.000Z",
    }
    made.update(properties)
    return made


def labelled(*labels: str) -> StixObject:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2",
        "created": "2026-01-02T03:04:05.000Z",
        "modified": "2026-01-02T03:04:05.000Z",
        "labels": list(labels),
    }


def mapped(
    objects: list[StixObject],
    rules: list[MappingRule],
    tags: tuple[str, ...] = (),
    galaxies: tuple[str, ...] = (),
) -> Mapped:
    return map_item(
        objects,
        rules,
        tags=tags,
        galaxies=galaxies,
        default_category="organised-crime",
        default_region="international",
    )


def test_no_rule_matching_gives_the_sources_defaults() -> None:
    result = mapped(
        [labelled("benign")],
        [MappingRule(on=RuleOn.STIX_LABEL, pattern="drugs", category="drug-trafficking")],
    )
    assert (result.category, result.region) == ("organised-crime", "international")
    assert result.category_from == result.region_from == "source default"


def test_a_misp_tag_maps_to_a_category() -> None:
    rule = MappingRule(on=RuleOn.MISP_TAG, pattern="crime:drugs*", category="drug-trafficking")
    result = mapped([], [rule], tags=("tlp:amber", "crime:drugs-cocaine"))
    assert result.category == "drug-trafficking"
    assert result.category_from == "misp-tag 'crime:drugs*' matched 'crime:drugs-cocaine'"
    assert result.region == "international"


def test_a_misp_galaxy_maps_to_a_category() -> None:
    rule = MappingRule(
        on=RuleOn.MISP_GALAXY,
        pattern='misp-galaxy:threat-actor="Clan*"',
        category="organised-crime",
    )
    assert mapped([], [rule], galaxies=(CLAN,)).category_from.startswith("misp-galaxy")


def test_a_galaxy_carried_as_a_tag_matches_a_galaxy_rule() -> None:
    rule = MappingRule(
        on=RuleOn.MISP_GALAXY, pattern="*clan del golfo*", category="drug-trafficking"
    )
    assert mapped([], [rule], tags=(CLAN,)).category == "drug-trafficking"


def test_a_stix_label_maps_to_a_category_ignoring_case() -> None:
    rule = MappingRule(
        on=RuleOn.STIX_LABEL, pattern="MONEY-LAUNDERING", category="money-laundering"
    )
    assert mapped([labelled("money-laundering")], [rule]).category == "money-laundering"


@pytest.mark.parametrize(
    ("place", "pattern"),
    [
        (location(country="CO"), "country:co"),
        (location(region="caribbean"), "region:caribbean"),
        (location(name="Tumaco"), "name:Tumaco"),
        (location(city="Buenaventura", country="CO"), "city:Buenaventura"),
    ],
)
def test_a_location_object_maps_to_a_region(place: StixObject, pattern: str) -> None:
    rule = MappingRule(on=RuleOn.LOCATION, pattern=pattern, region="pacific")
    result = mapped([labelled(), place], [rule])
    assert result.region == "pacific"
    assert result.region_from.startswith(f"location '{pattern}' matched")
    assert result.category == "organised-crime"


def test_the_first_matching_rule_decides_each_field() -> None:
    rules = [
        MappingRule(on=RuleOn.STIX_LABEL, pattern="absent", category="terrorism"),
        MappingRule(on=RuleOn.STIX_LABEL, pattern="cocaine", category="drug-trafficking"),
        MappingRule(
            on=RuleOn.STIX_LABEL, pattern="*", category="money-laundering", region="andean"
        ),
    ]
    result = mapped([labelled("cocaine")], rules)
    assert result.category == "drug-trafficking"
    assert result.region == "andean"


def test_one_rule_can_give_both_fields() -> None:
    rule = MappingRule(
        on=RuleOn.LOCATION, pattern="country:EC", category="maritime-interdiction", region="pacific"
    )
    result = mapped([location(country="EC")], [rule])
    assert (result.category, result.region) == ("maritime-interdiction", "pacific")


def test_a_rule_mapping_to_nothing_is_refused() -> None:
    with pytest.raises(ValidationError):
        MappingRule(on=RuleOn.STIX_LABEL, pattern="x")


def test_a_rule_without_a_pattern_is_refused() -> None:
    with pytest.raises(ValidationError):
        MappingRule(on=RuleOn.STIX_LABEL, pattern=" ", category="terrorism")


def test_rules_round_trip_through_their_configuration_form() -> None:
    rule = MappingRule(on=RuleOn.MISP_GALAXY, pattern=CLAN, category="drug-trafficking")
    assert MappingRule.from_dict(rule.to_dict()) == rule


def test_an_unknown_rule_kind_is_refused_with_a_suggestion() -> None:
    with pytest.raises(UnknownValue) as raised:
        MappingRule.from_dict({"on": "misp-tags", "pattern": "x", "category": "terrorism"})
    assert raised.value.hint is not None
    assert "misp-tag" in raised.value.hint


def test_rules_naming_a_category_outside_the_vocabulary_are_refused() -> None:
    rules = [MappingRule(on=RuleOn.STIX_LABEL, pattern="x", category="drugs")]
    with pytest.raises(UnknownValue) as raised:
        check_rules(rules, Vocabulary())
    assert raised.value.field == "rules[0].category"
    check_rules([MappingRule(on=RuleOn.STIX_LABEL, pattern="x", region="pacific")], Vocabulary())
