"""The store: a real SQLite file in WAL mode or a PostgreSQL database, migrated by Alembic."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from garante.domain.errors import ValidationError
from garante.service.app import Garante
from garante.store import ledger as store_ledger
from garante.store.database import POLICY_LOCK, SEQUENCER_LOCK, database_url, is_current


def test_store_is_a_sqlite_file_in_wal_mode(garante: Garante, backend: str, tmp_path: Path) -> None:
    if backend != "sqlite":
        pytest.skip("a SQLite-only property")
    assert (tmp_path / "garante.db").exists()
    with garante.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_opening_migrates_the_schema_to_the_newest_revision(garante: Garante) -> None:
    assert is_current(garante.engine)


def test_opening_twice_keeps_what_was_stored(db_url: str, garante: Garante) -> None:
    garante.register_agency("dipol", name="DIPOL", country="CO", domestic=True)
    again = Garante.open(db_url)
    assert [a.id for a in again.agencies()] == ["dipol"]
    again.close()


def test_write_transactions_take_the_policy_lock_then_the_sequencer_on_postgresql(
    garante: Garante, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("a PostgreSQL-only property")
    with garante.sessions() as session, session.begin():
        held = session.execute(
            text(
                "SELECT objid, mode FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "ORDER BY objid"
            )
        ).all()
    assert sorted(held) == sorted(
        (key & 0xFFFF_FFFF, "ExclusiveLock") for key in (POLICY_LOCK, SEQUENCER_LOCK)
    )


def test_reads_take_no_lock_and_see_one_snapshot_on_postgresql(
    garante: Garante, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("a PostgreSQL-only property")
    with garante.readers() as session:
        level = session.execute(text("SHOW transaction_isolation")).scalar()
        held = session.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        ).scalar()
    assert (level, held) == ("repeatable read", 0)


def test_a_bare_path_means_a_sqlite_file() -> None:
    assert database_url("x/garante.db") == "sqlite:///x/garante.db"


def test_garante_db_environment_variable_picks_the_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GARANTE_DB", "sqlite:///elsewhere.db")
    assert database_url(None) == "sqlite:///elsewhere.db"
    assert database_url("sqlite:///explicit.db") == "sqlite:///explicit.db"


def test_a_database_that_goes_away_is_store_unavailable_and_changes_nothing(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "postgresql":
        pytest.skip("needs a database server to stop")
    from garante.domain.errors import StoreUnavailable
    from tests.support.postgres import Cluster

    cluster = Cluster().start()
    try:
        monkeypatch.setenv("GARANTE_LOG_KEY_FILE", str(tmp_path / "log-key"))
        garante = Garante.open(cluster.new_database())
        garante.register_agency("dipol", name="DIPOL", country="CO", domestic=True)
        cluster.pg_ctl("stop", "-m", "fast")
        with pytest.raises(StoreUnavailable) as refused:
            garante.register_agency("dea", name="DEA", country="US")
        assert refused.value.http_status == 503
        with pytest.raises(StoreUnavailable):
            garante.agencies()
        cluster.pg_ctl("start")
        assert [a.id for a in garante.agencies()] == ["dipol"]  # reconnects, nothing half-done
        garante.close()
    finally:
        cluster.stop()


def test_a_store_lost_after_a_commit_does_not_fail_the_committed_change(
    garante: Garante, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Publishing the batch's checkpoint comes after the commit; losing the store then is no
    reason to tell the caller its change failed. The checkpoint is signed on a later try."""

    def unreachable(_session: object) -> int:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    garante.checkpoint_every = 1
    with monkeypatch.context() as patched:
        patched.setattr(store_ledger, "published_size", unreachable)
        garante.register_agency("dea", name="DEA", country="US")
    assert [a.id for a in garante.agencies()] == ["dea"]
    garante.register_agency("nca", name="NCA", country="GB")
    latest = garante.latest_checkpoint()
    assert latest is not None and latest.size == garante.ledger_size()


@pytest.mark.parametrize("name", ["GARANTE_RELEASE_BATCH", "GARANTE_CHECKPOINT_EVERY"])
@pytest.mark.parametrize("value", ["0", "many", "-3"])
def test_a_malformed_numeric_setting_is_refused_by_name(
    db_url: str, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as refused:
        Garante.open(db_url)
    assert refused.value.field == name
    assert "at least 1" in refused.value.message
