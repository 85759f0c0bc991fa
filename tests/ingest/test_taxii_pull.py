"""Pulling a TAXII 2.1 collection from a real medallion: each upstream object becomes one item,
logged with where it came from, taken once however often it is read, resumed where a pull
stopped, and every failure of the upstream retried, then recorded as the source's last error."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from garante.domain.errors import UnknownValue, UpstreamFailed
from garante.ledger.note import VerifierKey
from garante.records import Pulled
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.service.dbcheck import check_store
from garante.service.sources import item_id
from garante.stix.markings import find_trace_tokens
from garante.store.feed import FeedQuery
from garante.upstream.taxii import Retry
from tests.ingest.conftest import (
    BROKEN,
    MAIN,
    PASSWORD,
    UNKNOWN,
    USER,
    add_source,
    added,
    indicator,
    upstream,
)
from tests.replay.conftest import Log
from tests.support import peers, reach
from tests.support.agreements import make_agreement
from tests.support.stores import BACKENDS

FAST = Retry(attempts=3, backoff=0.01)
BY_HAND = "bundle--6b1c2d3e-0000-4000-8000-000000000009"  # an item an analyst typed


def kinds(garante: Garante, kind: str) -> list[dict[str, Any]]:
    found = [json.loads(e.entry) for e in garante.entries(0, garante.ledger_size())]
    return [e["data"] for e in found if e["kind"] == kind]


def post(medallion: peers.Medallion, objects: list[dict[str, Any]]) -> None:
    """Objects added upstream, as a producer adds them (TAXII 2.1 Add Objects)."""
    answer = httpx.post(
        medallion.objects_url(MAIN),
        auth=(USER, PASSWORD),
        headers={"Accept": peers.TAXII_JSON, "Content-Type": peers.TAXII_JSON},
        json={"objects": objects},
    )
    assert answer.status_code == 202, answer.text


# -- ingest ----------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_upstream_object_becomes_one_item_logged_with_where_it_came_from(
    world: Garante, medallion: peers.Medallion
) -> None:
    analyst = add_source(world, medallion.api_root)

    pulled = analyst.pull_source("upstream", retry=FAST).value

    assert (pulled.objects, len(pulled.items), pulled.held) == (5, 5, ())
    ingested = kinds(world, "item.ingested")
    assert sorted(e["upstream_id"] for e in ingested) == sorted(
        indicator(n)["id"] for n in range(5)
    )
    added = {e["item"]: e for e in kinds(world, "item.added")}
    for entry in ingested:
        assert entry["source"] == "upstream"
        assert entry["upstream_version"] == "2025-01-01T00:00:00.000Z"
        assert added[entry["item"]]["content_commitment"] == entry["content_commitment"]
        assert added[entry["item"]]["tlp"] == "green"  # its marking, not the source's default
        assert added[entry["item"]]["originator"] == "dipol"


def test_the_source_shows_its_position_and_last_success_after_a_pull(
    world: Garante, medallion: peers.Medallion
) -> None:
    analyst = add_source(world, medallion.api_root)

    analyst.pull_source("upstream", retry=FAST)

    source = analyst.source("upstream")
    assert source.position == "2025-02-05T00:00:00.000000Z"  # the last date_added taken
    assert source.last_success_at is not None and source.last_error is None
    assert (source.items, source.lag_seconds) == (5, 0.0)


def test_an_ingested_item_reaches_a_partner_through_an_agreement_and_trace_names_its_source(
    world: Garante, medallion: peers.Medallion
) -> None:
    make_agreement(world, "dea", purposes=["seizure"], tlp_ceiling="amber")
    analyst = add_source(world, medallion.api_root)

    change = analyst.pull_source("upstream", retry=FAST)

    assert sorted(d.outcome.value for d in change.started) == ["released"] * 5
    rows, _more = world.feed_page(FeedQuery(partner_id="dea"))
    tokens = find_trace_tokens([json.loads(r.body) for r in rows])
    traced = world.trace(sorted(tokens))
    assert {t.source for t in traced} == {"upstream"}
    assert {t.upstream_id for t in traced} == {indicator(n)["id"] for n in range(5)}


# -- idempotent, resumable -------------------------------------------------------------------


def test_a_second_pull_takes_nothing_again(world: Garante, medallion: peers.Medallion) -> None:
    analyst = add_source(world, medallion.api_root)
    analyst.pull_source("upstream", retry=FAST)

    again = analyst.pull_source("upstream", retry=FAST).value

    assert (again.objects, again.items) == (0, ())
    assert len(analyst.items()) == 5
    assert len(kinds(world, "item.ingested")) == 5


class Stop(Exception):
    """The process stopping between two pages."""


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_pull_stopped_inside_a_page_takes_the_rest_after_a_restart_and_nothing_twice(
    world: Garante, medallion: peers.Medallion, db_url: str, clock: FixedClock
) -> None:
    analyst = add_source(world, medallion.api_root)

    def stop_after_three(now: Pulled) -> None:
        if len(now.items) == 3:
            raise Stop

    with pytest.raises(Stop):
        analyst.pull_source("upstream", retry=FAST, progress=stop_after_three)
    assert analyst.source("upstream").position is None  # the page was not finished
    restarted = reach.allow(Garante.open(db_url, clock=clock, actor="test"))  # loopback
    try:
        rest = restarted.acting_as(analyst.principal).pull_source("upstream", retry=FAST).value
    finally:
        restarted.close()

    assert (rest.objects, len(rest.items), rest.duplicates) == (5, 2, 3)
    ingested = [e["upstream_id"] for e in kinds(world, "item.ingested")]
    assert sorted(ingested) == sorted(indicator(n)["id"] for n in range(5))


def test_a_pull_stopped_between_pages_resumes_after_a_restart_without_duplicates_or_gaps(
    world: Garante, medallion: peers.Medallion, db_url: str, clock: FixedClock
) -> None:
    analyst = add_source(world, medallion.api_root)

    def stop_after_two(now: Pulled) -> None:
        if now.pages == 2 and now.position == "2025-02-04T00:00:00.000000Z":
            raise Stop  # once the second page is recorded

    with pytest.raises(Stop):
        analyst.pull_source("upstream", retry=FAST, limit=2, progress=stop_after_two)
    assert len(kinds(world, "item.ingested")) == 4
    restarted = reach.allow(Garante.open(db_url, clock=clock, actor="test"))  # loopback
    try:
        rest = restarted.acting_as(analyst.principal).pull_source("upstream", limit=2, retry=FAST)
    finally:
        restarted.close()

    assert rest.value.objects == 1  # resumed at the third page, not from the start
    ingested = [e["upstream_id"] for e in kinds(world, "item.ingested")]
    assert sorted(ingested) == sorted(indicator(n)["id"] for n in range(5))


def test_objects_added_upstream_later_are_taken_by_the_next_pull_and_nothing_else(
    world: Garante, medallion: peers.Medallion
) -> None:
    analyst = add_source(world, medallion.api_root)
    analyst.pull_source("upstream", retry=FAST)

    post(medallion, [indicator(10), indicator(11)])
    later = analyst.pull_source("upstream", retry=FAST).value

    assert (later.objects, len(later.items)) == (2, 2)
    assert len(kinds(world, "item.ingested")) == 7


def test_a_later_version_of_an_object_is_the_item_s_next_version_not_a_second_item(
    world: Garante, medallion: peers.Medallion
) -> None:
    analyst = add_source(world, medallion.api_root)
    analyst.pull_source("upstream", retry=FAST)

    post(medallion, [indicator(0, modified="2025-03-01T00:00:00.000Z")])
    later = analyst.pull_source("upstream", retry=FAST).value

    assert (later.items, len(later.revised), later.versions_seen) == ((), 1, 0)
    (revised,) = kinds(world, "item.revised")
    (first,) = [
        e for e in kinds(world, "item.ingested") if e["upstream_id"] == revised["upstream_id"]
    ]
    assert (revised["item"], revised["version"]) == (first["item"], 2)
    assert revised["upstream_version"] == "2025-03-01T00:00:00.000Z"


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_object_refused_inside_a_batch_is_rolled_back_alone_and_the_others_are_taken(
    world: Garante, medallion: peers.Medallion, log_key_file: Path
) -> None:
    """The page's five objects are taken in one transaction, each in its own savepoint: the
    third one's item id is taken already (an analyst used it), so taking it is refused and
    rolled back alone, with its log entries; the others are taken, the page's position is
    recorded with them, and the log replays with no disagreement."""
    analyst = add_source(world, medallion.api_root)
    clash = item_id("upstream", indicator(2)["id"])
    analyst.add_item(
        clash,
        title="Typed by hand",
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator="dipol",
        bundle=json.dumps({"type": "bundle", "id": BY_HAND, "objects": [indicator(9)]}),
    )

    pulled = analyst.pull_source("upstream", retry=FAST).value

    assert len(pulled.items) == 4 and clash not in pulled.items
    assert len(pulled.rejected) == 1 and "already exists" in pulled.rejected[0]
    ingested = sorted(e["upstream_id"] for e in kinds(world, "item.ingested"))
    assert ingested == sorted(indicator(n)["id"] for n in (0, 1, 3, 4))
    assert analyst.source("upstream").position == added(4)
    replayed = Log.of(world, log_key_file).replayed()
    assert replayed.ok, [str(d) for d in replayed.replay.disagreements]


# -- mapping ---------------------------------------------------------------------------------


def test_the_source_s_mapping_rules_give_category_and_region_else_its_defaults(
    world: Garante, medallion_peer: peers.Peer, tmp_path: Path
) -> None:
    laundering = {**indicator(0), "labels": ["money-laundering-ring"]}
    rules = {
        "rules": [
            {"on": "stix-label", "pattern": "money-laundering*", "category": "money-laundering"},
            {"on": "stix-label", "pattern": "*-ring", "region": "andean"},
        ]
    }
    with upstream(medallion_peer, tmp_path, [laundering, indicator(1)]) as medallion:
        analyst = add_source(world, medallion.api_root, mapping=rules)
        analyst.pull_source("upstream", retry=FAST)

    added = {e["item"]: (e["category"], e["region"]) for e in kinds(world, "item.added")}
    assert sorted(added.values()) == [
        ("maritime-interdiction", "caribbean"),  # the source's defaults
        ("money-laundering", "andean"),
    ]


def test_a_mapping_rule_outside_the_vocabulary_is_refused_when_the_source_is_added(
    world: Garante, medallion: peers.Medallion
) -> None:
    rules = {"rules": [{"on": "stix-label", "pattern": "x", "category": "piracy"}]}

    with pytest.raises(UnknownValue, match="piracy"):
        add_source(world, medallion.api_root, mapping=rules)


# -- markings --------------------------------------------------------------------------------


def test_an_object_with_an_unknown_marking_is_held_for_review_never_cleared(
    world: Garante, medallion_peer: peers.Peer, tmp_path: Path
) -> None:
    with upstream(medallion_peer, tmp_path, [indicator(0, marking=UNKNOWN)]) as medallion:
        analyst = add_source(world, medallion.api_root)
        pulled = analyst.pull_source("upstream", retry=FAST).value

    (item_id,) = pulled.held
    item = analyst.item(item_id)
    assert item.review and item.tlp.value == "red"
    decided = analyst.request_release(item_id, recipient="dea", purpose="seizure")
    assert decided.outcome.value == "held"
    assert [r.rule for r in decided.rules] == ["2.review"]


# -- faults ----------------------------------------------------------------------------------


def test_wrong_credentials_fail_the_pull_and_are_recorded_as_its_last_error(
    world: Garante, medallion: peers.Medallion
) -> None:
    analyst = add_source(world, medallion.api_root, secret="not-the-password")

    with pytest.raises(UpstreamFailed, match="HTTP 401"):
        analyst.pull_source("upstream", retry=FAST)

    source = analyst.source("upstream")
    assert source.last_error is not None and "HTTP 401" in source.last_error
    assert (source.items, source.position, source.last_success_at) == (0, None, None)


def test_an_upstream_answering_500_is_retried_then_recorded(
    world: Garante, medallion: peers.Medallion
) -> None:
    analyst = add_source(world, medallion.api_root, collection=BROKEN)

    with pytest.raises(UpstreamFailed, match=r"HTTP 500 \(after 3 attempts\)"):
        analyst.pull_source("upstream", retry=FAST)

    assert "HTTP 500" in (analyst.source("upstream").last_error or "")
    assert kinds(world, "item.added") == []


def test_an_unreachable_upstream_is_recorded_and_a_later_success_clears_it(
    world: Garante, medallion: peers.Medallion
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    analyst = add_source(world, f"http://127.0.0.1:{port}/root/")

    with pytest.raises(UpstreamFailed, match="cannot reach"):
        analyst.pull_source("upstream", retry=FAST)

    assert "cannot reach" in (analyst.source("upstream").last_error or "")


@pytest.fixture
def garbage() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on loopback that answers every request with a body that is not JSON,
    and notes each path it was asked for."""
    asked: list[str] = []

    class Garbage(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = b"<html>not a TAXII envelope</html>"
            self.send_response(200)
            self.send_header("Content-Type", peers.TAXII_JSON)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/root/", asked
    finally:
        server.shutdown()
        server.server_close()


def test_a_garbage_body_is_retried_with_backoff_then_recorded(
    world: Garante, garbage: tuple[str, list[str]]
) -> None:
    url, asked = garbage
    waits: list[float] = []
    analyst = add_source(world, url, auth="none")

    with pytest.raises(UpstreamFailed, match=r"not a TAXII 2\.1 envelope"):
        analyst.pull_source("upstream", retry=Retry(attempts=3, backoff=0.5, sleep=waits.append))

    assert waits == [0.5, 1.0]
    assert len(asked) == 3
    assert "not a TAXII 2.1 envelope" in (analyst.source("upstream").last_error or "")


@pytest.fixture
def looping() -> Iterator[str]:
    """A TAXII server on loopback whose every page says there is more, with the same next."""
    page = json.dumps({"more": True, "next": "again", "objects": [indicator(0)]}).encode()

    class Looping(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", peers.TAXII_JSON)
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Looping)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/root/"
    finally:
        server.shutdown()
        server.server_close()


def test_an_upstream_that_hands_the_same_next_token_round_is_stopped_and_recorded(
    world: Garante, looping: str
) -> None:
    analyst = add_source(world, looping, auth="none")

    with pytest.raises(UpstreamFailed, match="next token it had already given"):
        analyst.pull_source("upstream", retry=FAST)

    assert len(analyst.items()) == 1  # the one object it sent, taken once
    assert "already given" in (analyst.source("upstream").last_error or "")


def test_an_upstream_that_never_answers_times_out_and_is_recorded(world: Garante) -> None:
    with socket.socket() as silent:  # accepts connections into its backlog, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/root/"
        analyst = add_source(world, url, auth="none")

        with pytest.raises(UpstreamFailed, match=r"did not answer within 0\.2 s"):
            analyst.pull_source("upstream", retry=FAST, timeout=0.2)

    assert "did not answer" in (analyst.source("upstream").last_error or "")


# -- the log ---------------------------------------------------------------------------------


def test_the_secret_is_in_no_entry_and_no_answer(
    world: Garante, medallion: peers.Medallion
) -> None:
    analyst = add_source(world, medallion.api_root)
    analyst.pull_source("upstream", retry=FAST)

    log = b"".join(e.entry.encode() for e in world.entries(0, world.ledger_size()))
    assert PASSWORD.encode() not in log and USER.encode() not in log
    (added,) = kinds(world, "source.added")
    assert added["auth"] == "basic" and len(added["credentials"]) == 64
    assert PASSWORD not in repr(analyst.source("upstream"))
    assert PASSWORD not in repr(analyst.sources())


def test_db_check_with_the_log_key_finds_the_store_as_the_log_says_after_ingests(
    world: Garante, medallion: peers.Medallion
) -> None:
    analyst = add_source(world, medallion.api_root)
    analyst.pull_source("upstream", retry=FAST)
    post(medallion, [indicator(0, modified="2025-03-01T00:00:00.000Z")])
    analyst.pull_source("upstream", retry=FAST)
    analyst.pause_source("upstream", reason="upstream maintenance")
    add_source(world, medallion.api_root, source_id="replaced")
    analyst.remove_source("replaced", reason="replaced by upstream")
    world.publish_checkpoint()

    report = check_store(world.engine, log_key=VerifierKey.parse(world.log_verifier_key()))

    assert report.failed == []
    assert report.replay is not None and report.replay.ok


def test_a_collection_of_several_pages_under_one_paging_session_is_taken_whole(
    world: Garante, medallion_peer: peers.Peer, tmp_path: Path
) -> None:
    """medallion's next token names its paging session: the same on every page."""
    objects = [indicator(n) for n in range(5)]
    with upstream(medallion_peer, tmp_path / "paged", objects, page_size=2) as served:
        analyst = add_source(world, served.api_root)

        pulled = analyst.pull_source("upstream", retry=FAST, limit=2).value

    assert (pulled.pages, len(pulled.items)) == (3, 5)
