"""Upstream STIX checked with the OASIS ``stix2-validator`` before anything of it is taken.

The ``stix2`` library (``items.parse_bundle``) refuses what it cannot build; the validator
checks the rest of the specification's MUSTs (the JSON schemas, patterns, vocabularies that
are not open). An upstream item with an object it finds invalid is not taken, with a line
naming the object and the validator's message; its warnings (SHOULDs) take nothing away.

What is checked is STIX as an upstream sent it (a TAXII collection, a folder of bundles). A
MISP event is checked by misp-stix, which refuses what it cannot convert, and the STIX it makes
is not checked again: the validator takes some 20 ms an object, four times the conversion.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from garante.stix.markings import validation_view

if TYPE_CHECKING:
    from stix2validator import ValidationOptions


@cache
def options() -> ValidationOptions:
    """The validator's options (STIX 2.1), made on first use.

    The validator is imported here, not with this module: its import (``jsonschema``'s format
    checkers compile an RFC 3987 grammar) took 1.6 s and about 21 MB, paid by every command and
    server that imports the service, when only taking STIX from an upstream needs it."""
    from stix2validator import ValidationOptions

    return ValidationOptions(version="2.1")


def invalid(objects: Sequence[dict[str, Any]]) -> tuple[str, str] | None:
    """The first invalid object of ``objects`` (its id) and the validator's message, or None
    if none is invalid. A marking definition the validator refuses but Garante reads (a TLP one
    under another id, see ``markings.needs_stand_in``) is checked as a stand-in with all its
    other properties."""
    from stix2validator import validate_instance
    from stix2validator.errors import ValidationError as ValidatorRefused

    checked = options()
    for obj in validation_view(objects):
        name = str(obj.get("id", "an object without an id"))
        try:
            result = validate_instance(obj, checked)
        except ValidatorRefused as exc:
            return name, str(exc)
        if not result.is_valid:
            errors = [str(error).removeprefix(f"{name}: ") for error in result.errors]
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            return name, f"{errors[0] if errors else 'invalid'}{more}"
    return None
