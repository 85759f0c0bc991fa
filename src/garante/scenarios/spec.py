"""What a scenario file says, read and checked once: a misspelt key or a wrong type in the
TOML is refused with its place in the file, before anything is replayed."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from garante.domain.errors import ValidationError as Invalid


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


class AgreementSpec(_Spec):
    """A partner's standing agreement, made at setup by a liaison officer: its requests start
    when an item it covers is added (an ``item`` step)."""

    id: str
    partner: str
    purposes: list[str]
    tlp_ceiling: str
    categories: list[str] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    originators: list[str] = Field(default_factory=list)


class StartedSpec(_Spec):
    """A request an ``item`` step expects an agreement to start, named by ``label`` like a
    request step's."""

    label: str
    to: str
    purpose: str
    expect: str


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
    action: Literal["request", "item", "event", "order", "amend", "lift", "outcome", "undertaking"]
    narrative: str = ""
    # request
    label: str = ""
    item: str = ""
    to: str = ""
    purpose: str = ""
    expect: str = ""
    # item: the requests the agreements start when it is added (``item`` names it)
    started: list[StartedSpec] = Field(default_factory=list)
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
    agreements: tuple[AgreementSpec, ...] = ()
    items: tuple[ItemSpec, ...]
    events: tuple[EventSpec, ...] = ()
    steps: tuple[Step, ...]

    @model_validator(mode="after")
    def _items_added_once(self) -> Scenario:
        """An ``item`` step adds an ``[[items]]`` entry, once."""
        known = {item.id for item in self.items}
        added: set[str] = set()
        for step in self.steps:
            if step.action != "item":
                continue
            if step.item not in known:
                raise ValueError(f"the item step at {step.at} adds '{step.item}', not in [[items]]")
            if step.item in added:
                raise ValueError(f"'{step.item}' is added by more than one item step")
            added.add(step.item)
        return self

    @property
    def added_later(self) -> frozenset[str]:
        """The items an ``item`` step adds, not added at setup."""
        return frozenset(step.item for step in self.steps if step.action == "item")


def load(path: Path) -> Scenario:
    """The scenario in ``path``; a file that says something else is refused, naming the file
    and its first problem (where in the file, for a key or a value)."""
    hint = "a scenario is TOML in the shape of the demo's own, garante/scenarios/november_2025.toml"
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise Invalid(
            f"cannot read the scenario {path}: {exc.strerror or exc}", field="scenario", hint=hint
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise Invalid(
            f"the scenario {path} is not TOML: {exc}", field="scenario", hint=hint
        ) from None
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise Invalid(
            f"{path} is not a scenario file: {_first(exc)}", field="scenario", hint=hint
        ) from None


def _first(exc: ValidationError) -> str:
    """A pydantic error's first problem, short: where in the file, what is wrong, and how many
    more there are."""
    problems = exc.errors(include_url=False, include_input=False)
    first = problems[0]
    where = ".".join(str(part) for part in first["loc"]) or "the file"
    message = str(first["msg"]).removeprefix("Value error, ")
    more = len(problems) - 1
    return f"{where}: {message}" + (f" (and {more} more)" if more else "")
