"""misp-stix and Garante share stix2: the installed one must satisfy both.

misp-stix pins its own stix2 range in each release; pyproject.toml pins misp-stix to a release
line whose range matches Garante's. This test fails on the machine where the two drift apart,
before a conversion does.
"""

from __future__ import annotations

import importlib.metadata

from packaging.requirements import Requirement
from packaging.version import Version


def requirement_on(distribution: str, name: str) -> Requirement:
    for line in importlib.metadata.requires(distribution) or []:
        requirement = Requirement(line)
        if requirement.name.lower() == name and requirement.marker is None:
            return requirement
    raise AssertionError(f"{distribution} does not require {name}")


def test_misp_stix_and_pymisp_import_beside_garantes_stix2() -> None:
    import misp_stix_converter
    import pymisp
    import stix2

    parser = misp_stix_converter.MISPtoSTIX21Parser()
    event = pymisp.MISPEvent()
    assert parser.errors == {}
    assert event.attributes == []
    assert isinstance(stix2.TLP_RED, stix2.MarkingDefinition)


def test_the_installed_stix2_satisfies_misp_stix() -> None:
    installed = Version(importlib.metadata.version("stix2"))
    assert installed in requirement_on("misp-stix", "stix2").specifier


def test_the_installed_stix2_satisfies_garante() -> None:
    installed = Version(importlib.metadata.version("stix2"))
    assert installed in requirement_on("garante", "stix2").specifier


def test_the_installed_pymisp_satisfies_misp_stix() -> None:
    installed = Version(importlib.metadata.version("pymisp"))
    assert installed in requirement_on("misp-stix", "pymisp").specifier


def test_the_installed_stix2_patterns_satisfies_stix2_and_the_validator() -> None:
    installed = Version(importlib.metadata.version("stix2-patterns"))
    assert installed in requirement_on("stix2", "stix2-patterns").specifier
    assert installed in requirement_on("stix2-validator", "stix2-patterns").specifier
