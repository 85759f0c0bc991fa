"""Issuing, amending and lifting through the console: preview, sign, then the service acts."""

from __future__ import annotations

import base64
import html
import json
import re

from garante.scenarios.keys import demo_key
from tests.console.pages import Console

EXEMPT_FBI = {
    "id": "fbi-finance-exemption",
    "effect": "exempt",
    "agencies": "fbi",
    "categories": "money-laundering",
    "exempts": "co-us-suspension",
    "reason": "Financing leads go to the FBI under its signed undertaking.",
    "days": "30",
}


def _hidden(page: str) -> list[tuple[str, str]]:
    form = page.split('id="sign-form"')[1].split("</form>")[0]
    return [
        (html.unescape(n), html.unescape(v))
        for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)
    ]


def _form(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Repeated fields (checkboxes) as httpx takes them."""
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


def _canonical(page: str) -> bytes:
    found = re.search(
        r'<pre class="statement" id="statement-canonical"[^>]*>(.*?)</pre>', page, re.S
    )
    assert found, page
    return html.unescape(found.group(1)).encode()


def _sign(page: str, authority: str = "presidency") -> str:
    return base64.b64encode(demo_key(authority).sign(_canonical(page))).decode()


def _preview(console: Console, path: str, fields: dict[str, str]) -> str:
    response = console.client.post(path, data={**fields, "csrf": console.csrf()})
    assert response.status_code == 200, response.text
    return str(response.text)


def test_the_preview_simulates_the_order_and_stores_nothing(console: Console) -> None:
    console.sign_in("authority")
    before = console.garante.ledger_size()
    page = _preview(console, "/orders/preview", EXEMPT_FBI)
    assert '<strong id="sim-changed">2</strong>' in page
    assert "held → released" in page
    statement = json.loads(_canonical(page))
    assert statement["type"] == "garante.order/v1"
    assert statement["exempts"] == ["co-us-suspension"]
    assert console.garante.ledger_size() == before
    assert [o.id for o in console.garante.orders()].count("fbi-finance-exemption") == 0


def test_issuing_a_signed_order_moves_the_held_queue(console: Console) -> None:
    console.sign_in("authority")
    page = _preview(console, "/orders/preview", EXEMPT_FBI)
    fields = [*_hidden(page), ("signature", _sign(page))]
    response = console.client.post("/orders/issue", data=_form(fields))
    assert response.status_code == 200, response.text
    assert "Order fbi-finance-exemption issued" in response.text
    assert "Held requests decided again: 2" in response.text
    held = [r.id for r in console.garante.held_queue()]
    assert held == [11]
    entry = console.garante.entries(0, console.garante.ledger_size())
    issued = [json.loads(e.entry) for e in entry if e.kind == "order.issued"][-1]
    assert issued["actor"] == "authority:presidency"
    assert issued["data"]["statement"]["id"] == "fbi-finance-exemption"
    assert issued["data"]["signature"] is not None


def test_issuing_without_the_signature_a_key_requires_is_refused(console: Console) -> None:
    console.sign_in("authority")
    page = _preview(console, "/orders/preview", EXEMPT_FBI)
    response = console.client.post("/orders/issue", data=_form(_hidden(page)))
    assert response.status_code == 422
    assert "must be signed" in response.text
    assert 'role="alert"' in response.text
    assert len(console.garante.held_queue()) == 3


def test_a_signature_over_other_terms_is_refused(console: Console) -> None:
    console.sign_in("authority")
    page = _preview(console, "/orders/preview", EXEMPT_FBI)
    signature = _sign(page)
    fields = [(n, "other reason" if n == "reason" else v) for n, v in _hidden(page)]
    response = console.client.post(
        "/orders/issue",
        data=_form([*fields, ("signature", signature)]),
    )
    assert response.status_code >= 400
    assert len(console.garante.held_queue()) == 3


def test_an_invalid_order_shows_the_form_again_with_the_error(console: Console) -> None:
    console.sign_in("authority")
    response = console.client.post(
        "/orders/preview",
        data={"effect": "require", "countries": "US", "reason": "x", "csrf": console.csrf()},
    )
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "A require order needs at least one clause ticked under “Required clauses”" in text
    assert "Field: Required clauses" in text
    assert "--" not in text.split('id="form-error"')[1].split("</div>")[0]
    assert 'value="US" checked' in response.text  # what was entered is kept


def _error_box(page: str) -> str:
    return html.unescape(page.split('id="form-error"')[1].split("</div>")[0])


def test_the_spanish_form_shows_its_errors_in_spanish_without_command_line_flags(
    console: Console,
) -> None:
    console.sign_in("authority")
    console.client.cookies.set("garante_lang", "es")
    response = console.client.post(
        "/orders/preview",
        data={"effect": "require", "countries": "US", "reason": "x", "csrf": console.csrf()},
    )
    assert response.status_code == 422
    box = _error_box(response.text)
    assert "Una orden de exigencia necesita al menos una cláusula marcada" in box
    assert "Campo: Cláusulas exigidas" in box
    assert "Sugerencia: por ejemplo, marque lethal-force" in box
    assert "--" not in box
    assert "require order" not in box and "for example" not in box


def test_every_order_form_error_has_console_words_in_both_languages(console: Console) -> None:
    """Each refusal the order form can meet, in Spanish: none left in the service's English."""
    console.sign_in("authority")
    console.client.cookies.set("garante_lang", "es")
    cases = {
        "effect=require&countries=US&reason=x": "cláusula",
        "effect=exempt&countries=US&reason=x": "exención",
        "effect=hold&countries=US&reason=": "motivo",
        "effect=hold&countries=US&reason=x&id=Bad!": "id de orden",
        "effect=hold&countries=US&reason=x&id=co-us-suspension": "Ya existe",
        "effect=hold&countries=US&reason=x&valid_until=2000-01-01T00:00": "Hasta",
        "effect=hold&reason=x": "alcance",
        "effect=hold&everything=yes&countries=US&reason=x": "alcance",
        "effect=hold&agencies=nope&reason=x": "No existe la agencia",
        "effect=hold&categories=nope&reason=x": "no es uno de los valores",
        "effect=hold&countries=US&reason=x&days=many": "número de días",
    }
    for body, expected in cases.items():
        response = console.client.post(
            "/orders/preview",
            content=f"{body}&csrf={console.csrf()}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code >= 400, body
        box = _error_box(response.text)
        assert expected in box, (body, box)
        assert "--" not in box, (body, box)


def test_amending_through_the_form(console: Console) -> None:
    console.sign_in("authority")
    form = console.client.get("/orders/co-us-suspension").text
    assert 'value="lethal-force" checked' in form  # the form shows the order as it stands
    fields = {
        "effect": "hold",
        "countries": "US",
        "while_condition": "caribbean-vessel-strikes",
        "reason": "Hold everything for the US again.",
    }
    page = _preview(console, "/orders/co-us-suspension/amend/preview", fields)
    statement = json.loads(_canonical(page))
    assert statement["version"] == 3 and statement["amended_by"] == "presidency"
    response = console.client.post(
        "/orders/co-us-suspension/amend",
        data=_form([*_hidden(page), ("signature", _sign(page))]),
    )
    assert response.status_code == 200, response.text
    assert "Order co-us-suspension amended" in response.text
    order = console.garante.order("co-us-suspension")
    assert order.effect == "hold" and order.version == 3


def test_the_amendment_preview_simulates_it_and_shows_the_scope_before_and_after(
    console: Console,
) -> None:
    console.sign_in("authority")
    before = console.garante.ledger_size()
    fields = {"effect": "hold", "agencies": "dea", "reason": "Hold the DEA.", "days": "30"}
    page = _preview(console, "/orders/co-us-suspension/amend/preview", fields)
    scopes = page.split('id="scopes"')[1].split("</dl>")[0]
    assert "Scope before</dt><dd>Countries: US</dd>" in scopes
    assert "Scope after</dt><dd><strong>Agencies: dea</strong></dd>" in scopes
    assert "with the order as it stands and with the amended version" in page
    # Both scopes count: the DEA comes in, the FBI (in the US scope before) goes out.
    assert '<strong id="sim-changed">5</strong>' in page
    assert 'dea</th><td data-label="Change">released → held' in page
    assert 'fbi</th><td data-label="Change">held → released' in page
    assert ("days", "30") in _hidden(page)
    assert console.garante.ledger_size() == before
    assert console.garante.order("co-us-suspension").version == 2


def test_the_preview_says_whom_the_order_reaches(console: Console) -> None:
    console.sign_in("authority")
    page = _preview(console, "/orders/preview", EXEMPT_FBI)
    assert "Reaches: 1 of 4 partners; 1 of 7 agencies in all." in page


def test_an_order_with_nothing_ticked_is_refused_naming_the_checkbox(console: Console) -> None:
    console.sign_in("authority")
    fields = {"effect": "hold", "reason": "Hold it all.", "csrf": console.csrf()}
    response = console.client.post("/orders/preview", data=fields)
    assert response.status_code == 422
    assert "validation.scope_not_explicit" in response.text
    assert "Applies to every partner and item" in html.unescape(response.text)
    refused = console.client.post("/orders/issue", data=fields)
    assert refused.status_code == 422
    assert "Hold it all." not in {o.reason for o in console.garante.orders()}


def test_ticking_every_partner_and_item_previews_an_order_for_everything(
    console: Console,
) -> None:
    console.sign_in("authority")
    fields = {"effect": "hold", "everything": "yes", "reason": "Hold it all."}
    page = _preview(console, "/orders/preview", fields)
    assert json.loads(_canonical(page))["scope"]["countries"] == []
    assert "Reaches: 4 of 4 partners; 7 of 7 agencies in all. <strong>Every partner.</strong>" in (
        page
    )
    assert ("everything", "yes") in _hidden(page)
    ticked = {**fields, "countries": "US", "csrf": console.csrf()}
    response = console.client.post("/orders/preview", data=ticked)
    assert response.status_code == 422
    assert "validation.scope_not_explicit" in response.text


def test_the_spanish_form_offers_the_checkbox(console: Console) -> None:
    console.sign_in("authority")
    page = console.client.get("/orders/new?lang=es").text
    assert "Se aplica a todos los socios y elementos" in html.unescape(page)


def test_lifting_previews_the_simulation_then_lifts(console: Console) -> None:
    console.sign_in("authority")
    page = _preview(
        console, "/orders/breach-hsi-2/lift/preview", {"reason": "Reviewed.", "days": "30"}
    )
    assert "What it would change" in page
    assert json.loads(_canonical(page))["type"] == "garante.order-lift/v1"
    response = console.client.post(
        "/orders/breach-hsi-2/lift",
        data=_form([*_hidden(page), ("signature", _sign(page))]),
    )
    assert response.status_code == 200, response.text
    assert console.garante.order("breach-hsi-2").lifted_at is not None


def test_lifting_a_lifted_order_is_an_error_on_the_page(console: Console) -> None:
    console.sign_in("authority")
    page = _preview(console, "/orders/breach-hsi-2/lift/preview", {"reason": "Reviewed."})
    fields = [*_hidden(page), ("signature", _sign(page))]
    console.client.post("/orders/breach-hsi-2/lift", data=_form(fields))
    again = console.client.post("/orders/breach-hsi-2/lift", data=_form(fields))
    assert again.status_code == 409
    assert "already lifted" in again.text


DENY_NCA = {
    "id": "nca-denial",
    "effect": "deny",
    "agencies": "nca",
    "reason": "Nothing more for the NCA.",
    "days": "30",
}


def _issued(console: Console, fields: dict[str, str]) -> str:
    page = _preview(console, "/orders/preview", fields)
    response = console.client.post(
        "/orders/issue", data=_form([*_hidden(page), ("signature", _sign(page))])
    )
    assert response.status_code == 200, response.text
    return str(response.text)


def _rows(page: str, table: str) -> list[str]:
    body = page.split(f'<table id="{table}"')[1].split("</tbody>")[0].split("<tbody>")[1]
    return re.findall(r'<th scope="row"[^>]*>(\d+)</th>', body)


def test_the_result_lists_the_undelivered_releases_the_order_withholds(
    console: Console,
) -> None:
    console.sign_in("authority")
    page = _issued(console, DENY_NCA)
    assert "What changed now" in page
    assert "Releases now withheld from partners&#39; feeds: 3" in page
    assert _rows(page, "withheld") == ["2", "8", "12"]
    withheld = page.split('<table id="withheld"')[1].split("</table>")[0]
    assert withheld.count(">nca</td>") == 3
    assert "Denied: order nca-denial" in withheld
    assert "Releases made available again: 0" in page


def test_lifting_the_order_lists_the_releases_it_makes_available_again(
    console: Console,
) -> None:
    console.sign_in("authority")
    _issued(console, DENY_NCA)
    page = _preview(console, "/orders/nca-denial/lift/preview", {"reason": "Reviewed."})
    response = console.client.post(
        "/orders/nca-denial/lift", data=_form([*_hidden(page), ("signature", _sign(page))])
    )
    assert response.status_code == 200, response.text
    assert _rows(response.text, "available") == ["2", "8", "12"]
    assert "Releases now withheld from partners&#39; feeds: 0" in response.text


def test_the_spanish_result_says_what_changed_now_in_spanish(console: Console) -> None:
    console.sign_in("authority")
    console.client.cookies.set("garante_lang", "es")
    page = html.unescape(_issued(console, DENY_NCA))
    assert "Qué cambió ahora" in page
    assert "Entregas ahora retenidas en los canales de los socios: 3" in page
    assert "Entregas aún no recibidas que retiene" in page
    assert "Entregas disponibles de nuevo: 0" in page
    assert "What changed now" not in page and "Releases now withheld" not in page
