"""MISP events and feeds, made by PyMISP, read as STIX 2.1 items with their markings mapped."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from garante.domain.errors import InvalidBundle, ValidationError
from garante.domain.vocabulary import Tlp
from garante.service.items import parse_bundle
from garante.sources.markings import Pap, read_markings
from garante.sources.misp import event_to_bundle, http_fetch, load_event, read_feed
from garante.stix.markings import TLP2_MARKING_IDS
from tests.support.misp_feed import WHEN, feed_json, misp_event, write_feed

CLAN = 'misp-galaxy:threat-actor="Clan del Golfo"'


def exported(**options: Any) -> dict[str, Any]:
    """An event as MISP's JSON export gives it."""
    loaded: dict[str, Any] = json.loads(misp_event(**options).to_json())
    return loaded


def test_an_event_is_one_item_named_by_its_uuid_and_versioned_by_its_timestamp() -> None:
    event = misp_event(info="Go-fast boat sighted off Tumaco")
    converted = event_to_bundle(feed_json(event))
    assert converted.event_uuid == event.uuid
    assert converted.version == str(int(WHEN.timestamp()))
    assert converted.version_time == WHEN
    assert converted.title == "Go-fast boat sighted off Tumaco"
    item = converted.item()
    assert (item.upstream_id, item.version, item.revoked) == (
        event.uuid,
        converted.version,
        False,
    )
    assert converted.bundle["type"] == "bundle"
    report = [o for o in converted.objects if o["type"] == "report"]
    assert [r["name"] for r in report] == ["Go-fast boat sighted off Tumaco"]
    values = {o.get("value") for o in converted.objects}
    assert {"203.0.113.5", "evil.example"} <= values


def test_an_event_misp_stix_built_of_stix2_objects_alone_is_not_parsed_again() -> None:
    converted = event_to_bundle(exported(tags=("tlp:green",)))

    assert converted.stix_built


def test_an_event_converted_with_custom_content_is_parsed_in_full_and_refused() -> None:
    """A custom object (an attribute STIX has no type for) is built with ``allow_custom``;
    the full parse that follows refuses it, as it did before conversions were trusted."""
    converted = event_to_bundle(exported(tags=("tlp:green",), attributes=(("text", "hello"),)))

    assert not converted.stix_built
    with pytest.raises(InvalidBundle, match="x-misp-attribute"):
        parse_bundle(converted.bundle, stix_built=converted.stix_built)


def test_a_published_event_is_a_report_an_unpublished_one_a_grouping() -> None:
    published = event_to_bundle(feed_json(misp_event(published=True)))
    draft = event_to_bundle(exported(published=False))
    assert published.published
    assert not draft.published
    assert {o["type"] for o in draft.objects} >= {"grouping"}


def test_a_deleted_event_is_a_revoked_item() -> None:
    event = exported()
    event["deleted"] = True
    converted = event_to_bundle(event)
    assert converted.deleted
    assert converted.item().revoked


def test_a_new_timestamp_is_a_new_version() -> None:
    event = misp_event()
    first = event_to_bundle(feed_json(event))
    event.timestamp = WHEN + timedelta(hours=1)
    second = event_to_bundle(feed_json(event))
    assert int(second.version) > int(first.version)
    assert second.event_uuid == first.event_uuid


def test_the_same_event_converts_to_the_same_bundle() -> None:
    event = feed_json(misp_event())
    assert event_to_bundle(event).bundle == event_to_bundle(event).bundle


@pytest.mark.parametrize(
    ("tag", "tlp"),
    [
        ("tlp:white", Tlp.CLEAR),
        ("tlp:clear", Tlp.CLEAR),
        ("tlp:green", Tlp.GREEN),
        ("tlp:amber", Tlp.AMBER),
        ("tlp:amber+strict", Tlp.AMBER_STRICT),
        ("tlp:red", Tlp.RED),
    ],
)
def test_an_events_tlp_tag_maps_to_the_items_tlp(tag: str, tlp: Tlp) -> None:
    converted = event_to_bundle(feed_json(misp_event(tags=(tag,))))
    markings = read_markings(converted.objects, tags=converted.marking_tags)
    assert markings.review == ()
    assert markings.tlp is tlp
    assert tag in markings.sources


def test_an_attributes_stricter_tag_makes_the_item_stricter() -> None:
    event = misp_event(tags=("tlp:green", "PAP:GREEN"), attribute_tags=("tlp:red", "PAP:RED"))
    converted = event_to_bundle(feed_json(event))
    markings = read_markings(converted.objects, tags=converted.marking_tags)
    assert markings.tlp is Tlp.RED
    assert markings.pap is Pap.RED


def test_amber_strict_becomes_the_tlp2_marking_on_the_delivered_objects() -> None:
    converted = event_to_bundle(feed_json(misp_event(tags=("tlp:amber+strict",))))
    marked = [o for o in converted.objects if o.get("object_marking_refs")]
    assert marked
    assert all(
        TLP2_MARKING_IDS[Tlp.AMBER_STRICT] in o["object_marking_refs"]  # type: ignore[operator]
        for o in marked
    )


def test_an_event_without_a_tlp_tag_is_held_unless_the_source_has_a_default() -> None:
    converted = event_to_bundle(feed_json(misp_event(tags=("PAP:AMBER",))))
    held = read_markings(converted.objects, tags=converted.marking_tags)
    assert held.tlp is None
    assert held.pap is Pap.AMBER
    defaulted = read_markings(converted.objects, tags=converted.marking_tags, default=Tlp.AMBER)
    assert defaulted.tlp is Tlp.AMBER


def test_an_unknown_tlp_tag_holds_the_event() -> None:
    converted = event_to_bundle(feed_json(misp_event(tags=("tlp:ex:chr",))))
    markings = read_markings(converted.objects, tags=converted.marking_tags, default=Tlp.CLEAR)
    assert markings.tlp is None
    assert any("tlp:ex:chr" in reason for reason in markings.review)


def test_galaxy_clusters_are_kept_as_galaxy_tags() -> None:
    event = misp_event()
    galaxy = event.add_galaxy(
        type="threat-actor", name="Threat Actor", uuid="698774c7-8022-42c4-917f-8d6e4f06ada3"
    )
    galaxy.add_galaxy_cluster(
        type="threat-actor",
        value="Clan del Golfo",
        tag_name=CLAN,
        uuid="7cdff317-a673-4474-84ec-4f1754947823",
    )
    converted = event_to_bundle(json.loads(event.to_json()))
    assert converted.galaxy_tags == (CLAN,)
    assert any(o["type"] == "threat-actor" for o in converted.objects)


def test_a_feed_carries_galaxies_as_tags_and_they_are_kept() -> None:
    converted = event_to_bundle(feed_json(misp_event(tags=("tlp:green", CLAN))))
    assert converted.galaxy_tags == (CLAN,)
    assert converted.tags == ("tlp:green", CLAN)


# --- Malformed events ---------------------------------------------------------------------------


def broken(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    event = feed_json(misp_event())
    node = event["Event"]
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return event


@pytest.mark.parametrize(
    ("event", "field"),
    [
        pytest.param(broken(("uuid",), "not-a-uuid"), "Event.uuid", id="uuid"),
        pytest.param(broken(("uuid",), KeyError), "Event.uuid", id="no-uuid"),
        pytest.param(broken(("info",), ""), "Event.info", id="empty-info"),
        pytest.param(broken(("timestamp",), "yesterday"), "Event.timestamp", id="timestamp"),
        pytest.param(broken(("timestamp",), KeyError), "Event.timestamp", id="no-timestamp"),
        pytest.param(broken(("Orgc",), KeyError), "Event.Orgc", id="no-orgc"),
        pytest.param(broken(("published",), "maybe"), "Event.published", id="published"),
        pytest.param(broken(("Tag",), "tlp:red"), "Event.Tag", id="tags-not-a-list"),
        pytest.param(broken(("Tag", 0), {"colour": "#fff"}), "Event.Tag[0]", id="tag-no-name"),
        pytest.param(broken(("Attribute", 0), "x"), "Event.Attribute[0]", id="attribute-not-obj"),
        pytest.param(
            broken(("Attribute", 0, "type"), KeyError), "Event.Attribute[0]", id="attribute-type"
        ),
        pytest.param({"Event": ["not", "an", "event"]}, "Event", id="event-not-an-object"),
    ],
)
def test_a_malformed_event_is_refused_naming_what_is_wrong(
    event: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        event_to_bundle(event)
    assert raised.value.field == field


def test_an_attribute_misp_does_not_know_refuses_the_whole_event() -> None:
    event = broken(("Attribute", 0, "type"), "bogus-type")
    with pytest.raises(ValidationError) as raised:
        event_to_bundle(event)
    assert "bogus-type" in raised.value.message
    assert raised.value.code == "validation.invalid"


@pytest.mark.parametrize("text", ["{", "[1, 2]", b"\xff\xfe"])
def test_text_that_is_not_an_event_object_is_refused(text: str | bytes) -> None:
    with pytest.raises(ValidationError):
        load_event(text)


# --- Feeds --------------------------------------------------------------------------------------


def test_a_feed_directory_lists_its_events_and_converts_each(tmp_path: Path) -> None:
    events = [
        misp_event(info="One", tags=("tlp:green",)),
        misp_event(info="Two", tags=("tlp:amber+strict",)),
    ]
    feed = read_feed(write_feed(tmp_path / "feed", events))
    assert {entry.uuid for entry in feed.entries} == {e.uuid for e in events}
    assert {entry.info for entry in feed.entries} == {"One", "Two"}
    assert {entry.timestamp for entry in feed.entries} == {str(int(WHEN.timestamp()))}
    tlps = {}
    for converted in feed.events():
        markings = read_markings(converted.objects, tags=converted.marking_tags)
        tlps[converted.title] = markings.tlp
    assert tlps == {"One": Tlp.GREEN, "Two": Tlp.AMBER_STRICT}


def test_a_feed_is_read_through_the_callers_fetch_for_a_url(tmp_path: Path) -> None:
    event = misp_event(info="Over HTTP")
    directory = write_feed(tmp_path / "feed", [event])
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        return (directory / url.rsplit("/", 1)[1]).read_bytes()

    feed = read_feed("https://misp.invalid/feeds/garante/", fetch=fetch)
    assert feed.event(event.uuid).title == "Over HTTP"
    assert asked == [
        "https://misp.invalid/feeds/garante/manifest.json",
        f"https://misp.invalid/feeds/garante/{event.uuid}.json",
    ]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A directory served over HTTP on loopback, as a web server publishes a MISP feed."""
    directory = tmp_path / "www"
    directory.mkdir()

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield directory, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_feed_is_read_over_http(served: tuple[Path, str]) -> None:
    directory, url = served
    event = misp_event(info="Published over HTTP", tags=("tlp:green",))
    write_feed(directory / "feed", [event])
    with httpx.Client(timeout=10) as client:
        feed = read_feed(f"{url}/feed/", fetch=http_fetch(client))
        converted = feed.event(event.uuid)
    assert converted.title == "Published over HTTP"
    assert read_markings(converted.objects, tags=converted.marking_tags).tlp is Tlp.GREEN


def test_a_feed_url_that_answers_404_raises_the_http_error(served: tuple[Path, str]) -> None:
    _, url = served
    with httpx.Client(timeout=10) as client, pytest.raises(httpx.HTTPStatusError):
        read_feed(f"{url}/nothing-here", fetch=http_fetch(client))


def test_a_feed_url_needs_an_http_client() -> None:
    with pytest.raises(ValidationError) as raised:
        read_feed("https://misp.invalid/feed")
    assert raised.value.field == "location"


def test_a_feed_without_a_manifest_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValidationError) as raised:
        read_feed(tmp_path / "empty")
    assert "manifest.json" in raised.value.message


def test_a_feed_event_file_that_is_not_json_is_refused_naming_the_file(tmp_path: Path) -> None:
    event = misp_event()
    directory = write_feed(tmp_path / "feed", [event])
    (directory / f"{event.uuid}.json").write_text("{ truncated")
    with pytest.raises(ValidationError) as raised:
        read_feed(directory).event(event.uuid)
    assert f"{event.uuid}.json" in raised.value.message


def test_a_feed_file_holding_another_event_is_refused(tmp_path: Path) -> None:
    one, two = misp_event(info="One"), misp_event(info="Two")
    directory = write_feed(tmp_path / "feed", [one, two])
    (directory / f"{one.uuid}.json").write_text((directory / f"{two.uuid}.json").read_text())
    with pytest.raises(ValidationError) as raised:
        read_feed(directory).event(one.uuid)
    assert raised.value.field == "Event.uuid"


def test_a_manifest_naming_no_uuid_is_refused(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"latest": {"timestamp": "1"}}))
    with pytest.raises(ValidationError) as raised:
        read_feed(tmp_path)
    assert raised.value.field == "manifest"
