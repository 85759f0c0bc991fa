"""What every use case runs in: one store, one clock, the log's signer and the settings.

A use case that only reads runs in ``reads()``: a reader session, no writer lock, one
consistent snapshot, rolled back at the end. Previews, drafts, simulations and every view run
there, so none of them queues behind a write. A use case that changes state runs in
``writes()``: the one write transaction, in which the change and its typed audit entries
commit together; once it has committed, a checkpoint is signed if one is due. Release requests
run in ``writes(actor, release=True)``: on PostgreSQL they hold the policy lock shared, so
releases of several servers decide at once, and wait only for each other's appends.

The context is shared by every principal a server acts for (``Garante.acting_as``): what one
request learns about publication spares the next a read, and release requests of many callers
share one group commit.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from garante.domain.errors import (
    InvalidKey,
    LogKeyUnavailable,
    StoreMissing,
    StoreUnavailable,
    ValidationError,
)
from garante.domain.numbers import whole_number
from garante.domain.passkeys import RelyingParty
from garante.domain.timeutil import parse_time
from garante.ledger.note import SIG_ED25519, NoteSigner, VerifierKey
from garante.service import audit
from garante.service.batch import GroupCommit
from garante.service.clock import Clock, FixedClock, SystemClock
from garante.service.integrator import Known, integrate_batch
from garante.service.logkey import create_log_key, key_file_to_make, load_log_signer
from garante.service.trace_tokens import TokenClock
from garante.service.transaction import Reading, Transaction, reading, transaction
from garante.store import integrity, queries
from garante.store import ledger as store_ledger
from garante.store.database import (
    create_store_engine,
    database_url,
    file_missing,
    integrator,
    reachable,
    reader,
    releaser,
    shown,
    upgrade,
)
from garante.upstream.reach import Reach

log = logging.getLogger("garante.service")


def _positive_setting(name: str, default: int) -> int:
    """A whole number from the environment, or the default; anything else is refused clearly."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    value = whole_number(raw)
    if value is None or value < 1:
        raise ValidationError(
            f"{name}={raw!r} is not a whole number of at least 1",
            field=name,
            hint=f"unset it for the default ({default}), or set a number such as {default}",
        )
    return value


@dataclass(kw_only=True)
class Settings:
    """How often checkpoints are signed, and how many release requests share a commit."""

    checkpoint_every: int = 100
    release_batch: int = 32
    # -- integration: a batch of the tree is up to ``integrate_batch`` entries, and the
    # server's integrator looks for entries to integrate every ``integrate_interval_ms``.
    integrate_batch: int = 1000
    integrate_interval_ms: int = 50
    # Where the console runs, for passkeys (WebAuthn); None: no passkey can be registered.
    relying_party: RelyingParty | None = None
    # Where sources may point (GARANTE_SOURCE_ROOTS, GARANTE_SOURCE_HOSTS): no directory and
    # no non-public address unless the operator says so.
    source_reach: Reach = field(default_factory=Reach)

    @classmethod
    def from_environment(cls) -> Settings:
        return cls(
            checkpoint_every=_positive_setting("GARANTE_CHECKPOINT_EVERY", 100),
            release_batch=_positive_setting("GARANTE_RELEASE_BATCH", 32),
            integrate_batch=_positive_setting("GARANTE_INTEGRATE_BATCH", 1000),
            integrate_interval_ms=_positive_setting("GARANTE_INTEGRATE_INTERVAL_MS", 50),
            relying_party=relying_party_of(
                os.environ.get("GARANTE_WEBAUTHN_ORIGIN"), os.environ.get("GARANTE_WEBAUTHN_RP_ID")
            ),
            source_reach=Reach.from_environment(),
        )


def relying_party_of(origin: str | None, rp_id: str | None = None) -> RelyingParty | None:
    """The WebAuthn relying party of a console served at ``origin`` (``https://host[:port]``);
    its rp id is the origin's host unless ``rp_id`` names it (a parent domain of the host)."""
    origin = (origin or "").strip().rstrip("/")
    if not origin:
        if rp_id:
            raise ValidationError(
                "a WebAuthn rp id needs the origin the console is served at",
                field="webauthn_origin",
                hint="give --webauthn-origin https://console.example.org too",
            )
        return None
    parts = urlsplit(origin)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or parts.path or parts.query:
        raise ValidationError(
            f"{origin!r} is not an origin: a scheme, a host and maybe a port",
            field="webauthn_origin",
            hint="for example https://console.example.org (http only for localhost)",
        )
    if parts.scheme == "http" and host != "localhost":
        raise ValidationError(
            "browsers offer passkeys only to https origins, or http://localhost",
            field="webauthn_origin",
        )
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        raise ValidationError(
            f"{origin!r} is an IP address: WebAuthn takes only a domain name as relying party",
            field="webauthn_origin",
            hint="serve the console under a host name (localhost on this machine)",
        )
    rp = (rp_id or host).strip().lower()
    if host != rp and not host.endswith("." + rp):
        raise ValidationError(
            f"the rp id {rp!r} is neither the console's host {host!r} nor a domain above it",
            field="webauthn_rp_id",
        )
    return RelyingParty(rp_id=rp, origin=origin)


def missing_store(url: str) -> StoreMissing:
    """The refusal of a command that needs a store, where there is none."""
    where = shown(url)
    return StoreMissing(
        f"no store at {where}: create one with `garante init --db {where}`",
        field="db",
        hint="check --db (and GARANTE_DB) for a typo; only `garante init`, `garante demo` and "
        "`garante serve --init` create a store",
    )


def require_store(url: str) -> None:
    """Refuse a SQLite file that is not there before anything connects (which would create
    it). A database server's store is checked once connected: it must have Garante's schema."""
    if file_missing(url):
        raise missing_store(url)


def _migrated(db_url: str, *, create: bool) -> Engine:
    """An engine on the store at ``db_url``, migrated to the current schema; without
    ``create`` there must be a store already (a mistyped path is refused, nothing created).
    A store that cannot be opened keeps no connection open."""
    if not create:
        require_store(db_url)
    engine = create_store_engine(db_url)
    try:
        if not create and integrity.schema_revision(engine) is None:
            raise missing_store(db_url)
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _refuse_a_new_key_for_an_old_log(engine: Engine, db_url: str) -> None:
    """A store whose log already has a key, opened where a new key file would be made (a copy
    made without its ``.log-key`` file, a ``GARANTE_LOG_KEY_FILE`` that names nothing yet):
    refused, naming the key it needs. Making a new key there, as for a new store, would leave
    a key that can never sign this log's checkpoints beside it, and every later command
    refused for it. Where no key file is named (PostgreSQL without ``GARANTE_LOG_KEY_FILE``,
    a restore being checked), the store opens without a signer, as before."""
    path = key_file_to_make(db_url)
    if path is None:
        return  # no key file would be made (PostgreSQL without one): read-only, as before
    with Session(engine) as session:
        recorded = queries.setting(session, "log_verifier_key")
    if recorded is None:
        return
    raise audit.LogKeyMissing(
        f"this store's log key is missing: {path} is not there, and the log is signed by "
        f"{str(recorded).split('+', 1)[0]} (verifier key {recorded})",
        field="log_key",
        hint="restore the key file the store was made with beside it, or name it with "
        "GARANTE_LOG_KEY_FILE (GARANTE_LOG_KEY, GARANTE_LOG_KEY_URI); a new key cannot sign "
        "this log",
    )


class Context:
    """One store, its clock, its log signer and its settings; ``reads()`` and ``writes()``."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock | None = None,
        log_signer: NoteSigner | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.readers = sessionmaker(reader(engine), expire_on_commit=False)
        self.releasers = sessionmaker(releaser(engine), expire_on_commit=False)
        self.log_signer = log_signer
        self.settings = settings or Settings()
        self.clock: Clock = clock or self._stored_clock() or SystemClock()
        # Where the last trace token stood: each release's sorts after the one before, even
        # where the clock stands still (a pinned one) or steps back (``trace_tokens``).
        self.tokens = TokenClock()
        # Published sizes only grow: the largest seen is a floor (``_publish_if_due``). A
        # lost update between threads costs one extra read, nothing more.
        self._published = 0
        self.integrators = sessionmaker(integrator(engine), expire_on_commit=False)
        # Likewise for the integrated size: a floor, so a proof within it reads nothing more.
        self._integrated = 0
        self._known = Known()  # the leaf hashes of the last write: its batch need not read them
        self.releases = GroupCommit(limit=self.settings.release_batch, settle=self.publish_due)

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        clock: Clock | None = None,
        create: bool = True,
        log_key_uri: str | None = None,
    ) -> Context:
        """Open (and migrate) the store at ``url``, ``GARANTE_DB``, or ./garante.db.

        A new SQLite store gets its log key file beside it; see ``service.logkey``. With
        ``create=False`` there must be a store already (``require_store``): a mistyped path
        is refused, and nothing is created. ``log_key_uri`` (or ``GARANTE_LOG_KEY_URI``) names
        the log key in an HSM; a token that cannot be used then refuses the open.
        """
        db_url = database_url(url)
        engine = _migrated(db_url, create=create)
        try:
            signer = load_log_signer(db_url, key_uri=log_key_uri)
            if signer is None:
                _refuse_a_new_key_for_an_old_log(engine, db_url)
                created = create_log_key(db_url)
                signer = created[0] if created else load_log_signer(db_url)
            context = cls(
                engine, clock=clock, log_signer=signer, settings=Settings.from_environment()
            )
            if signer is not None:
                context._record_log_key(signer)
        except BaseException:
            engine.dispose()  # a store that cannot be opened keeps no connection open
            raise
        return context

    @staticmethod
    def prepare(url: str | None = None, *, create: bool = True) -> None:
        """Create (with ``create``) and migrate the store, and open nothing else: no log key,
        no token session, no connection left open.

        What a server that forks worker processes does once before they start
        (``api.workers``): each worker then opens the store itself, and none of them races
        another to create or migrate it; a PKCS#11 session opened before a fork would be
        shared with children that may not use it, so the key is left to the workers.
        """
        _migrated(database_url(url), create=create).dispose()

    def close(self) -> None:
        self.engine.dispose()

    def _record_log_key(self, signer: NoteSigner) -> None:
        """Keep the public verifier key in the store's settings, for anyone to fetch."""
        verifier = signer.verifier_key().to_text()
        with self.sessions() as session, session.begin():
            stored = queries.setting(session, "log_verifier_key")
            if stored is None:
                queries.put_setting(session, "log_verifier_key", verifier)
            elif stored != verifier:
                hint = f"the store expects {stored}"
                name = str(stored).split("+", 1)[0]
                if VerifierKey.from_public_key(name, signer.public_key, SIG_ED25519).to_text() == (
                    stored
                ):
                    hint = f"the same key under another name: set GARANTE_LOG_KEY_NAME={name}"
                raise InvalidKey(
                    "the configured log key is not the key this store's log was signed with",
                    field="log_key",
                    hint=hint,
                )

    def _stored_clock(self) -> Clock | None:
        """A store may pin its clock (the demo does): every command then sees that time."""
        with self.readers() as session:
            pinned = queries.setting(session, "clock")
        if pinned:
            return FixedClock(parse_time(str(pinned)))
        return None

    @contextmanager
    def reads(self) -> Iterator[Reading]:
        """A read transaction: no writer lock, one consistent snapshot, nothing committed."""
        with reachable(self.engine), reading(self.readers, self.clock.now) as read:
            yield read

    @contextmanager
    def writes(
        self, actor: str, *, release: bool = False, publish: bool = True
    ) -> Iterator[Transaction]:
        """The one write transaction, naming ``actor`` in the audit entries it appends.

        ``release``: a transaction that only requests releases (no order, condition,
        undertaking, key, agreement or item changes in it), which on PostgreSQL holds the
        policy lock shared and decides concurrently with other releases (``store.database``).
        Only release paths ask for it; every other write holds the policy lock exclusively.

        ``publish``: once committed, sign the checkpoint its entries make due
        (``publish_due``). The group commit (``service.batch``) says False and publishes after
        it has answered the transaction's callers, so that a checkpoint's signing delays one
        of them, not all.
        """
        sessions = self.releasers if release else self.sessions
        with (
            reachable(self.engine),
            transaction(sessions, self.clock.now, actor, self.tokens) as tx,
        ):
            yield tx
        if tx.entries:
            self._known.committed(tx.entries[0], tx.leaves)
        if publish:
            self.publish_due(tx)

    def publish_due(self, tx: Transaction) -> None:
        """After ``tx`` has committed: sign the checkpoint its entries make due, if any."""
        if not tx.entries or self.log_signer is None:
            return
        try:
            with reachable(self.engine):
                self._publish_if_due(self.log_signer, tx.ledger_size)
        except StoreUnavailable:
            # The change has committed, so its caller must hear that it succeeded, not
            # that the store is away. The batch's checkpoint is signed by the next write
            # that finds one due, or by the server's publisher within a second.
            log.warning("checkpoint not published after a commit", exc_info=True)
        except LogKeyUnavailable as exc:
            # Likewise committed; the checkpoint waits for the HSM to answer again, and
            # says so loudly (the server's publisher retries each interval).
            log.error("checkpoint not published: %s (%s)", exc.message, exc.code)

    def _publish_if_due(self, signer: NoteSigner, size: int) -> None:
        """Sequencing and publication are separate: sign a checkpoint once a batch is in.

        Whether one is due is read without the writer lock: most writes find none due, and
        should not queue behind other writers for nothing. Publishing re-reads under the lock
        and skips a size another server published meanwhile. While the log is fewer than
        ``checkpoint_every`` entries past the largest size known published, nothing is due.
        """
        every = self.settings.checkpoint_every
        if size - self._published < every:
            return  # a checkpoint at least this large is known to exist: none can be due
        with self.readers() as session:
            published = store_ledger.published_size(session)
        self._published = max(self._published, published)
        if size - published >= every:
            checkpoint = self._integrate_and_publish(signer, size)
            self._published = max(self._published, checkpoint.size)

    def _integrate_and_publish(self, signer: NoteSigner, size: int) -> audit.PublishedCheckpoint:
        """The last batch a due checkpoint needs integrated and the checkpoint signed in one
        transaction of the integrator's election: a checkpoint commits to stored nodes only,
        which only the integrator writes, and only publishers write checkpoints, so holding the
        election orders publications (sizes only grow) and needs neither the policy lock nor
        the sequencer. On PostgreSQL that matters: a checkpoint due every ``checkpoint_every``
        entries took the policy lock exclusively, so each one waited for every release in
        flight on every server and held back every release behind it. On SQLite the election
        is the one writer (``BEGIN IMMEDIATE``), and one transaction saves a second commit.

        The batches before the last (a write of more entries than ``integrate_batch``) are
        integrated first, each in its own short transaction as ``integrate`` does; a batch
        that finds the tree moved still commits nothing (``IntegrationLost``), checkpoint
        included.
        """
        limit = self.settings.integrate_batch
        self.integrate(size - limit)
        with self.integrators() as session, session.begin():
            while True:
                old, new = integrate_batch(session, limit, self._known)
                if new == old or new >= size:
                    break
            checkpoint = audit.publish_checkpoint(session, signer, self.clock.now())
        self._integrated = max(self._integrated, new)
        return checkpoint

    # -- integration ----------------------------------------------------------------------------

    def integrate(self, until: int | None = None) -> int:
        """Integrate the tree in batches, each its own transaction under the integrator
        election, until it covers ``until`` entries (None: every entry committed now); the
        integrated size reached.

        The server's integrator calls it every ``integrate_interval_ms``; anything that serves
        a proof or signs a checkpoint past the integrated size calls it first, so a receipt
        waits for the batch that covers its entry and never for more.
        """
        if until is not None and until <= self._integrated:
            return self._integrated
        limit = self.settings.integrate_batch
        with reachable(self.engine):
            if until is None and not self._behind():
                return self._integrated
            while True:
                with self.integrators() as session, session.begin():
                    old, new = integrate_batch(session, limit, self._known)
                self._integrated = max(self._integrated, new)
                if new == old or (until is not None and new >= until):
                    return new
                if until is None and new - old < limit:
                    # It took every entry visible when it read: what committed since waits
                    # for the next call, rather than for one more transaction now.
                    return new

    def _behind(self) -> bool:
        """Whether committed entries wait for integration, read without the writer lock: on
        SQLite the integrator's transaction is the one writer, and an idle server's integrator
        took it every interval to find nothing to do."""
        with self.readers() as session:
            return store_ledger.integrated_size(session) < queries.ledger_size(session)

    def signer(self) -> NoteSigner:
        """The log's signer, or a clear error where the store was opened without one."""
        if self.log_signer is None:
            raise audit.LogKeyMissing(
                "no log key is configured, so checkpoints cannot be signed",
                hint="set GARANTE_LOG_KEY or GARANTE_LOG_KEY_FILE, or run `garante init`",
            )
        return self.log_signer

    def publish_checkpoint(self) -> audit.PublishedCheckpoint:
        """Sign a checkpoint of the log as it is now, in the integrator's election (sizes only
        grow; see ``_integrate_and_publish``)."""
        signer = self.signer()
        self.integrate()
        with reachable(self.engine), self.integrators() as session, session.begin():
            return audit.publish_checkpoint(session, signer, self.clock.now())
