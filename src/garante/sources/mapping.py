"""An upstream item's category and region, from the source's mapping rules, else its defaults.

Orders and undertakings are scoped by category and region, so an ingested item needs both,
and the upstream does not speak Garante's vocabulary: it has MISP tags and galaxies, STIX
labels and location objects. A source carries ordered rules that translate them; the first
rule that matches decides each field, and the source's defaults fill what no rule decides.
Every value says which rule gave it, so an operator can see why an item is in a category.

Patterns are shell-style globs (``*``, ``?``, ``[...]``) matched without regard to case.
Location objects are matched as ``country:<ISO 3166 alpha-2>``, ``region:<STIX region>``,
``name:<name>``, ``administrative_area:<area>`` and ``city:<city>``, so that a rule says
which property it means (``country:CO``, ``region:caribbean``).

Pure: rules and JSON in, a frozen value out.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from garante.domain.errors import UnknownValue, ValidationError
from garante.domain.vocabulary import Vocabulary, suggest
from garante.stix.markings import StixObject

_LOCATION_PROPERTIES = ("country", "region", "name", "administrative_area", "city")


class RuleOn(StrEnum):
    """What a mapping rule looks at."""

    MISP_TAG = "misp-tag"
    MISP_GALAXY = "misp-galaxy"
    STIX_LABEL = "stix-label"
    LOCATION = "location"


@dataclass(frozen=True, kw_only=True)
class MappingRule:
    """When something the item carries (``on``) matches ``pattern``, it is in ``category``
    and/or ``region`` (at least one)."""

    on: RuleOn
    pattern: str
    category: str | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        if not self.pattern.strip():
            raise ValidationError("a mapping rule needs a pattern", field="pattern")
        if self.category is None and self.region is None:
            raise ValidationError(
                f"the mapping rule for {self.on.value} '{self.pattern}' maps to nothing",
                field="category",
                hint="give a category, a region, or both",
            )

    def describe(self) -> str:
        return f"{self.on.value} '{self.pattern}'"

    def to_dict(self) -> dict[str, str]:
        out = {"on": self.on.value, "pattern": self.pattern}
        if self.category is not None:
            out["category"] = self.category
        if self.region is not None:
            out["region"] = self.region
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> MappingRule:
        """A rule as a source's configuration states it (a TOML table or a JSON object)."""
        on = data.get("on")
        if not isinstance(on, str) or on not in {kind.value for kind in RuleOn}:
            raise UnknownValue(
                f"unknown mapping rule kind {on!r}",
                field="on",
                hint=suggest(str(on), [kind.value for kind in RuleOn]),
            )
        values: dict[str, str | None] = {}
        for key in ("pattern", "category", "region"):
            value = data.get(key)
            if value is not None and not isinstance(value, str):
                raise ValidationError(f"a mapping rule's {key} must be text", field=key)
            values[key] = value
        return cls(
            on=RuleOn(on),
            pattern=values["pattern"] or "",
            category=values["category"],
            region=values["region"],
        )


def check_rules(rules: Sequence[MappingRule], vocabulary: Vocabulary) -> None:
    """Refuse a rule naming a category or region outside the vocabulary, when it is set up
    rather than when an item first matches it."""
    for index, rule in enumerate(rules):
        if rule.category is not None:
            vocabulary.check("categories", [rule.category], field_name=f"rules[{index}].category")
        if rule.region is not None:
            vocabulary.check("regions", [rule.region], field_name=f"rules[{index}].region")


@dataclass(frozen=True, kw_only=True)
class Mapped:
    """An item's category and region, and what gave each: a rule and the value it matched
    (``misp-tag 'tlp:*' matched 'tlp:red'``), or ``source default``."""

    category: str
    region: str
    category_from: str
    region_from: str


def map_item(
    objects: Sequence[StixObject],
    rules: Sequence[MappingRule],
    *,
    default_category: str,
    default_region: str,
    tags: Sequence[str] = (),
    galaxies: Sequence[str] = (),
) -> Mapped:
    """Category and region of the item made of ``objects`` (with its MISP ``tags`` and galaxy
    tags ``galaxies``), by the first matching rule for each, else the defaults."""
    seen = _evidence(objects, tags, galaxies)
    category: tuple[str, str] | None = None
    region: tuple[str, str] | None = None
    for rule in rules:
        if (rule.category is None or category is not None) and (
            rule.region is None or region is not None
        ):
            continue
        matched = _first_match(rule, seen[rule.on])
        if matched is None:
            continue
        because = f"{rule.describe()} matched '{matched}'"
        if rule.category is not None and category is None:
            category = (rule.category, because)
        if rule.region is not None and region is None:
            region = (rule.region, because)
    category = category or (default_category, "source default")
    region = region or (default_region, "source default")
    return Mapped(
        category=category[0],
        region=region[0],
        category_from=category[1],
        region_from=region[1],
    )


def _first_match(rule: MappingRule, values: Sequence[str]) -> str | None:
    pattern = rule.pattern.casefold()
    for value in values:
        if fnmatch.fnmatchcase(value.casefold(), pattern):
            return value
    return None


def _evidence(
    objects: Sequence[StixObject], tags: Sequence[str], galaxies: Sequence[str]
) -> dict[RuleOn, list[str]]:
    """What each kind of rule can match in the item, in upstream order, each once."""
    labels: dict[str, None] = {}
    locations: dict[str, None] = {}
    for obj in objects:
        found = obj.get("labels")
        if isinstance(found, list):
            labels.update((label, None) for label in found if isinstance(label, str))
        if obj.get("type") == "location":
            for name in _LOCATION_PROPERTIES:
                value = obj.get(name)
                if isinstance(value, str) and value.strip():
                    locations[f"{name}:{value.strip()}"] = None
    galaxy_tags = dict.fromkeys([*galaxies, *(t for t in tags if t.startswith("misp-galaxy:"))])
    return {
        RuleOn.MISP_TAG: list(dict.fromkeys(tags)),
        RuleOn.MISP_GALAXY: list(galaxy_tags),
        RuleOn.STIX_LABEL: list(labels),
        RuleOn.LOCATION: list(locations),
    }
