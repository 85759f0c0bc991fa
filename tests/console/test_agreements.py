"""The agreement pages: each partner's standing agreements, an agreement's terms, history and
the requests it started, and the liaison officer's make (preview, then done), amend, suspend,
resume and end.

Over the November 2025 demo, whose clock stands at 2025-11-13 23:00 UTC: its items were added on
2025-01-15 but for co-2025-0417 (3 November) and co-2025-0422 (11 November), which the DEA's
standing agreement dea-maritime asked for for seizure; the NCA has nca-pacific. An agreement
the tests make through ``make_agreement`` is <partner>-ag-1; one made through the form takes
the service's next id, dea-ag-2 for the DEA.
"""

from __future__ import annotations

import html
import re

from tests.console.pages import Console
from tests.support.agreements import BEFORE_THE_ITEMS, LIAISON, make_agreement

MARITIME: dict[str, str | list[str]] = {
    "partner": "dea",
    "purposes": ["seizure", "analysis"],
    "categories": ["maritime-interdiction"],
    "tlp_ceiling": "amber",
}


def _post(console: Console, path: str, fields: dict[str, str | list[str]]) -> str:
    response = console.client.post(path, data={**fields, "csrf": console.csrf()})
    assert response.status_code == 200, response.text
    return html.unescape(response.text)


def _hidden(page: str) -> dict[str, list[str]]:
    form = page.split('id="make-form"')[1].split("</form>")[0]
    out: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form):
        out.setdefault(html.unescape(name), []).append(html.unescape(value))
    return out


DEMOS = ["dea-maritime", "nca-pacific"]  # the scenario's own agreements


def _ids(console: Console) -> list[str]:
    return [a.id for a in console.garante.agreements()]


def _row(page: str, agreement_id: str) -> str:
    start = page.index(f'<tr data-agreement="{agreement_id}"')
    return page[start : page.index("</tr>", start)]


# -- reading -------------------------------------------------------------------------------


def test_the_agreements_page_lists_an_agreement_with_its_status_and_terms(
    console: Console,
) -> None:
    make_agreement(console.garante, regions=["caribbean"])
    console.sign_in("overseer")
    row = html.unescape(_row(console.client.get("/agreements").text, "dea-ag-1"))
    assert 'data-partner="dea" data-status="active"' in row
    assert 'href="/agreements/dea-ag-1"' in row and ">in force</span>" in row
    assert "seizure, analysis" in row or "analysis, seizure" in row
    assert "Categories: maritime-interdiction; Regions: caribbean; up to TLP:AMBER" in row
    assert "Originators: any" in row and "2025-11-13 23:00 UTC → no end" in row


def test_the_agreements_page_filters_by_partner(console: Console) -> None:
    make_agreement(console.garante, "dea")
    make_agreement(console.garante, "nca")
    console.sign_in("analyst")
    page = console.client.get("/agreements", params={"partner": "nca"}).text
    assert re.findall(r'<tr data-agreement="([^"]+)"', page) == ["nca-ag-1", "nca-pacific"]
    everyone = re.findall(r'<tr data-agreement="([^"]+)"', console.client.get("/agreements").text)
    assert everyone == ["dea-ag-1", "dea-maritime", "nca-ag-1", "nca-pacific"]


def test_an_agreements_status_says_suspended_ended_or_not_yet_valid(console: Console) -> None:
    garante = console.garante
    now = garante.clock.now()
    make_agreement(garante, "dea")
    make_agreement(garante, "nca")
    make_agreement(garante, "hsi", valid_from=now.replace(year=2026))
    liaison = garante.acting_as(LIAISON)
    liaison.suspend_agreement("dea-ag-1", reason="review of the DEA's handling")
    liaison.end_agreement("nca-ag-1", reason="the NCA asked to end it")
    console.sign_in("authority")
    page = console.client.get("/agreements").text
    assert ">suspended</span>" in _row(page, "dea-ag-1")
    assert ">ended</span>" in _row(page, "nca-ag-1")
    assert ">not yet valid</span>" in _row(page, "hsi-ag-1")


def test_an_agreement_shows_its_terms_and_the_requests_it_started(console: Console) -> None:
    started = make_agreement(console.garante, backfill_from=BEFORE_THE_ITEMS).started
    console.sign_in("analyst")
    page = html.unescape(console.client.get("/agreements/dea-ag-1").text)
    terms = page.split('id="terms"')[1].split("</dl>")[0]
    assert "maritime-interdiction" in terms and "TLP:AMBER" in terms
    shown = re.findall(r'<tr data-request="(\d+)"', page)
    assert shown == [str(d.request) for d in sorted(started, key=lambda d: d.request)]
    assert len(shown) == 2  # for analysis: the DEA asked for both for seizure by hand
    for d in started:
        assert f'href="/releases/{d.request}"' in page


def test_an_agreements_history_gives_each_change_and_the_last_reason(console: Console) -> None:
    make_agreement(console.garante)
    liaison = console.garante.acting_as(LIAISON)
    liaison.amend_agreement(
        liaison.draft_agreement_amendment("dea-ag-1", regions=["caribbean"]),
        reason="only the Caribbean desk",
    )
    liaison.suspend_agreement("dea-ag-1", reason="review of the DEA's handling")
    console.sign_in("overseer")
    page = html.unescape(console.client.get("/agreements/dea-ag-1").text)
    history = page.split('id="history"')[1].split("</section>")[0]
    assert "Made at 2025-11-13 23:00 UTC by" in history
    assert "now at version 2" in history and "Suspended at 2025-11-13 23:00 UTC" in history
    assert 'Reason last given: <span class="quote">review of the DEA\'s handling' in history


def test_an_unknown_agreement_is_the_404_page_with_a_hint(console: Console) -> None:
    make_agreement(console.garante)
    console.sign_in("overseer")
    response = console.client.get("/agreements/dea-ag-2")
    assert response.status_code == 404
    page = html.unescape(response.text)
    assert "There is no agreement “dea-ag-2”." in page and "dea-ag-1" in page


# -- making one: preview, then done ---------------------------------------------------------


def test_the_preview_counts_the_items_and_outcomes_of_the_backfill_and_stores_nothing(
    console: Console,
) -> None:
    console.sign_in("liaison")
    before = console.garante.ledger_size()
    page = _post(console, "/agreements/preview", {**MARITIME, "backfill_from": "2025-01-01T00:00"})
    preview = page.split('id="backfill"')[1].split("</section>")[0]
    assert '<strong id="backfill-items">2</strong>' in preview
    assert '<dd id="backfill-requests">2</dd>' in preview  # for analysis alone:
    assert '<dd id="backfill-already">2</dd>' in preview  # the DEA asked for seizure by hand
    counts = [int(n) for n in re.findall(r'id="backfill-(?:released|held|denied)">(\d+)', page)]
    assert sum(counts) == 2
    assert '"type":"garante.agreement/v1"' in page and '"partner":"dea"' in page
    assert console.garante.ledger_size() == before and _ids(console) == DEMOS


def test_making_the_previewed_agreement_lists_the_requests_it_started(console: Console) -> None:
    console.sign_in("liaison")
    page = _post(console, "/agreements/preview", {**MARITIME, "backfill_from": "2025-01-01T00:00"})
    counts = re.findall(r'id="backfill-(released|held|denied)">(\d+)', page)
    done = _post(console, "/agreements/make", dict(_hidden(page)))
    assert "Agreement dea-ag-2 made" in done and "Requests it started: 2" in done
    rows = done.split('id="started-table"')[1].split("</table>")[0]
    for outcome, count in counts:
        assert rows.count(f'class="badge outcome-{outcome}"') == int(count)
    assert _ids(console) == ["dea-ag-2", *DEMOS]


def test_an_agreement_for_items_added_from_now_on_starts_nothing(console: Console) -> None:
    console.sign_in("liaison")
    page = _post(console, "/agreements/preview", MARITIME)
    assert "no date was given for items already added" in page
    done = _post(console, "/agreements/make", dict(_hidden(page)))
    assert "Requests it started: 0" in done
    assert console.garante.agreement_requests("dea-ag-2") == []


def test_an_unknown_purpose_is_shown_beside_the_purposes(console: Console) -> None:
    console.sign_in("liaison")
    response = console.client.post(
        "/agreements/preview",
        data={**MARITIME, "purposes": ["seizures"], "csrf": console.csrf()},
    )
    assert response.status_code == 422
    page = html.unescape(response.text)
    beside = page.split("<legend>Purposes</legend>")[1].split("</fieldset>")[0]
    assert '<p class="field-error" id="purposes-error">' in beside
    assert "“seizures” is not one of the values offered." in beside
    assert "did you mean “seizure”?" in page  # the hint, in the error box
    assert 'value="seizures"' not in page  # the form offers only what there is


def test_an_end_before_the_start_is_shown_beside_until(console: Console) -> None:
    console.sign_in("liaison")
    response = console.client.post(
        "/agreements/preview",
        data={
            **MARITIME,
            "valid_from": "2025-12-01T00:00",
            "valid_until": "2025-11-30T00:00",
            "csrf": console.csrf(),
        },
    )
    assert response.status_code == 422
    page = html.unescape(response.text)
    assert '<p class="field-error" id="valid_until-error">' in page
    assert "“Until” must be a date and time after “From”." in page
    assert 'value="2025-12-01T00:00"' in page  # what was sent is kept


def test_a_partner_may_not_make_an_agreement(console: Console) -> None:
    console.sign_in("partner")
    assert console.client.get("/agreements/new").status_code == 403
    token = console.csrf("/agreements")
    before = console.garante.ledger_size()
    for path in ("/agreements/preview", "/agreements/make"):
        response = console.client.post(path, data={**MARITIME, "csrf": token})
        assert response.status_code == 403, path
    assert console.garante.ledger_size() == before and _ids(console) == DEMOS


# -- changing one from its page -------------------------------------------------------------


def test_amending_an_agreement_shows_its_next_version(console: Console) -> None:
    make_agreement(console.garante)
    console.sign_in("liaison")
    done = _post(
        console,
        "/agreements/dea-ag-1/amend",
        {**MARITIME, "purposes": ["seizure"], "tlp_ceiling": "green", "reason": "narrower"},
    )
    assert "Agreement dea-ag-1 amended" in done
    result = done.split('id="result"')[1].split("</dl>")[0]
    assert "<dd>2</dd>" in result and "up to TLP:GREEN" in result and "narrower" in result
    assert console.garante.agreement("dea-ag-1").purposes == ("seizure",)


def test_suspending_an_agreement_shows_it_suspended(console: Console) -> None:
    make_agreement(console.garante)
    console.sign_in("liaison")
    done = _post(console, "/agreements/dea-ag-1/suspend", {"reason": "under review"})
    assert "Agreement dea-ag-1 suspended" in done and ">suspended</span>" in done
    page = console.client.get("/agreements/dea-ag-1").text
    assert 'action="/agreements/dea-ag-1/resume"' in page
    assert 'action="/agreements/dea-ag-1/suspend"' not in page


def test_resuming_an_agreement_shows_it_in_force(console: Console) -> None:
    make_agreement(console.garante)
    console.garante.acting_as(LIAISON).suspend_agreement("dea-ag-1", reason="under review")
    console.sign_in("liaison")
    done = _post(console, "/agreements/dea-ag-1/resume", {"reason": "review done"})
    assert "Agreement dea-ag-1 resumed" in done and ">in force</span>" in done


def test_ending_an_agreement_shows_it_ended_and_offers_no_more_changes(console: Console) -> None:
    make_agreement(console.garante)
    console.sign_in("liaison")
    done = _post(console, "/agreements/dea-ag-1/end", {"reason": "the DEA asked to end it"})
    assert "Agreement dea-ag-1 ended" in done and ">ended</span>" in done
    page = console.client.get("/agreements/dea-ag-1").text
    assert "/agreements/dea-ag-1/amend" not in page and "/agreements/dea-ag-1/end" not in page


def test_a_change_without_a_reason_shows_the_error_beside_the_reason(console: Console) -> None:
    make_agreement(console.garante)
    console.sign_in("liaison")
    response = console.client.post(
        "/agreements/dea-ag-1/suspend", data={"reason": " ", "csrf": console.csrf()}
    )
    assert response.status_code == 422
    page = html.unescape(response.text)
    form = page.split('id="suspend"')[1].split("</section>")[0]
    assert '<p class="field-error" id="suspend-reason-error">' in form
    assert "Say why: the reason goes into the audit log." in form
    assert console.garante.agreement("dea-ag-1").status == "active"


def test_only_a_liaison_gets_the_agreement_forms(console: Console) -> None:
    make_agreement(console.garante)
    console.sign_in("liaison")
    assert 'href="/agreements/new"' in console.client.get("/agreements").text
    assert 'action="/agreements/dea-ag-1/amend"' in console.client.get("/agreements/dea-ag-1").text
    for role in ("analyst", "authority", "overseer"):
        console.sign_in(role)
        assert 'href="/agreements/new"' not in console.client.get("/agreements").text
        page = console.client.get("/agreements/dea-ag-1").text
        assert "/agreements/dea-ag-1/amend" not in page and "/suspend" not in page


# -- a partner reads its own ----------------------------------------------------------------


def test_a_partner_sees_only_its_own_agreements(console: Console) -> None:
    make_agreement(console.garante, "dea")
    make_agreement(console.garante, "nca")
    console.sign_in("partner")
    page = console.client.get("/agreements", params={"partner": "nca"}).text
    assert re.findall(r'<tr data-agreement="([^"]+)"', page) == ["dea-ag-1", "dea-maritime"]
    assert console.client.get("/agreements/nca-ag-1").status_code == 404
    own = console.client.get("/agreements/dea-ag-1")
    assert own.status_code == 200 and 'id="requests"' not in own.text


def test_a_partners_own_page_lists_its_agreements(console: Console) -> None:
    make_agreement(console.garante, "dea")
    make_agreement(console.garante, "nca")
    console.sign_in("partner")
    page = console.client.get("/partners").text
    assert re.findall(r'<tr data-agreement="([^"]+)"', page) == ["dea-ag-1", "dea-maritime"]


def test_every_role_has_the_agreements_link(console: Console) -> None:
    for role in ("analyst", "liaison", "authority", "overseer", "partner"):
        console.sign_in(role)
        assert 'href="/agreements"' in console.client.get("/partners").text, role


def test_an_agreement_shows_how_long_its_partner_has_to_acknowledge_a_recall(
    console: Console,
) -> None:
    make_agreement(console.garante, recall_ack_within="48h")
    console.sign_in("liaison")
    page = html.unescape(console.client.get("/agreements/dea-ag-1").text)
    assert '<dd id="recall-ack-within">2d</dd>' in page
