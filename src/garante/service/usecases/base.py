"""What every group of use cases works with: the context, and the principal it acts for."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy.orm import Session

from garante.domain.roles import Principal
from garante.service.clock import Clock
from garante.service.context import Context
from garante.service.transaction import Transaction


class UseCases:
    """The base of each concept's use cases: they read and write through ``context`` for
    ``principal``, who is named in every audit entry and limited to what it may see."""

    context: Context
    principal: Principal

    @property
    def actor(self) -> str:
        """How the audit log names whoever this service acts for."""
        return self.principal.name

    @property
    def clock(self) -> Clock:
        return self.context.clock

    def _tx(self) -> AbstractContextManager[Transaction]:
        return self.context.writes(self.actor)

    def _release_tx(self) -> AbstractContextManager[Transaction]:
        """A transaction that only requests releases: on PostgreSQL it decides under the
        shared policy lock, concurrently with other releases (``Context.writes``)."""
        return self.context.writes(self.actor, release=True)

    def _grouped_release_tx(self) -> AbstractContextManager[Transaction]:
        """``_release_tx`` for the group commit, which signs a checkpoint due after it has
        answered the group (``GroupCommit``'s ``settle``), not before."""
        return self.context.writes(self.actor, release=True, publish=False)

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self.context.reads() as read:
            yield read.session
