"""Witnesses of the log: registered by the operator or a liaison; their cosignatures taken and
served."""

from __future__ import annotations

from garante import records
from garante.domain.errors import CosignatureRefused
from garante.domain.roles import Role
from garante.ledger.note import VerifierKey
from garante.service import views, witnesses
from garante.service.access import entitled
from garante.service.audit import PublishedCheckpoint
from garante.service.usecases.base import UseCases
from garante.store import queries
from garante.store import witnesses as stored
from garante.store.database import reachable


class Witnesses(UseCases):
    """Witnesses of the log: registered by the operator or a liaison, who keeps the registry
    of the parties the node trusts (agencies, authorities, their keys and certificates); their
    cosignatures taken and served."""

    @entitled(Role.LIAISON)
    def add_witness(self, key: str) -> records.Witness:
        with self._tx() as tx:
            return views.witness(witnesses.add_witness(tx, key))

    @entitled(Role.LIAISON)
    def remove_witness(self, name: str, reason: str = "") -> records.Witness:
        """Remove the witness of key name ``name`` (as the CLI names it)."""
        with self._tx() as tx:
            return views.witness(witnesses.remove_witness(tx, name, reason))

    @entitled(Role.LIAISON)
    def remove_witness_with_id(self, witness_id: str, reason: str = "") -> records.Witness:
        """Remove the witness of id ``witness_id`` (as the API names it)."""
        with self._tx() as tx:
            return views.witness(witnesses.remove_witness_with_id(tx, witness_id, reason))

    def witnesses(self) -> list[records.Witness]:
        """The witnesses registered and not removed: public, as the cosignatures they make
        are served to anyone with the checkpoint."""
        with self._read() as session:
            return [views.witness(row) for row in stored.active(session)]

    def take_cosignature(self, note: str) -> PublishedCheckpoint:
        """A witness's cosignature of one of the log's checkpoints, kept and served with it.
        Anyone may post one: it is authenticated by itself, against the registered keys."""
        with reachable(self.context.engine), self.context.sessions() as session, session.begin():
            stored_key = queries.setting(session, "log_verifier_key")
            if stored_key is None:
                raise CosignatureRefused(
                    "this store has no log key, so it published no checkpoint to cosign",
                    field="note",
                )
            return witnesses.take_cosignature(session, note, VerifierKey.parse(str(stored_key)))
