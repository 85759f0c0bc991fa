"""Service errors in the console's words: translated, with form labels, never a CLI flag."""

from __future__ import annotations

import html

from garante.console.errors import shown
from garante.domain.errors import (
    AlreadyExists,
    GaranteError,
    OrderNotFound,
    StoreMissing,
    UnknownValue,
    ValidationError,
)
from tests.console.pages import Console


def test_a_known_code_and_field_is_translated_and_names_the_form_field() -> None:
    error = ValidationError(
        "a require order must name the clauses it requires",
        field="requires",
        hint="for example --require-prohibits lethal-force",
    )
    assert shown(error, "es") == {
        "code": "validation.invalid",
        "message": "Una orden de exigencia necesita al menos una cláusula marcada en "
        "“Cláusulas exigidas”; los demás efectos no llevan ninguna.",
        "field": "Cláusulas exigidas",
        "hint": "por ejemplo, marque lethal-force en “Prohíbe” y protection-of-life en “Garantiza”",
    }


def test_the_name_the_service_quoted_is_kept() -> None:
    assert shown(AlreadyExists("order 'o1' already exists", field="id"), "es")["message"] == (
        "Ya existe una orden “o1”."
    )


def test_a_did_you_mean_hint_is_put_in_the_pages_words() -> None:
    error = UnknownValue(
        "unknown category 'drugs'",
        field="scope.categories",
        hint="did you mean 'dr'? accepted: a, b",
    )
    assert shown(error, "es")["hint"] == "¿quiso decir “dr”? valores aceptados: a, b"
    assert shown(error, "es")["field"] == "Categorías"


def test_an_untranslated_error_keeps_its_message_but_never_a_command_line_hint() -> None:
    cli = StoreMissing("no store here", hint="check --db (and GARANTE_DB) for a typo")
    assert shown(cli, "en") == {"code": "store.missing", "message": "no store here"}
    command = GaranteError("refused", hint="create one with `garante tokens create`")
    assert "hint" not in shown(command, "es")
    flagged = GaranteError("pass --agency ID", field="agency", hint="see the manual")
    out = shown(flagged, "en")
    assert "--" not in out["message"] and out["hint"] == "see the manual"
    assert out["field"] == "agency"  # no label on any form: shown as the service names it


def test_the_error_page_speaks_spanish(console: Console) -> None:
    console.sign_in("authority")
    page = html.unescape(console.client.get("/orders/no-such-order?lang=es").text)
    assert "No existe la orden “no-such-order”." in page
    assert "valores aceptados:" in page
    assert OrderNotFound.code in page
