"""Feeds: what a partner may be delivered now, enforced until delivery, recalled after."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from garante.domain.order import Scope
from garante.domain.vocabulary import Tlp
from garante.service import orders as service_orders
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.stix.markings import TLP2_MARKING_IDS, TRACE_EXTENSION_ID, find_trace_tokens
from garante.store.feed import FeedQuery
from garante.store.schema import FeedObjectRow
from tests.service.orders import issue
from tests.support.scenario import own_bundle


def _objects(garante: Garante, partner: str, **query: object) -> list[dict[str, Any]]:
    rows, _ = garante.feed_page(FeedQuery(partner_id=partner, **query))  # type: ignore[arg-type]
    return [json.loads(row.body) for row in rows]


def _reports(garante: Garante, partner: str) -> list[dict[str, Any]]:
    return [o for o in _objects(garante, partner) if o["type"] == "report"]


def test_a_release_puts_the_items_objects_in_the_recipients_feed(world: Garante) -> None:
    world.request_release("lead", recipient="dea", purpose="seizure")
    assert len(_reports(world, "dea")) == 1


def test_a_partner_never_receives_another_partners_objects(world: Garante) -> None:
    world.request_release("lead", recipient="dea", purpose="seizure")
    assert _reports(world, "fbi") == []
    assert _objects(world, "fbi") == []


def test_denied_and_held_requests_put_nothing_in_the_feed(world: Garante) -> None:
    world.request_release("lead", recipient="dea", purpose="lethal-force")
    issue(world, "hold", scope=Scope(agencies=frozenset({"fbi"})))
    world.request_release("lead", recipient="fbi", purpose="seizure")
    assert _objects(world, "dea") == []
    assert _objects(world, "fbi") == []


def test_delivered_objects_carry_tlp_the_undertakings_terms_and_a_trace_token(
    world: Garante,
) -> None:
    world.request_release("lead", recipient="nca", purpose="seizure")
    objects = _objects(world, "nca")
    [report] = [o for o in objects if o["type"] == "report"]
    refs = report["object_marking_refs"]
    assert TLP2_MARKING_IDS[Tlp.AMBER] in refs
    [statement] = [o for o in objects if o.get("definition_type") == "statement"]
    assert statement["id"] in refs
    assert "never for lethal-force" in json.dumps(statement)
    assert TRACE_EXTENSION_ID in report["extensions"]
    assert any(o["type"] == "extension-definition" for o in objects)


def test_an_order_issued_after_release_withholds_undelivered_objects(world: Garante) -> None:
    world.request_release("lead", recipient="dea", purpose="seizure")
    issue(world, "hold")
    assert _reports(world, "dea") == []


def test_lifting_the_order_makes_them_available_again_with_a_later_date_added(
    world: Garante, clock: FixedClock
) -> None:
    world.request_release("lead", recipient="fbi", purpose="seizure")
    before = _stored_report_date(world, "fbi")  # read without fetching: still undelivered
    order = issue(world, "hold").value
    clock.set(clock.now() + timedelta(hours=1))
    world.lift_order(order.id, authority_id="presidency", reason="over", signature=None)
    [row] = world.feed_page(FeedQuery(partner_id="fbi", types=("report",)))[0]
    assert row.date_added > before


def _stored_report_date(garante: Garante, partner: str) -> datetime:
    with garante.sessions() as session:
        value = session.scalar(
            select(FeedObjectRow.date_added).where(
                FeedObjectRow.partner_id == partner, FeedObjectRow.object_type == "report"
            )
        )
    assert value is not None
    return value


def test_an_order_never_withdraws_what_was_already_delivered(world: Garante) -> None:
    world.request_release("lead", recipient="dea", purpose="seizure")
    assert len(_reports(world, "dea")) == 1  # fetched: delivered
    issue(world, "hold")
    assert len(_reports(world, "dea")) == 1


def test_the_first_fetch_records_one_delivery_entry_per_release(world: Garante) -> None:
    world.request_release("lead", recipient="dea", purpose="seizure")
    before = world.ledger_size()
    _objects(world, "dea")
    _objects(world, "dea")
    kinds = [e.kind for e in world.entries(before, world.ledger_size())]
    assert kinds == ["release.delivered"]


def test_recall_of_a_delivered_release_sends_revoked_versions(
    world: Garante, clock: FixedClock
) -> None:
    decided = world.request_release("lead", recipient="dea", purpose="seizure")
    [original] = _reports(world, "dea")
    clock.set(clock.now() + timedelta(minutes=5))
    result = world.recall(decided.request, reason="source compromised")
    assert result.status == "recalled"
    [latest] = _reports(world, "dea")
    assert latest["revoked"] is True
    assert latest["id"] == original["id"]
    assert latest["modified"] > original["modified"]
    versions = _objects(world, "dea", ids=(original["id"],), versions=("all",))
    assert len(versions) == 2


def test_recall_of_an_undelivered_release_withdraws_it_silently(world: Garante) -> None:
    decided = world.request_release("lead", recipient="dea", purpose="seizure")
    result = world.recall(decided.request, reason="sent in error")
    assert result.status == "withdrawn"
    assert _reports(world, "dea") == []


def test_an_item_released_again_after_a_recall_before_delivery_is_served(
    world: Garante,
) -> None:
    first = world.request_release("lead", recipient="dea", purpose="seizure")
    world.recall(first.request, reason="sent in error")
    again = world.request_release("lead", recipient="dea", purpose="seizure")
    assert again.outcome == "released"
    assert len(_reports(world, "dea")) == 1
    assert world.request(again.request).delivery == "delivered"


def test_recalling_what_was_never_released_is_refused(world: Garante) -> None:
    decided = world.request_release("lead", recipient="dea", purpose="lethal-force")
    with pytest.raises(Exception, match="never released"):
        world.recall(decided.request, reason="x")


def test_a_trace_token_names_the_release(world: Garante) -> None:
    decided = world.request_release("lead", recipient="dea", purpose="seizure")
    leaked = _reports(world, "dea")[0]
    [found] = world.trace(find_trace_tokens(leaked))
    assert found.request == decided.request
    assert found.partner == "dea"
    assert found.item == "lead"


def test_date_added_strictly_increases_within_a_feed(world: Garante) -> None:
    world.request_release("lead", recipient="dea", purpose="seizure")
    world.request_release("lead", recipient="dea", purpose="arrest")
    rows, _ = world.feed_page(FeedQuery(partner_id="dea"))
    dates = [row.date_added for row in rows]
    assert dates == sorted(dates)
    assert len(set(dates)) == len(dates)


# The objects endpoint's reading of a page: ``feed_bodies`` serves what ``feed_page`` reads.


def _same_page(world: Garante, query: FeedQuery) -> None:
    rows, more = world.feed_page(query, deliver=False)
    page = world.feed_bodies(query, deliver=False)
    assert page.bodies == [row.body for row in rows]
    assert page.more == more
    if rows:
        assert (page.first_added, page.last_added, page.last_seq) == (
            rows[0].date_added,
            rows[-1].date_added,
            rows[-1].seq,
        )
        assert page.request_ids == {r.request_id for r in rows if r.request_id is not None}
    else:
        assert (page.first_added, page.last_added, page.last_seq) == (None, None, None)


def test_feed_bodies_serve_the_rows_feed_page_reads_under_every_filter(
    world: Garante, clock: FixedClock
) -> None:
    decided = world.request_release("lead", recipient="dea", purpose="seizure")
    _objects(world, "dea")  # delivered, so that a recall leaves revoked versions
    clock.set(clock.now() + timedelta(minutes=5))
    world.recall(decided.request, reason="source compromised")
    rows, _ = world.feed_page(FeedQuery(partner_id="dea", versions=("all",)))
    report = next(r for r in rows if r.object_type == "report")  # two versions: the recall's
    middle = rows[len(rows) // 2]
    for query in (
        FeedQuery(partner_id="dea"),
        FeedQuery(partner_id="dea", limit=2),
        FeedQuery(partner_id="dea", limit=2, after=(middle.date_added, middle.seq)),
        FeedQuery(partner_id="dea", types=("report", "identity")),
        FeedQuery(partner_id="dea", ids=(report.object_id,), versions=("all",)),
        FeedQuery(partner_id="dea", ids=(report.object_id,), versions=("first",)),
        FeedQuery(partner_id="dea", versions=(report.version,)),
        FeedQuery(partner_id="dea", added_after=middle.date_added),
        FeedQuery(partner_id="dea", spec_versions=("2.0",)),
        FeedQuery(partner_id="fbi"),
    ):
        _same_page(world, query)


def test_the_first_fetch_through_feed_bodies_records_the_delivery(world: Garante) -> None:
    world.request_release("lead", recipient="dea", purpose="seizure")
    before = world.ledger_size()
    page = world.feed_bodies(FeedQuery(partner_id="dea"))
    world.feed_bodies(FeedQuery(partner_id="dea"))
    kinds = [e.kind for e in world.entries(before, world.ledger_size())]
    assert page.bodies and kinds == ["release.delivered"]


def _many_releases(world: Garante) -> tuple[int, set[int]]:
    """Twelve items of their own released to the DEA and the FBI, the DEA's first fetched
    before the others: that delivered release's id, and the 23 undelivered ones'."""
    for number in range(12):
        world.add_item(
            f"lead-{number}",
            title=f"Lead {number}",
            category="maritime-interdiction",
            region="caribbean",
            tlp="amber",
            originator="dipol",
            bundle=own_bundle(f"lead-{number}"),
        )
    delivered = world.request_release("lead-0", recipient="dea", purpose="seizure").request
    _objects(world, "dea")  # fetched: delivered
    undelivered = {
        world.request_release(f"lead-{number}", recipient=partner, purpose="seizure").request
        for number in range(12)
        for partner in ("dea", "fbi")
        if (number, partner) != (0, "dea")
    }
    return delivered, undelivered


def _logged(world: Garante, start: int, kind: str) -> list[int]:
    """The request each entry of ``kind`` logged from ``start`` names, in log order."""
    return [
        json.loads(entry.entry)["data"]["request"]
        for entry in world.entries(start, world.ledger_size())
        if entry.kind == kind
    ]


def test_an_order_withholds_each_of_many_undelivered_releases_and_logs_each(
    world: Garante,
) -> None:
    delivered, undelivered = _many_releases(world)
    start = world.ledger_size()
    change = issue(world, "hold")
    assert {enforced.request for enforced in change.withheld} == undelivered
    assert sorted(_logged(world, start, "release.withheld")) == sorted(undelivered)
    assert _reports(world, "fbi") == []
    [kept] = _reports(world, "dea")  # the delivered release is never hidden
    assert kept["id"] in {str(o["id"]) for o in own_bundle("lead-0")["objects"]}
    assert delivered not in undelivered


def test_lifting_an_order_serves_each_of_many_releases_again_in_date_order(
    world: Garante, clock: FixedClock
) -> None:
    _, undelivered = _many_releases(world)
    order = issue(world, "hold").value
    clock.set(clock.now() + timedelta(hours=1))
    start = world.ledger_size()
    change = world.lift_order(order.id, authority_id="presidency", reason="over", signature=None)
    assert {enforced.request for enforced in change.available} == undelivered
    assert sorted(_logged(world, start, "release.available")) == sorted(undelivered)
    for partner in ("dea", "fbi"):
        rows, _ = world.feed_page(FeedQuery(partner_id=partner, types=("report",)))
        assert len(rows) == 12
        restored = [row.date_added for row in rows if row.date_added >= clock.now()]
        assert len(restored) == (11 if partner == "dea" else 12)
        assert restored == sorted(set(restored))  # strictly increasing, none shared


def test_objects_the_transaction_holds_learn_that_an_order_hid_them(world: Garante) -> None:
    """What the order's transaction already loaded of the feed is hidden there too, not left
    as it was read: what it reads next must not serve a withheld object."""
    _, undelivered = _many_releases(world)
    order = world.draft_order(
        authority_id="presidency",
        effect="hold",
        scope=Scope(countries=frozenset({"US"})),
        reason="issued over rows the transaction holds",
    ).order
    with world.context.writes("test") as tx:
        held = list(
            tx.session.scalars(
                select(FeedObjectRow).where(FeedObjectRow.request_id.in_(undelivered))
            )
        )
        assert held and all(row.visible for row in held)
        service_orders.issue_order(tx, order=order, signature=None)  # as issue_order does
        assert not any(row.visible for row in held)
