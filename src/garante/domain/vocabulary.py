"""Configurable vocabularies and the closed sets of the brief.

Closed sets (TLP, order effects, decision outcomes) are enums: a value outside them is a bug
or an attack, and the decision engine fails closed on it. Purposes, categories, regions and
protections are vocabularies an operator configures; they are plain strings checked against
the vocabulary at the edge, with a suggestion when a value is close to a known one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from garante.domain.errors import UnknownValue


class Tlp(StrEnum):
    """TLP 2.0 labels (FIRST, 2022)."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"


DEFAULT_PURPOSES = (
    "interdiction",
    "seizure",
    "arrest",
    "prosecution",
    "analysis",
    "onward-sharing",
    "lethal-force",
)
DEFAULT_CATEGORIES = (
    "drug-trafficking",
    "maritime-interdiction",
    "money-laundering",
    "organised-crime",
    "joint-casework",
    "terrorism",
)
DEFAULT_REGIONS = ("caribbean", "pacific", "andean", "amazon", "domestic", "international")
DEFAULT_PROTECTIONS = ("protection-of-life", "human-rights", "due-process", "data-minimisation")


_LABELS = {
    "purposes": "purpose",
    "categories": "category",
    "regions": "region",
    "protections": "protection",
}


def suggest(value: str, known: Iterable[str]) -> str:
    """A "did you mean" hint, because scope typos are the likeliest way an order misfires."""
    options = sorted(known)
    # Ids are lower case; 'DEA' for 'dea' is the likeliest slip of all.
    same = [option for option in options if option.casefold() == value.casefold()]
    close = same or difflib.get_close_matches(value.casefold(), options, n=1)
    accepted = ", ".join(options)
    if close:
        return f"did you mean '{close[0]}'? accepted: {accepted}"
    return f"accepted: {accepted}"


@dataclass(frozen=True, kw_only=True)
class Vocabulary:
    """The operator's vocabularies; decisions read it to fail closed on unknown terms."""

    purposes: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_PURPOSES))
    categories: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_CATEGORIES))
    regions: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_REGIONS))
    protections: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_PROTECTIONS))

    def check(self, kind: str, values: Iterable[str], *, field_name: str) -> tuple[str, ...]:
        """Return the values as a sorted tuple, or refuse the first one outside the vocabulary."""
        known: frozenset[str] = getattr(self, kind)
        out = []
        for value in values:
            if value not in known:
                raise UnknownValue(
                    f"unknown {_LABELS[kind]} '{value}'",
                    field=field_name,
                    hint=suggest(value, known),
                )
            out.append(value)
        return tuple(sorted(set(out)))

    def to_dict(self) -> dict[str, list[str]]:
        return {
            "purposes": sorted(self.purposes),
            "categories": sorted(self.categories),
            "regions": sorted(self.regions),
            "protections": sorted(self.protections),
        }

    @classmethod
    def from_dict(cls, data: dict[str, list[str]]) -> Vocabulary:
        return cls(
            purposes=frozenset(data.get("purposes", DEFAULT_PURPOSES)),
            categories=frozenset(data.get("categories", DEFAULT_CATEGORIES)),
            regions=frozenset(data.get("regions", DEFAULT_REGIONS)),
            protections=frozenset(data.get("protections", DEFAULT_PROTECTIONS)),
        )
