"""Each view renders what the service says about the November 2025 demo."""

from __future__ import annotations

import json
import re

from tests.console.pages import Console
from tests.support.agreements import BEFORE_THE_ITEMS, make_agreement


def _row(page: str, row_id: str) -> str:
    start = page.index(f'id="{row_id}"')
    return page[start : page.index("</tr>", start)]


def test_partners_show_the_us_agencies_held_back_by_the_11_november_order(
    console: Console,
) -> None:
    console.sign_in("overseer")
    page = console.client.get("/partners").text
    dea, fbi, hsi = (_row(page, f"partner-{a}") for a in ("dea", "fbi", "hsi"))
    assert 'data-level="conditional"' in dea and "met by dea-2025-11" in dea
    assert 'data-level="conditional"' in fbi and "no undertaking meets it" in fbi
    assert 'data-level="suspended"' in hsi and "breach-hsi-2" in hsi
    for row in (dea, fbi, hsi):
        assert "co-us-suspension" in row
        assert "exempted by joint-casework-exemption for joint-casework" in row
    assert 'data-level="open"' in _row(page, "partner-nca")
    assert 'data-level="open"' in _row(page, "partner-dipol")


def test_orders_page_lays_the_three_orders_on_a_timeline(console: Console) -> None:
    console.sign_in("overseer")
    page = console.client.get("/orders").text
    bars = re.findall(r'class="tl-bar effect-(\w+)', page)
    assert bars == ["require", "exempt", "hold"]
    assert "amended 2025-11-12 15:00 UTC" in page
    assert "caribbean-vessel-strikes" in page
    assert "2025-11-11 21:00 UTC" in _row(page, "order-co-us-suspension")
    assert "presidency" in _row(page, "order-co-us-suspension")
    assert "mininterior" in _row(page, "order-joint-casework-exemption")


def test_held_queue_shows_reasons_and_ages(console: Console) -> None:
    console.sign_in("analyst")
    page = console.client.get("/held").text
    rows = re.findall(r'<tr data-request="(\d+)" data-recipient="(\w+)"', page)
    assert rows == [("9", "fbi"), ("11", "hsi"), ("14", "fbi")]
    assert "2 d 0 h" in page  # held since 11 November 22:05, now 13 November 23:00
    assert "breach-hsi-2" in page
    assert "requires an undertaking" in page


def test_releases_page_summarises_each_partner(console: Console) -> None:
    console.sign_in("overseer")
    page = console.client.get("/releases").text
    assert "Per partner, all time" in page
    assert "lethal force: 1" in page
    filtered = console.client.get("/releases?partner=fbi&outcome=held").text
    table = filtered.split('<table id="requests"')[1].split("</table>")[0]
    assert table.count("<tr>") == 3  # the header and fbi's two held requests


def test_audit_page_hands_the_browser_the_signed_checkpoint_and_key(console: Console) -> None:
    console.sign_in("overseer")
    page = console.client.get("/audit").text
    data = json.loads(page.split('id="audit-data">')[1].split("</script>")[0])
    checkpoint = console.garante.latest_checkpoint()
    assert checkpoint is not None
    assert data["checkpoint"] == checkpoint.note
    assert data["key"] == console.garante.log_verifier_key()
    assert 'type="module" src="/static/audit.js"' in page
    assert f'data-verify-index="{checkpoint.size - 1}"' in page


def test_audit_page_gives_the_command_that_replays_this_servers_log(console: Console) -> None:
    console.sign_in("overseer")
    page = console.client.get("/audit").text
    replay = page.split('id="replay"')[1].split("</section>")[0]
    key = console.garante.log_verifier_key()
    assert f"garante audit replay --server http://testserver --log-key '{key}'" in replay


def test_audit_entries_page_back(console: Console) -> None:
    console.sign_in("overseer")
    page = console.client.get("/audit?start=0").text
    assert "Entries 0 to 24 of" in page  # the indexes listed, first and last
    assert 'data-index="0"' in page


def test_inclusion_json_serves_an_entry_and_its_proof(console: Console) -> None:
    console.sign_in("overseer")
    body = console.client.get("/audit/inclusion.json?index=3&size=8").json()
    assert body["index"] == 3 and body["size"] == 8
    assert len(body["proof"]) == 3
    assert json.loads(body["entry"])["v"] == 1


def test_proof_errors_come_back_as_json(console: Console) -> None:
    console.sign_in("overseer")
    response = console.client.get("/audit/inclusion.json?index=100000")
    assert response.status_code == 404
    assert response.json()["code"] == "ledger.entry_not_found"


def test_charts_have_a_series_per_partner_with_requests(console: Console) -> None:
    console.sign_in("overseer")
    page = console.client.get("/charts?days=14").text
    data = json.loads(page.split('id="chart-data">')[1].split("</script>")[0])
    assert len(data["days"]) == 14 and data["days"][-1] == "2025-11-13"
    partners = {p["id"]: p["series"] for p in data["partners"]}
    assert set(partners) == {"dea", "fbi", "hsi", "nca"}
    assert sum(partners["dea"]["denied"]) == 3
    assert "<table>" in page  # the same numbers without script


def test_every_page_renders_in_spanish(console: Console) -> None:
    make_agreement(console.garante, backfill_from=BEFORE_THE_ITEMS)
    console.sign_in("authority")
    for path, words in [
        ("/partners", "Suspendido"),
        ("/orders", "Órdenes en el tiempo"),
        ("/orders/new", "Emitir una orden"),
        ("/held", "Cola retenida"),
        ("/releases", "Entregas y resultados"),
        ("/items", "Elementos"),
        ("/items/co-2025-0417", "A quién fue y por qué"),
        ("/releases/11", "Cada decisión tomada sobre esta solicitud"),
        ("/agreements", "Acuerdos permanentes"),
        ("/agreements/dea-ag-1", "Solicitudes que inició"),
        ("/audit", "Verificar en este navegador"),
        ("/charts", "Gráficos"),
    ]:
        page = console.client.get(path + "?lang=es").text
        assert words in page, path
        assert '<html lang="es">' in page


def test_the_agreement_forms_render_in_spanish(console: Console) -> None:
    make_agreement(console.garante)
    console.sign_in("liaison")
    for path, words in [
        ("/agreements/new", "También para los elementos añadidos desde"),
        ("/agreements/dea-ag-1", "Suspender el acuerdo"),
    ]:
        page = console.client.get(path + "?lang=es").text
        assert words in page, path
        assert '<html lang="es">' in page


def test_an_unknown_order_is_a_404_page(console: Console) -> None:
    console.sign_in("overseer")
    response = console.client.get("/orders/nope")
    assert response.status_code == 404
    assert "order.not_found" in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_the_api_keeps_its_json_errors(console: Console) -> None:
    response = console.client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_openapi_document_has_no_console_routes(console: Console) -> None:
    paths = console.client.get("/api/v1/openapi.json").json()["paths"]
    assert all(p.startswith("/api/v1") for p in paths)
