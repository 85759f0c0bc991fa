"""What a scenario file says, read and checked once: a misspelt key or a wrong type in the
TOML is refused with its place in the file, before anything is replayed."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AgencySpec(_Spec):
    id: str
    name: str
    country: str
    domestic: bool = False
    signs: bool = False  # registered with its demo key, and signs what it gives


class AuthoritySpec(_Spec):
    id: str
    name: str
    signs: bool = False


class ConditionSpec(_Spec):
    """A derived condition: active while enough events of a kind fall in a window."""

    id: str
    description: str
    kind: str
    region: str
    min_events: int = 1
    window_days: int = 30


class ItemSpec(_Spec):
    """An item; its STIX bundle is ``bundles/<id>.json`` beside the scenario file."""

    id: str
    title: str
    category: str
    region: str
    tlp: str
    originator: str
    releasable_to: list[str] = Field(default_factory=list)


class UndertakingSpec(_Spec):
    agency: str
    id: str | None = None
    permits: list[str]
    prohibits: list[str] = Field(default_factory=list)
    protections: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)


class EventSpec(_Spec):
    """An event reported before the story's steps, by ``agency``."""

    at: str
    agency: str
    kind: str = "vessel-strike"
    region: str = "caribbean"
    source: str = "press reports"
    note: str = ""


class Step(_Spec):
    """One step of the story, at a time, with what it expects. Which fields a step uses
    depends on its ``action``; the runner reads only those."""

    at: str
    action: Literal["request", "event", "order", "amend", "lift", "outcome", "undertaking"]
    narrative: str = ""
    # request
    label: str = ""
    item: str = ""
    to: str = ""
    purpose: str = ""
    expect: str = ""
    # event, outcome, undertaking
    agency: str = ""
    kind: str | None = None
    region: str | None = None
    source: str | None = None
    note: str = ""
    # order, amend, lift
    authority: str = ""
    order: str = ""
    id: str | None = None
    effect: str | None = None
    scope: Literal["all"] | None = None
    agencies: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)  # an order's scope; an undertaking's
    regions: list[str] = Field(default_factory=list)
    exempts: list[str] | None = None
    require_prohibits: tuple[str, ...] | None = None
    require_protections: tuple[str, ...] | None = None
    while_condition: str | None = None
    reason: str | None = None
    # outcome
    release: str = ""
    reporter: Literal["partner", "originator"] = "originator"
    casualties: int = 0
    persons: int = 0
    quantities: dict[str, float] = Field(default_factory=dict)
    place: str = ""
    # undertaking
    permits: list[str] = Field(default_factory=list)
    prohibits: list[str] = Field(default_factory=list)
    protections: list[str] = Field(default_factory=list)
    # what the step's change must decide again, by request label
    expect_moved: dict[str, str] = Field(default_factory=dict)


class Scenario(_Spec):
    title: str
    source: str
    setup_at: str
    ends_at: str
    agencies: tuple[AgencySpec, ...]
    authorities: tuple[AuthoritySpec, ...]
    conditions: tuple[ConditionSpec, ...] = ()
    undertakings: tuple[UndertakingSpec, ...] = ()
    items: tuple[ItemSpec, ...]
    events: tuple[EventSpec, ...] = ()
    steps: tuple[Step, ...]


def load(path: Path) -> Scenario:
    """The scenario in ``path``; a file that says something else is refused, naming where."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"{path} is not a scenario file: {exc}") from None
