"""Service errors as the console shows them: in the page's language, in the form's words.

The service's messages and hints are written for every interface at once, and some hints name
the command line's flags ("for example --require-prohibits lethal-force"). A person at the
console gets instead, for each error code (and the field it names, where one code covers
several fields), the catalogue's message and hint in their language (``fault.*`` and
``fault_hint.*`` in ``i18n.CATALOGUE``), and the field by its label on the form. Where the
catalogue has no message the service's is shown, and a hint that speaks of the command line
(a ``--flag`` or a ``garante`` command) is left out rather than shown.
"""

from __future__ import annotations

import re

from garante.console.i18n import CATALOGUE, Lang, translate
from garante.domain.errors import GaranteError, ScopeNotExplicit

# The service's field names, as the console's forms label them.
FIELD_LABELS = {
    "id": "form.id",
    "effect": "form.effect",
    "scope": "form.scope",
    "scope.agencies": "scope.agencies",
    "scope.countries": "scope.countries",
    "scope.categories": "scope.categories",
    "scope.regions": "scope.regions",
    "requires": "form.requires",
    "requires.prohibits": "requires.prohibits",
    "requires.protections": "requires.protections",
    "exempts": "form.exempts",
    "valid_until": "form.valid_until",
    "while_condition": "form.while_condition",
    "reason": "form.reason",
    "days": "form.days",
    "signature": "preview.signature",
}

# -- the agreement forms' fields, as they label them (``shown(..., form="agreement")``) ------
AGREEMENT_FIELD_LABELS = {
    "id": "agreement.form.id",
    "partner": "col.partner",
    "purposes": "agreement.form.purposes",
    "categories": "scope.categories",
    "regions": "scope.regions",
    "tlp_ceiling": "agreement.form.tlp_ceiling",
    "originators": "agreement.form.originators",
    "valid_from": "agreement.form.valid_from",
    "valid_until": "agreement.form.valid_until",
    "backfill_from": "agreement.form.backfill_from",
    "reason": "agreement.form.reason",
    "signature": "agreement.form.signature",
}
FORM_FIELD_LABELS = {"agreement": AGREEMENT_FIELD_LABELS}

_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
_COMMAND = re.compile(r"`?garante [a-z]")
_QUOTED = re.compile(r"'([^']*)'")
_SUGGESTION = re.compile(r"^(?:did you mean '(?P<close>[^']*)'\? )?accepted: (?P<accepted>.*)$")


def speaks_of_the_command_line(text: str) -> bool:
    return bool(_FLAG.search(text) or _COMMAND.search(text))


def _known(key: str) -> bool:
    return key in CATALOGUE


def _message(error: GaranteError, lang: Lang, form: str | None) -> str:
    keys = [f"fault.{error.code}@{error.field}", f"fault.{error.code}"]
    if form is not None:  # a form's own words; the order form's field words are not its
        keys = [f"fault.{error.code}@{form}.{error.field}", f"fault.{error.code}"]
    if isinstance(error, ScopeNotExplicit):
        keys.insert(0, f"fault.{error.code}@{'everything' if error.said_everything else 'empty'}")
    quoted = _QUOTED.search(error.message)
    for key in keys:
        if _known(key):
            return translate(lang, key, name=quoted.group(1) if quoted else "")
    return _FLAG.sub("…", error.message)  # never a flag, though no message carries one today


def _hint(error: GaranteError, lang: Lang, form: str | None) -> str | None:
    family = error.code.split(".")[0]
    if form is not None:
        keys = [f"fault_hint.{error.code}@{form}.{error.field}", f"fault_hint.{family}@{form}"]
    else:
        if isinstance(error, ScopeNotExplicit):
            said = error.said_everything
            return translate(
                lang, "form.everything_conflict" if said else "form.everything_required"
            )
        keys = [f"fault_hint.{error.code}@{error.field}", f"fault_hint.{error.code}"]
        keys.append(f"fault_hint.{family}")
    for key in keys:
        if _known(key):
            return translate(lang, key)
    hint = error.hint
    if not hint or speaks_of_the_command_line(hint):
        return None
    suggestion = _SUGGESTION.match(hint)
    if suggestion is not None:  # vocabulary.suggest's "did you mean" hint, in the page's words
        accepted = translate(lang, "fault_hint.accepted", values=suggestion["accepted"])
        if suggestion["close"] is None:
            return accepted
        return translate(lang, "fault_hint.did_you_mean", value=suggestion["close"]) + accepted
    return hint


def shown(error: GaranteError, lang: Lang, *, form: str | None = None) -> dict[str, str]:
    """``error`` as the console's error box shows it: code, message, field label and hint;
    ``at``, the field's name, for the form to show the message beside that field.

    ``form``: the form the error answers, where it is not an order form ("agreement"): its
    own words (``fault.<code>@agreement.<field>``) and field labels, never the order form's.
    """
    out = {"code": error.code, "message": _message(error, lang, form)}
    if error.field is not None:
        labels = FORM_FIELD_LABELS.get(form, FIELD_LABELS) if form else FIELD_LABELS
        label = labels.get(error.field)
        out["field"] = translate(lang, label) if label else error.field
        if form is not None:
            out["at"] = error.field
    hint = _hint(error, lang, form)
    if hint:
        out["hint"] = hint
    return out
