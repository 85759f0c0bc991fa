"""Every label in English and Spanish: the catalogue and the templates agree."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from garante.console import i18n
from garante.console.render import TEMPLATES

_DYNAMIC = {
    # keys built in templates from a prefix and a value
    "level.": ["open", "conditional", "held", "suspended"],
    "effect.": ["deny", "hold", "require", "exempt"],
    "outcome.": ["released", "held", "denied"],
    "delivery.": ["available", "withheld", "delivered", "recalled", "withdrawn"],
    "kind.": ["seizure", "arrest", "interdiction", "no-action", "lethal-force", "other"],
    "preview.": ["issue", "amend", "lift"],
    "preview.confirm_": ["issue", "amend", "lift"],
    "done.": ["issued", "amended", "lifted"],
    "scope.": ["agencies", "countries", "categories", "regions"],
    # an agreement's page: its changes' forms and their help; its status badges
    "agreement.": [
        *("suspend", "resume", "end", "suspend_help", "resume_help", "end_help"),
        *("active", "pending", "suspended", "expired", "ended"),
    ],
    "agreement.done.": ["made", "amended", "suspended", "resumed", "ended"],
}


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for path in Path(str(TEMPLATES)).glob("*.html"):
        for key in re.findall(r"""(?<![\w.])t\(['"]([a-z_.-]+)['"]""", path.read_text()):
            if key.endswith((".", "_")):
                keys.update(key + v for v in _DYNAMIC[key])
            else:
                keys.add(key)
    return keys


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_a_template_uses_is_in_the_catalogue() -> None:
    missing = _used_keys() - set(i18n.CATALOGUE)
    assert not missing, sorted(missing)


@pytest.mark.parametrize("key", sorted(i18n.CATALOGUE))
def test_every_message_is_in_both_languages_with_the_same_fields(key: str) -> None:
    entry = i18n.CATALOGUE[key]
    assert set(entry) == {"en", "es"}
    assert all(entry.values())
    assert _fields(entry["en"]) == _fields(entry["es"])


def test_negotiation_prefers_the_url_then_the_cookie_then_the_browser() -> None:
    assert i18n.negotiate("es", "en", "en") == "es"
    assert i18n.negotiate(None, "es", "en") == "es"
    assert i18n.negotiate(None, None, "fr-FR,es;q=0.8") == "es"
    assert i18n.negotiate("xx", None, None) == "en"


def test_translate_fills_values_and_shows_unknown_keys() -> None:
    assert i18n.translate("es", "done.issued", order="o1") == "Orden o1 emitida"
    assert i18n.translate("en", "no.such.key") == "no.such.key"
