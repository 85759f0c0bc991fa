"""A release reads the consents its node took upstream only for the upstream releases of the
items it decides on (``store.consents.held``): the answers about other items' upstream
releases cannot change its outcome, and an item no upstream released needs none."""

from __future__ import annotations

from sqlalchemy.orm import Session

from garante.service.app import Garante
from garante.store import consents
from garante.store.schema import ConsentAskedRow
from tests.support.scenario import START
from tests.support.sources import add_garante_source

SOURCE = "from-colombia"


def _asked(session: Session, consent_id: str, request: int, status: str) -> None:
    session.add(
        ConsentAskedRow(
            id=consent_id,
            source_id=SOURCE,
            item_id="lead",
            upstream_origin="garante.example/colombia",
            upstream_request=request,
            recipient_id="dea",
            purpose="seizure",
            statement="{}",
            asked_by="test",
            asked_at=START,
            status=status,
        )
    )


def _answers(world: Garante) -> None:
    with Session(world.engine) as session, session.begin():
        add_garante_source(session, SOURCE, originator="dipol")
        _asked(session, "consent--granted-7", 7, "granted")
        _asked(session, "consent--refused-8", 8, "refused")
        _asked(session, "consent--asked-9", 9, "asked")


def test_the_answers_about_the_named_upstream_releases_are_read(world: Garante) -> None:
    _answers(world)
    with Session(world.engine) as session, session.begin():
        held = consents.held(session, [7, 9])
    assert held == {("garante.example/colombia", 7, "dea", "seizure"): "granted"}


def test_every_answer_is_read_when_no_release_is_named(world: Garante) -> None:
    _answers(world)
    with Session(world.engine) as session, session.begin():
        held = consents.held(session)
    assert sorted(held.values()) == ["granted", "refused"]


def test_a_release_of_items_no_upstream_released_reads_no_answer(world: Garante) -> None:
    _answers(world)
    with Session(world.engine) as session, session.begin():
        assert consents.held(session, []) == {}
