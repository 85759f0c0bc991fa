"""The service: every use case, for one principal, over one context.

Interfaces (CLI, API, TAXII, console) hold one ``Garante``, bind it to whoever calls
(``acting_as``) and only translate. The use cases themselves live one concept to a module in
``service/usecases/``; each declares who may call it (``service.access``) and passes what it
hands back through ``service.visibility``. A use case that changes state returns what it changed
and every held request the change moved.
"""

from __future__ import annotations

import copy
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from garante.domain.events import SettingsChanged
from garante.domain.roles import Principal
from garante.domain.vocabulary import Vocabulary
from garante.ledger.note import NoteSigner
from garante.service import views
from garante.service.access import entitled
from garante.service.clock import Clock, FixedClock, SystemClock
from garante.service.context import Context, Settings
from garante.service.results import Change as Change
from garante.service.results import Page as Page
from garante.service.usecases.agencies import Agencies
from garante.service.usecases.agreements import Agreements
from garante.service.usecases.audit import AuditLog
from garante.service.usecases.certificates import Certificates
from garante.service.usecases.conditions import Conditions
from garante.service.usecases.consents import Consents
from garante.service.usecases.feeds import Feeds
from garante.service.usecases.items import Items
from garante.service.usecases.orders import Orders
from garante.service.usecases.outcomes import Outcomes
from garante.service.usecases.passkeys import Passkeys
from garante.service.usecases.releases import Releases
from garante.service.usecases.sources import Sources
from garante.service.usecases.tiles import LogTiles
from garante.service.usecases.tokens import Tokens
from garante.service.usecases.undertakings import Undertakings
from garante.service.usecases.witnesses import Witnesses
from garante.service.usecases.writeback import WriteBack
from garante.store import queries


class Garante(
    Agencies,
    Items,
    Undertakings,
    Orders,
    Conditions,
    Releases,
    Outcomes,
    Feeds,
    Tokens,
    AuditLog,
    Agreements,
    LogTiles,
    Sources,
    Certificates,
    Passkeys,
    WriteBack,
    Consents,
    Witnesses,
):
    """One store, one clock, one acting person or system."""

    def __init__(
        self,
        engine: Engine | Context,
        *,
        clock: Clock | None = None,
        actor: str = "cli",
        log_signer: NoteSigner | None = None,
        checkpoint_every: int = 100,
        release_batch: int = 32,
    ) -> None:
        if isinstance(engine, Context):
            self.context = engine
        else:
            settings = Settings(checkpoint_every=checkpoint_every, release_batch=release_batch)
            self.context = Context(engine, clock=clock, log_signer=log_signer, settings=settings)
        self.principal = Principal.operator(actor)

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        clock: Clock | None = None,
        actor: str = "cli",
        create: bool = True,
        log_key_uri: str | None = None,
    ) -> Garante:
        """Open (and migrate) the store at ``url``, ``GARANTE_DB``, or ./garante.db; with
        ``create=False``, only a store that exists (``StoreMissing`` otherwise)."""
        context = Context.open(url, clock=clock, create=create, log_key_uri=log_key_uri)
        return cls(context, actor=actor)

    def close(self) -> None:
        self.context.close()

    def acting_as(self, principal: Principal) -> Garante:
        """The same context, acting for ``principal``: it is named in the audit log, may call
        only what its role may (``access``), and sees only what it may (``visibility``)."""
        other = copy.copy(self)
        other.principal = principal
        return other

    # What the context holds, read through the service by callers that predate it.
    @property
    def engine(self) -> Engine:
        return self.context.engine

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.context.sessions

    @property
    def readers(self) -> sessionmaker[Session]:
        return self.context.readers

    @property
    def log_signer(self) -> NoteSigner | None:
        return self.context.log_signer

    @property
    def checkpoint_every(self) -> int:
        return self.context.settings.checkpoint_every

    @checkpoint_every.setter
    def checkpoint_every(self, value: int) -> None:
        self.context.settings.checkpoint_every = value

    # -- settings -------------------------------------------------------------------------

    @entitled()
    def pin_clock(self, at: datetime | None) -> None:
        """Decide at ``at`` from now on (``None``: the system clock again), and log it.

        The instant decides which orders and undertakings are in force, so pinning it is a
        change an inspector must see: it appends a ``settings.changed`` entry, unless the clock
        already reads so.
        """
        value = at.isoformat() if at else None
        with self._tx() as tx:
            if queries.setting(tx.session, "clock") != value:
                queries.put_setting(tx.session, "clock", value)
                tx.audit(SettingsChanged(setting="clock", value=views.time(at)))
        self.context.clock = FixedClock(at) if at else SystemClock()

    def vocabulary(self) -> Vocabulary:
        with self._read() as session:
            return queries.vocabulary(session)
