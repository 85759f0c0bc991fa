"""The partner's own undertakings page marks one signed with a key a recovery installed."""

from __future__ import annotations

from garante.scenarios.keys import demo_key
from garante.signatures import public_key_bytes, sign_statement
from tests.console.pages import Console

RECOVERED = demo_key("dea-recovered")


def test_an_undertaking_signed_after_a_key_recovery_is_marked_on_the_partners_page(
    console: Console,
) -> None:
    garante = console.garante
    new = public_key_bytes(RECOVERED.public_key())
    assert garante.agency("dea").public_key is not None  # the demo's DEA signs
    statement = garante.agency_key_statement("dea", new, recovered_by="mininterior")
    garante.set_agency_key(
        "dea",
        new,
        signature=sign_statement(demo_key("mininterior"), statement),
        recovered_by="mininterior",
    )
    terms = garante.draft_undertaking("dea", permits=["seizure"], undertaking_id="dea-recovered")
    garante.record_undertaking(terms, signature=sign_statement(RECOVERED, terms.statement()))
    console.sign_in("partner")
    page = console.client.get("/partners?lang=es").text
    row = page[page.index("dea-recovered") :].split("</tr>")[0]
    assert "tras recuperar la clave" in row
    others = page[: page.index("dea-recovered")]
    assert "tras recuperar la clave" not in others


def test_the_internal_partners_overview_marks_it_too(console: Console) -> None:
    garante = console.garante
    new = public_key_bytes(RECOVERED.public_key())
    statement = garante.agency_key_statement("dea", new, recovered_by="mininterior")
    garante.set_agency_key(
        "dea",
        new,
        signature=sign_statement(demo_key("mininterior"), statement),
        recovered_by="mininterior",
    )
    terms = garante.draft_undertaking("dea", permits=["seizure"], undertaking_id="dea-recovered")
    garante.record_undertaking(terms, signature=sign_statement(RECOVERED, terms.statement()))
    console.sign_in("authority")
    page = console.client.get("/partners").text
    row = page[page.index('id="partner-dea"') :].split("</tr>")[0]
    assert "dea-recovered" in row and "after key recovery" in row
    assert page.count("after key recovery") == 1
