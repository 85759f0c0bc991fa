"""``garante db upgrade`` and ``garante db check``, on a SQLite file and on PostgreSQL.

Each broken store is made the way an operator's mistake or an attacker would make it: with SQL
straight at the tables, past the service, so that the check, not the service, has to find it.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, delete, insert, select, text, update
from typer.testing import CliRunner

from garante.cli.main import app
from garante.domain.acknowledgement import Acknowledgement
from garante.domain.condition import ConditionRule
from garante.domain.consent import ConsentRequest
from garante.domain.order import Scope
from garante.domain.outcome import OutcomeReport
from garante.domain.roles import Principal, Role
from garante.ledger.note import Signer
from garante.scenarios.keys import demo_key
from garante.service.app import Garante
from garante.service.clock import FixedClock
from garante.signatures import public_key_bytes, sign_statement
from garante.store.database import alembic_config
from garante.store.feed import FeedQuery
from garante.store.queries import LOG_VERIFIER_KEY
from garante.store.schema import (
    AcknowledgementRow,
    AgencyRow,
    AgreementRow,
    ConsentRequestRow,
    DecisionRow,
    EventRow,
    LedgerEntryRow,
    RequestRow,
    SettingRow,
)
from tests.support import passkey, postgres
from tests.support.scenario import START, scenario_bundle
from tests.support.stores import BACKENDS, GARANTE

runner = CliRunner()
RECOVERED_FBI = demo_key("fbi-recovered")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def db(url: str, *args: str) -> tuple[int, dict[str, Any], str]:
    """Run ``garante --json --db URL db ARGS`` and return its exit code, JSON and stderr."""
    result = runner.invoke(app, ["--json", "--db", url, "db", *args])
    return result.exit_code, json.loads(result.stdout) if result.stdout else {}, result.stderr


def populate(
    garante: Garante, clock: FixedClock, *, outcomes: bool = True, agreements: bool = True
) -> None:
    """A store that has seen every kind of state change, then a signed checkpoint."""
    garante.register_agency("dipol", name="DIPOL", country="CO", domestic=True)
    garante.register_agency("dea", name="DEA", country="US")
    garante.register_agency("fbi", name="FBI", country="US")
    garante.set_agency_key("fbi", public_key_bytes(demo_key("fbi").public_key()))
    garante.register_authority("presidency", name="Presidency")
    garante.define_condition(
        "strikes",
        description="strikes persist",
        rule=ConditionRule(kind="vessel-strike", region="caribbean", min_events=1, window_days=30),
    )
    garante.record_event(
        kind="vessel-strike", region="caribbean", occurred_at=clock.now(), agency_id="dipol"
    )
    garante.add_item(
        "lead",
        title="Go-fast lead",
        category="maritime-interdiction",
        region="caribbean",
        tlp="amber",
        originator="dipol",
        bundle=scenario_bundle(),
    )
    terms = garante.draft_undertaking("dea", permits=["seizure", "arrest"])
    garante.record_undertaking(terms, signature=None)
    kept = garante.request_release("lead", recipient="dea", purpose="seizure")
    garante.feed_page(FeedQuery(partner_id="dea"))  # delivered
    recalled = garante.request_release("lead", recipient="dea", purpose="arrest")
    garante.recall(recalled.request, reason="sent in error")
    order = garante.draft_order(
        authority_id="presidency",
        effect="hold",
        scope=Scope(countries=frozenset({"US"})),
        reason="while the strikes persist",
        while_condition="strikes",
    ).order
    garante.issue_order(order, signature=None)
    garante.request_release("lead", recipient="dea", purpose="seizure")  # held
    garante.amend_order(
        garante.draft_amendment(order.id, authority_id="presidency", reason="narrowed").order,
        authority_id="presidency",
        signature=None,
    )
    clock.set(clock.now() + timedelta(hours=1))
    garante.lift_order(order.id, authority_id="presidency", reason="over", signature=None)
    if outcomes:  # a breach: the system authority and its automatic hold
        garante.report_outcome(
            OutcomeReport(
                request_id=kept.request,
                agency_id="dea",
                kind="lethal-force",
                occurred_at=clock.now(),
            ),
            signed=False,
        )
    terms = garante.draft_undertaking("fbi", permits=["arrest"])
    garante.record_undertaking(terms, signature=sign_statement(demo_key("fbi"), terms.statement()))
    garante.revoke_undertaking(terms.id, reason="withdrawn")
    token, _secret = garante.create_token(role="overseer", agency_id="dipol", label="inspector")
    garante.create_token(role="analyst", agency_id="dipol", label="desk")
    garante.revoke_token(token.id)
    # Authorities: a superior, keys set with proof, and an agency key recovered and used.
    court = demo_key("court")
    garante.register_authority(
        "court", name="Court", public_key=public_key_bytes(court.public_key())
    )
    garante.set_superior("court", over=["presidency"])
    garante.set_authority_key("presidency", public_key_bytes(demo_key("presidency").public_key()))
    recovered = public_key_bytes(RECOVERED_FBI.public_key())
    statement = garante.agency_key_statement("fbi", recovered, recovered_by="court")
    garante.set_agency_key(
        "fbi", recovered, signature=sign_statement(court, statement), recovered_by="court"
    )
    terms = garante.draft_undertaking("fbi", permits=["arrest"], undertaking_id="fbi-recovered")
    garante.record_undertaking(terms, signature=sign_statement(RECOVERED_FBI, terms.statement()))
    if agreements:  # not in a store downgraded below 0011 (or 0014, 0015), which drops them
        _agreements(garante, clock)
        _certificates(garante)
        _passkeys(garante)
        _statements(garante, kept.request, recalled.request)
    garante.publish_checkpoint()


def _statements(garante: Garante, delivered: int, recalled: int) -> None:
    """The DEA's signed statements: a delivery and a recall acknowledged, and consent asked
    and granted."""
    key = demo_key("dea")
    garante.set_agency_key("dea", public_key_bytes(key.public_key()))
    dea = garante.acting_as(Principal(token_id="t-dea", role=Role.PARTNER, agency_id="dea"))
    now = garante.clock.now()
    for ack_id, kind, release in (("ack-1", "delivery", delivered), ("ack-2", "recall", recalled)):
        ack = Acknowledgement(
            id=ack_id, kind=kind, request_id=release, agency_id="dea", acknowledged_at=now
        )
        assert dea.acknowledge(ack, signature=sign_statement(key, ack.statement())).new
    consent = ConsentRequest(
        id="consent-1",
        agency_id="dea",
        release=delivered,
        recipient="local-police",
        country="US",
        purpose="seizure",
        requested_at=now,
    )
    assert dea.request_consent(consent, signature=sign_statement(key, consent.statement())).new
    garante.grant_consent("consent-1", reason="the originator agrees")


def _certificates(garante: Garante) -> None:
    """A partner's client certificate registered, rotated out for another, which is removed."""
    first, second, third = "a1" * 32, "b2" * 32, "c3" * 32
    garante.add_certificate("dea", first, label="feed reader")
    garante.rotate_certificate("dea", old=first, new=second)
    garante.add_certificate("fbi", third)
    garante.remove_certificate("fbi", third)


def _passkeys(garante: Garante) -> None:
    """A passkey registered for the court (on its Ed25519 key's word), which signs an order
    and lifts it."""
    garante.context.settings.relying_party = passkey.RP
    device = passkey.SoftAuthenticator()
    attestation = device.create()
    proposed = garante.passkey_statement("court", attestation).statement
    garante.register_passkey(
        "court", attestation, signature=sign_statement(demo_key("court"), proposed)
    )
    order = garante.draft_order(
        authority_id="court",
        effect="hold",
        scope=Scope(countries=frozenset({"US"})),
        reason="signed with a passkey",
    ).order
    garante.issue_order(order, signature=None, assertion=device.sign(order.statement()))
    lift = garante.lift_statement(order.id, authority_id="court", reason="over")
    garante.lift_order(
        order.id, authority_id="court", reason="over", signature=None, assertion=device.sign(lift)
    )


def _agreements(garante: Garante, clock: FixedClock) -> None:
    """Standing agreements: one made with a backfill, amended, suspended, resumed; an item
    fanned out to it; another ended."""
    made = garante.draft_agreement(
        "dea", purposes=["seizure", "analysis"], tlp_ceiling="amber", agreement_id="dea-sea"
    )
    garante.make_agreement(made, backfill_from=clock.now() - timedelta(days=1))
    amended = garante.draft_agreement_amendment("dea-sea", regions=["caribbean"])
    garante.amend_agreement(amended, reason="the Caribbean only")
    garante.suspend_agreement("dea-sea", reason="audit")
    garante.resume_agreement("dea-sea", reason="audit over")
    garante.add_item(
        "lead-2",
        title="Second lead",
        category="maritime-interdiction",
        region="caribbean",
        tlp="green",
        originator="dipol",
        bundle=scenario_bundle(),
    )
    ended = garante.draft_agreement("fbi", purposes=["arrest"], tlp_ceiling="red")
    garante.make_agreement(ended)
    garante.end_agreement(ended.id, reason="the operation closed")


@pytest.fixture
def store(garante: Garante, clock: FixedClock, db_url: str) -> Iterator[Engine]:
    """A populated store, closed by the service; an engine for tampering with it."""
    populate(garante, clock)
    garante.close()
    engine = create_engine(db_url)
    yield engine
    engine.dispose()


def entry_index(engine: Engine, kind: str) -> int:
    with engine.connect() as connection:
        index = connection.scalar(
            select(LedgerEntryRow.idx).where(LedgerEntryRow.kind == kind).limit(1)
        )
    assert index is not None
    return int(index)


def test_a_fresh_store_checks_clean(garante: Garante, db_url: str) -> None:
    code, report, err = db(db_url, "check")
    assert code == 0, err
    assert report["ok"] is True
    assert report["schema"] == {"ok": True, "revision": "0027", "head": "0027"}
    assert report["log"]["entries"] == 0


def test_a_store_with_every_kind_of_change_checks_clean(store: Engine, db_url: str) -> None:
    code, report, err = db(db_url, "check")
    assert code == 0, (err, report)
    assert report["log"]["ok"] and report["log"]["verified_size"] == report["log"]["entries"]
    assert report["links"]["orphans"] == []
    result = runner.invoke(app, ["--db", db_url, "db", "check"])
    assert result.exit_code == 0
    assert "OK   state and log: every state change has its entry" in result.stdout
    assert "Not checked:" in result.stdout


def test_entries_with_no_signed_checkpoint_do_not_pass(garante: Garante, db_url: str) -> None:
    garante.register_agency("dea", name="DEA", country="US")
    code, report, err = db(db_url, "check")
    assert code == 8
    assert report["failed"] == ["audit log"]
    assert "no signed checkpoint" in report["log"]["findings"][0]
    assert "[store.check_failed]" not in err  # --json: the error is JSON too
    assert json.loads(err)["error"]["code"] == "store.check_failed"


def test_an_empty_database_is_not_current_and_only_init_creates_the_schema(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "postgresql":
        cluster: postgres.Cluster = request.getfixturevalue("pg_cluster")
        url = cluster.new_database(migrated=False)
    else:
        url = f"sqlite:///{tmp_path / 'empty.db'}"
        create_engine(url).connect().close()  # an empty file
    code, report, _ = db(url, "check")
    assert code == 8
    assert report["schema"] == {"ok": False, "revision": None, "head": "0027"}
    assert report["log"] is None and report["links"] is None
    result = runner.invoke(app, ["--db", url, "db", "check"])
    assert "FAIL schema: no schema yet" in result.stdout
    assert "garante init" in result.stdout + result.stderr

    code, _, err = db(url, "upgrade")
    assert (code, json.loads(err)["error"]["code"]) == (9, "store.missing")
    code, _, err = db(url, "check")
    assert code == 8  # upgrade created nothing
    # In another process: a command that opens a store keeps its connections until it exits.
    init = subprocess.run(
        [GARANTE, "--db", url, "init"], capture_output=True, text=True, timeout=60
    )
    assert init.returncode == 0, init.stderr
    code, again, _ = db(url, "upgrade")
    assert code == 0 and again["upgraded"] is False and again["before"] == "0027"
    assert db(url, "check")[0] == 0


def test_an_old_revision_is_reported_and_upgrade_brings_it_to_head(
    garante: Garante, clock: FixedClock, db_url: str
) -> None:
    populate(garante, clock, outcomes=False, agreements=False)
    command.downgrade(alembic_config(garante.engine), "0005")
    garante.close()
    code, report, err = db(db_url, "check")
    assert code == 8
    assert report["schema"]["revision"] == "0005"
    assert "garante db upgrade" in json.loads(err)["error"]["hint"]
    text = runner.invoke(app, ["--db", db_url, "db", "upgrade"]).stdout
    assert "Schema upgraded from 0005 to revision 0027." in text
    code, report, err = db(db_url, "check")
    assert code == 0, (err, report)


def test_upgrading_to_0008_marks_undertakings_signed_after_a_key_recovery_from_the_log(
    garante: Garante, clock: FixedClock
) -> None:
    populate(garante, clock, outcomes=False, agreements=False)
    command.downgrade(alembic_config(garante.engine), "0007")
    command.upgrade(alembic_config(garante.engine), "head")
    marks = {u.id: u.key_recovered for u in garante.undertakings("fbi")}
    assert marks.pop("fbi-recovered") is True
    assert set(marks.values()) == {False}
    with garante.engine.connect() as connection:
        row = connection.execute(select(AgencyRow.key_recovered_by).where(AgencyRow.id == "fbi"))
        assert row.scalar_one() == "court"


def test_after_0009_a_request_id_beyond_32_bits_is_stored_and_found(
    garante: Garante, clock: FixedClock, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite's INTEGER has always been 64-bit")
    populate(garante, clock, outcomes=False, agreements=False)
    command.downgrade(alembic_config(garante.engine), "0008")
    command.upgrade(alembic_config(garante.engine), "head")
    with garante.engine.begin() as connection:
        columns = connection.scalars(
            text(
                "SELECT table_name || '.' || column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND data_type = 'integer'"
            )
        ).all()
        connection.execute(
            text("SELECT setval(pg_get_serial_sequence('release_requests', 'id'), :at)"),
            {"at": 2**31 + 4},
        )
    assert columns == []
    decided = garante.request_release("lead", recipient="dea", purpose="seizure")
    assert decided.request == 2**31 + 5
    assert garante.request(decided.request).id == decided.request


@pytest.mark.tampers
def test_a_changed_entry_is_found_at_its_index(store: Engine, db_url: str) -> None:
    index = entry_index(store, "agency.registered")
    with store.begin() as connection:
        entry = connection.scalar(select(LedgerEntryRow.entry).where(LedgerEntryRow.idx == index))
        assert entry is not None and b'"dipol"' in entry
        connection.execute(
            update(LedgerEntryRow)
            .where(LedgerEntryRow.idx == index)
            .values(entry=entry.replace(b'"dipol"', b'"dipo1"'))
        )
    code, report, _ = db(db_url, "check")
    assert code == 8
    assert report["log"]["first_bad_index"] == index
    assert "state and log" in report["failed"]  # the entry now names an agency nobody holds
    assert any(o["index"] == index and o["side"] == "entry" for o in report["links"]["orphans"])


@pytest.mark.tampers
def test_an_entry_that_is_not_json_fails_both_checks_without_a_crash(
    store: Engine, db_url: str
) -> None:
    with store.begin() as connection:
        connection.execute(
            update(LedgerEntryRow).where(LedgerEntryRow.idx == 3).values(entry=b"not json")
        )
    code, report, _ = db(db_url, "check")
    assert code == 8
    assert report["log"]["first_bad_index"] == 3
    assert report["links"]["error"] is not None


@pytest.mark.tampers
def test_a_deleted_entry_is_found(store: Engine, db_url: str) -> None:
    index = entry_index(store, "token.revoked")
    with store.begin() as connection:
        connection.execute(delete(LedgerEntryRow).where(LedgerEntryRow.idx == index))
    code, report, _ = db(db_url, "check")
    assert code == 8
    assert report["log"]["first_bad_index"] == index
    [orphan] = report["links"]["orphans"]
    assert orphan["side"] == "state" and orphan["link"] == "token revoked"


def test_a_state_row_without_its_entry_is_found(store: Engine, db_url: str) -> None:
    with store.begin() as connection:
        connection.execute(
            insert(AgencyRow).values(
                id="ghost",
                name="Unlogged",
                country="US",
                domestic=False,
                requires_undertaking=False,
                public_key=None,
                active=True,
                created_at=START,
            )
        )
        decision = connection.execute(select(DecisionRow).limit(1)).mappings().one()
        forged = {k: v for k, v in decision.items() if k != "id"} | {"trigger": "forged"}
        connection.execute(insert(DecisionRow).values(forged))
    code, report, _ = db(db_url, "check")
    assert code == 8
    assert report["failed"] == ["state and log"]  # the log itself is intact
    found = {(o["side"], o["link"]) for o in report["links"]["orphans"]}
    assert found == {("state", "agency registered"), ("state", "decision")}
    messages = " ".join(o["message"] for o in report["links"]["orphans"])
    assert "agencies ghost: no agency.registered entry records it" in messages


def test_an_entry_without_its_state_change_is_found(store: Engine, db_url: str) -> None:
    index = entry_index(store, "event.recorded")
    with store.begin() as connection:
        connection.execute(delete(EventRow))
    code, report, _ = db(db_url, "check")
    assert code == 8
    assert report["failed"] == ["state and log"]
    [orphan] = report["links"]["orphans"]
    assert (orphan["side"], orphan["index"], orphan["link"]) == ("entry", index, "event recorded")
    assert "which events does not hold" in orphan["message"]


def test_a_request_that_no_longer_names_the_agreement_that_started_it_is_found(
    store: Engine, db_url: str
) -> None:
    with store.begin() as connection:
        connection.execute(update(RequestRow).values(agreement_id=None))
    code, report, _ = db(db_url, "check")
    assert code == 8
    links = {(o["side"], o["link"]) for o in report["links"]["orphans"]}
    assert links == {("entry", "release started by agreement")}


def test_agreement_terms_edited_behind_the_log_are_found(store: Engine, db_url: str) -> None:
    with store.begin() as connection:
        connection.execute(
            update(AgreementRow).where(AgreementRow.id == "dea-sea").values(version=7)
        )
        connection.execute(update(AgreementRow).values(ended_at=None))
    code, report, _ = db(db_url, "check")
    assert code == 8
    found = {(o["side"], o["link"], o["key"]) for o in report["links"]["orphans"]}
    assert ("state", "agreement version", "dea-sea/7") in found
    assert ("entry", "agreement ended", None) in {(s, link, None) for s, link, _ in found}


def test_a_server_configured_with_another_log_key_fails(
    store: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "GARANTE_LOG_KEY", Signer.generate("other.example/log").to_private_key_string()
    )
    code, report, _ = db(db_url, "check")
    assert code == 8
    assert "not the key this store's log is signed with" in report["log"]["findings"][0]


def test_upgrade_never_creates_a_sqlite_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    result = runner.invoke(app, ["--db", str(missing), "db", "upgrade"])
    assert result.exit_code == 9
    assert f"no store at {missing}: create one with `garante init --db {missing}`" in (
        result.stderr
    )
    assert not missing.exists()


def test_check_never_creates_a_sqlite_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    result = runner.invoke(app, ["--db", str(missing), "db", "check"])
    assert result.exit_code == 9  # store.missing, as for every other command
    assert f"[store.missing]: no store at {missing}" in result.stderr
    assert not missing.exists()


def received_index(
    engine: Engine, table: type[AcknowledgementRow | ConsentRequestRow], row: str
) -> int:
    with engine.connect() as connection:
        index = connection.scalar(select(table.received_index).where(table.id == row))
    assert index is not None
    return int(index)


def answer_index(engine: Engine, consent: str) -> int:
    with engine.connect() as connection:
        index = connection.scalar(
            select(ConsentRequestRow.answer_index).where(ConsentRequestRow.id == consent)
        )
    assert index is not None
    return int(index)


def test_every_statement_names_the_entry_that_recorded_its_receipt(
    store: Engine, db_url: str
) -> None:
    code, report, err = db(db_url, "check")
    assert code == 0, (err, report)
    checked = report["links"]["checked"]
    assert "recall acknowledgement received index" in checked
    assert "consent request received index" in checked


@pytest.mark.tampers
def test_a_statement_whose_received_index_names_another_entry_is_found(
    store: Engine, db_url: str
) -> None:
    recorded = received_index(store, AcknowledgementRow, "ack-1")
    other = received_index(store, ConsentRequestRow, "consent-1")
    with store.begin() as connection:
        connection.execute(
            update(AcknowledgementRow)
            .where(AcknowledgementRow.id == "ack-1")
            .values(received_index=other)
        )
    code, report, _ = db(db_url, "check")
    assert code == 8
    assert report["failed"] == ["state and log"]  # the log and every id link still hold
    [orphan] = report["links"]["orphans"]
    assert (orphan["side"], orphan["link"], orphan["key"], orphan["index"]) == (
        "state",
        "delivery acknowledgement received index",
        "ack-1",
        other,
    )
    assert orphan["message"] == (
        f"acknowledgements ack-1: received_index names entry {other} (consent.requested), "
        f"not the release.acknowledged entry naming it; its receipt is entry {recorded}: it "
        f"is listed out of the order received until its received_index is {recorded} again "
        "(restore the row from a backup, or set it)"
    )


def test_every_answered_consent_names_the_entry_of_its_answer(store: Engine, db_url: str) -> None:
    code, report, err = db(db_url, "check")
    assert code == 0, (err, report)
    checked = report["links"]["checked"]
    assert "consent granted answer index" in checked
    assert "consent refused answer index" in checked


@pytest.mark.tampers
def test_a_consent_whose_answer_index_names_another_entry_is_found(
    store: Engine, db_url: str
) -> None:
    answered = answer_index(store, "consent-1")
    asked = received_index(store, ConsentRequestRow, "consent-1")
    with store.begin() as connection:
        connection.execute(
            update(ConsentRequestRow)
            .where(ConsentRequestRow.id == "consent-1")
            .values(answer_index=asked)
        )
    code, report, _ = db(db_url, "check")
    assert code == 8
    assert report["failed"] == ["state and log"]  # the log and every id link still hold
    [orphan] = report["links"]["orphans"]
    assert (orphan["side"], orphan["link"], orphan["key"], orphan["index"]) == (
        "state",
        "consent granted answer index",
        "consent-1",
        asked,
    )
    assert orphan["message"] == (
        f"consent_requests consent-1: answer_index names entry {asked} (consent.requested), "
        f"not the consent.granted entry naming it; its answer is entry {answered}: the "
        "partner cannot prove the answer (it is served the entry answer_index names) until "
        f"its answer_index is {answered} again (restore the row from a backup, or set it)"
    )


@pytest.mark.tampers
def test_a_pending_consent_that_names_an_answer_entry_is_found(store: Engine, db_url: str) -> None:
    answered = answer_index(store, "consent-1")
    with store.begin() as connection:  # its answer undone behind the service, the index left
        connection.execute(
            update(ConsentRequestRow)
            .where(ConsentRequestRow.id == "consent-1")
            .values(status="pending", answered_by=None, answered_at=None)
        )
    code, report, _ = db(db_url, "check")
    assert code == 8
    assert "consent pending answer index" in report["links"]["checked"]
    [pending] = [
        o for o in report["links"]["orphans"] if o["link"] == "consent pending answer index"
    ]
    assert (pending["side"], pending["key"], pending["index"]) == ("state", "consent-1", answered)
    assert pending["message"] == (
        f"consent_requests consent-1: answer_index names entry {answered}, but the request is "
        "pending, not answered: the partner is served that entry as the proof of an answer "
        "never given until its answer_index is null again (restore the row from a backup, or "
        "set it)"
    )


def replay_differences(store: Engine, db_url: str) -> tuple[int, list[str]]:
    """``db check --log-key`` with the key the store's log is signed with: its exit code and
    the rows that differ from the replayed log."""
    with store.connect() as connection:
        key = connection.scalar(select(SettingRow.value).where(SettingRow.key == LOG_VERIFIER_KEY))
    code, report, err = db(db_url, "check", "--log-key", str(key))
    assert report["replay"] is not None, err
    differences: list[str] = report["replay"]["differences"]
    return code, differences


def test_statements_and_their_answers_match_the_replayed_log(store: Engine, db_url: str) -> None:
    assert replay_differences(store, db_url) == (0, [])


@pytest.mark.tampers
def test_a_received_index_altered_behind_the_service_differs_from_the_replayed_log(
    store: Engine, db_url: str
) -> None:
    recorded = received_index(store, AcknowledgementRow, "ack-2")
    other = received_index(store, AcknowledgementRow, "ack-1")
    with store.begin() as connection:
        connection.execute(
            update(AcknowledgementRow)
            .where(AcknowledgementRow.id == "ack-2")
            .values(received_index=other)
        )
    assert replay_differences(store, db_url) == (
        8,
        [
            f"acknowledgements row ack-2: received_index is {other} in the store but "
            f"{recorded} in the log"
        ],
    )


@pytest.mark.tampers
def test_an_answer_index_altered_behind_the_service_differs_from_the_replayed_log(
    store: Engine, db_url: str
) -> None:
    answered = answer_index(store, "consent-1")
    with store.begin() as connection:
        connection.execute(
            update(ConsentRequestRow)
            .where(ConsentRequestRow.id == "consent-1")
            .values(answer_index=None)
        )
    assert replay_differences(store, db_url) == (
        8,
        [
            "consent_requests row consent-1: answer_index is null in the store but "
            f"{answered} in the log"
        ],
    )
