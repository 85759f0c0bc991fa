"""Sources: where items come from, managed and pulled by an analyst of the originating agency.

Who may do what: an analyst adds, pauses, resumes, removes and pulls the sources of its own
agency (the items a source brings are that agency's, as the items an analyst adds are); an
overseer and any analyst read them; the operator (the CLI on the store, ``garante serve``'s
schedule) does all of it. A source's credentials are never shown to anyone.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from garante import records
from garante.domain.errors import GaranteError, InvalidState, UpstreamFailed, ValidationError
from garante.domain.roles import Role
from garante.domain.vocabulary import Tlp
from garante.ledger.note import NoteSigner
from garante.service import items, onward, sources, upstreamacks, views, visibility
from garante.service.access import entitled
from garante.service.releases import DecidedRequest
from garante.service.results import Change, Page
from garante.service.sources import Candidate, SourceKind
from garante.service.usecases.base import UseCases
from garante.sources import misp, validation
from garante.sources.grouping import Grouping, UpstreamItem, group_objects
from garante.sources.mapping import MappingRule, map_item
from garante.sources.markings import read_markings
from garante.stix import markings
from garante.stix.markings import StixObject
from garante.store import sources as store
from garante.store import upstream_acks
from garante.store.schema import SourceRow
from garante.upstream import feeds, taxii
from garante.upstream import garante as garante_upstream

log = logging.getLogger(__name__)
TITLE = 500  # an item title's length in the store
UPSTREAM_ID, VERSION = 200, 64  # the lengths the store keeps of an upstream id and version
# Upstream versions taken in one transaction (a MISP feed's events, a TAXII page's or a
# folder's items), each in its own savepoint: one commit for them all, and the writer lock
# held for some tens of milliseconds.
TAKE_BATCH = 20
# What a Garante feed serves beside the releases, released by none: the originator's identity,
# the marking definitions (TLP, the undertaking's statement) and the trace extension's
# definition. Read with the objects that name them, never taken as items of their own.
_CONTEXT = frozenset({"identity", "marking-definition", "extension-definition"})
_UNDERTAKING_NAME = "Use undertaking "  # an undertaking's statement marking's name, then its id


@dataclass(frozen=True, kw_only=True)
class _Terms:
    """What a pull reads of its source, read once before it starts."""

    id: str
    kind: str
    url: str
    upstream: taxii.Upstream
    grouping: str
    tlp: str
    category: str
    region: str
    rules: tuple[MappingRule, ...]
    position: str | None
    next_token: str | None
    started: datetime  # when the pull read its source: a pull asked for before is done by it
    log_key: str | None = None
    verified: garante_upstream.Verified | None = None


class Sources(UseCases):
    """Sources: where items come from, managed and pulled by an analyst."""

    @entitled(Role.ANALYST)
    def add_source(
        self,
        source_id: str,
        *,
        url: str,
        collection: str | None,
        category: str,
        region: str,
        tlp: str,
        kind: str = "taxii",
        auth: str = "none",
        username: str | None = None,
        secret: str | None = None,
        originator: str | None = None,
        interval: int = 3600,
        grouping: str = "per-object",
        mapping: Mapping[str, Any] | None = None,
        log_key: str | None = None,
        signing_key: str | None = None,
    ) -> records.Source:
        # Where it points is checked before the transaction: resolving a name may take time.
        sources.check_reach(self.context.settings.source_reach, kind, url)
        with self._tx() as tx:
            row = sources.add_source(
                tx,
                self.principal,
                source_id=source_id,
                kind=kind,
                url=url,
                collection=collection,
                auth=auth,
                username=username,
                secret=secret,
                originator=originator,
                interval=interval,
                grouping=grouping,
                category=category,
                region=region,
                tlp=tlp,
                mapping=mapping,
                log_key=log_key,
                signing_key=signing_key,
            )
            return views.source(row, now=tx.now, items=0, versions_seen=0)

    @entitled(Role.ANALYST)
    def pause_source(self, source_id: str, *, reason: str) -> records.Source:
        with self._tx() as tx:
            row = sources.pause_source(tx, self.principal, source_id=source_id, reason=reason)
            return self._shown(tx.session, row, tx.now)

    @entitled(Role.ANALYST)
    def resume_source(self, source_id: str, *, reason: str) -> records.Source:
        with self._tx() as tx:
            row = sources.resume_source(tx, self.principal, source_id=source_id, reason=reason)
            return self._shown(tx.session, row, tx.now)

    @entitled(Role.ANALYST)
    def remove_source(self, source_id: str, *, reason: str) -> records.Source:
        with self._tx() as tx:
            row = sources.remove_source(tx, self.principal, source_id=source_id, reason=reason)
            return self._shown(tx.session, row, tx.now)

    @entitled(Role.ANALYST, Role.OVERSEER)
    def sources(self, page: Page | None = None, *, removed: bool = False) -> list[records.Source]:
        with self.context.reads() as read:
            return [
                self._shown(read.session, row, read.now)
                for row in store.page(read.session, page, removed=removed)
            ]

    @entitled(Role.ANALYST, Role.OVERSEER)
    def source(self, source_id: str) -> records.Source:
        with self.context.reads() as read:
            return self._shown(read.session, sources.source(read, source_id), read.now)

    @staticmethod
    def _shown(session: Session, row: SourceRow, now: datetime) -> records.Source:
        made, seen = store.counts(session, row.id)
        waiting, error = upstream_acks.outbox(session, row.id)
        return views.source(
            row, now=now, items=made, versions_seen=seen, acks_waiting=waiting, ack_error=error
        )

    # -- pulling ---------------------------------------------------------------------------

    @entitled(Role.ANALYST)
    def pull_source(
        self,
        source_id: str,
        *,
        progress: Callable[[records.Pulled], None] | None = None,
        retry: taxii.Retry | None = None,
        limit: int = taxii.PAGE,
        timeout: float | None = None,
    ) -> Change[records.Pulled]:
        """Take what the source's upstream added since the last pull, ``TAKE_BATCH`` items a
        transaction, each in its own savepoint (``_take_many``).

        The position is recorded with the batch that took the last item of a page (or of a
        folder's file, or the last MISP event it took), so a pull stopped anywhere (the
        process killed, the upstream gone) resumes where it stopped: the page in progress is
        read again, and what of it was taken is found taken (one item per upstream version).
        A failing upstream is retried with backoff; if it still fails, the failure is
        recorded as the source's last error and raised (``UpstreamFailed``). ``progress`` is
        told what the pull has taken so far after each item and after each page.
        """
        terms = self._terms(source_id)
        if timeout is not None:
            terms = replace(terms, upstream=replace(terms.upstream, timeout=timeout))
        pulled = _Tally(source=terms.id, position=terms.position, next=terms.next_token)
        started: list[DecidedRequest] = []
        try:
            sources.check_directory_at_pull(
                self.context.settings.source_reach, terms.kind, terms.url
            )
            if terms.kind == SourceKind.MISP_FEED:
                self._pull_misp_feed(terms, pulled, started, progress, retry or taxii.Retry())
            elif terms.kind == SourceKind.FOLDER:
                self._pull_folder(terms, pulled, started, progress)
            elif terms.kind == SourceKind.GARANTE:
                self._pull_garante(terms, pulled, started, progress, retry, limit)
            else:
                self._pull_taxii(terms, pulled, started, progress, retry, limit)
        except UpstreamFailed as exc:
            with self._tx() as tx:
                store.record_attempt(
                    tx.session,
                    terms.id,
                    at=tx.now,
                    position_added=pulled.position,
                    position_next=pulled.next,
                    error=exc.message,
                    started=terms.started,
                )
            raise
        with self._tx() as tx:
            store.record_attempt(
                tx.session,
                terms.id,
                at=tx.now,
                position_added=pulled.position,
                position_next=pulled.next,
                error=None,
                refused=_refused(pulled.rejected),
                started=terms.started,
            )
        return Change(value=pulled.record(), started=visibility.moved(self.principal, started))

    @entitled(Role.ANALYST)
    def request_pull(self, source_id: str) -> records.Source:
        """Ask for a pull of the source, done next by ``garante serve``'s schedule, which
        pulls one source after another (``pull_due_sources``): the API answers at once, and
        the source's state says the pull is pending (``pull_requested_at``), then how it
        went (``last_success_at``, ``last_error``)."""
        self._terms(source_id)  # the same refusals as a pull: unknown, not its own, paused...
        with self._tx() as tx:
            row = sources.source(tx, source_id)
            store.request_pull(tx.session, row.id, tx.now)
            tx.session.refresh(row)
            return self._shown(tx.session, row, tx.now)

    def _pull_taxii(
        self,
        terms: _Terms,
        pulled: _Tally,
        started: list[DecidedRequest],
        progress: Callable[[records.Pulled], None] | None,
        retry: taxii.Retry | None,
        limit: int,
    ) -> None:
        self._take_pages(terms, pulled, started, progress, retry, limit, _as_sent)
        pulled.next = None  # every page taken: the next pull starts from the position

    def _take_pages(
        self,
        terms: _Terms,
        pulled: _Tally,
        started: list[DecidedRequest],
        progress: Callable[[records.Pulled], None] | None,
        retry: taxii.Retry | None,
        limit: int,
        admit: Callable[[list[dict[str, Any]]], _Admitted],
    ) -> None:
        """The page loop of a TAXII pull (of a TAXII server or of another Garante): each page
        from the position on, its objects ``admit`` lets in grouped into candidates and taken
        ``TAKE_BATCH`` a transaction, the position after the page recorded in the
        transaction that takes its last one, so a pull stopped anywhere resumes at the page
        it was in. ``admit`` sees each page before anything of it is taken; what it gives
        back says what each candidate is taken with."""
        for page in taxii.pages(
            terms.upstream,
            added_after=terms.position,
            next_token=terms.next_token,
            limit=limit,
            retry=retry,
        ):
            pulled.pages += 1
            pulled.objects += len(page.objects)
            admitted = admit(page.objects)
            candidates, refused = _candidates(terms, admitted.objects)
            pulled.rejected += refused
            steps = [_Step(admitted.taken_as(candidate)) for candidate in candidates]
            steps.append(_Step(moved=_moves(pulled, page.added, page.next)))
            for start in range(0, len(steps), TAKE_BATCH):
                chunk = steps[start : start + TAKE_BATCH]
                started += self._take_many(terms.id, chunk, pulled, progress, record=True)

    def _pull_garante(
        self,
        terms: _Terms,
        pulled: _Tally,
        started: list[DecidedRequest],
        progress: Callable[[records.Pulled], None] | None,
        retry: taxii.Retry | None,
        limit: int,
    ) -> None:
        """A TAXII pull of the partner collection on another Garante, where each object is
        taken only if its receipt verifies with the upstream's log key, and each checkpoint
        seen must be consistent with the last one verified (a fork refuses the pull before
        anything of it is taken). Each verified checkpoint is cosigned and kept."""
        witness = self.context.log_signer
        if witness is None or terms.log_key is None:
            raise InvalidState(
                f"source '{terms.id}' cannot be verified: this node has no log key to witness "
                "with, or the source no upstream log key",
                field="source",
            )
        with garante_upstream.Upstream(
            terms.url, terms.upstream.secret, terms.log_key, timeout=terms.upstream.timeout
        ) as upstream:
            verified = self._witness(
                terms, upstream, terms.verified, upstream.latest(), witness, latest=True
            )
            requests: dict[int, records.Request] = {}

            def proven_only(objects: list[dict[str, Any]]) -> _Admitted:
                """The page's objects whose delivery verifies (with the definitions they
                name), its checkpoints witnessed; each taken under the terms released with."""
                nonlocal verified
                proven: list[dict[str, Any]] = []
                notes: dict[str, int] = {}
                failed: dict[int, str] = {}  # a release is taken whole or not at all
                released: dict[int, int] = {}  # an upstream entry: the request it released
                for obj in objects:
                    if obj.get("type") in _CONTEXT and markings.entry_of(obj) is None:
                        if obj.get("type") != "identity":  # the upstream's operator: no item
                            proven.append(obj)  # definitions the released objects name
                        continue
                    if obj.get("revoked") is True:
                        continue  # a recall: applied from the upstream's list of them, below
                    check, note, request = upstream.verify(obj)
                    if not check.verified:
                        if check.index is not None:
                            failed.setdefault(check.index, check.object_id)
                        pulled.rejected.append(
                            f"{check.object_id}: not taken, its delivery does not verify: "
                            f"{check.problem}"
                        )
                        continue
                    proven.append(obj)
                    if note is not None:
                        notes[note] = check.checkpoint_size or 0
                    if check.index is not None and request is not None:
                        released[check.index] = request
                for obj in list(proven):
                    index = _entry(obj)
                    if index is not None and index in failed:
                        proven.remove(obj)
                        pulled.rejected.append(
                            f"{obj['id']}: not taken, released with {failed[index]} (entry "
                            f"{index}), whose delivery does not verify"
                        )
                for note in sorted(notes, key=notes.__getitem__):
                    verified = self._witness(terms, upstream, verified, note, witness)

                def under_its_terms(candidate: Candidate) -> Candidate:
                    found = _released_under(candidate, proven, released, upstream, requests)
                    return replace(candidate, terms=found)

                return _Admitted(proven, under_its_terms)

            self._take_pages(terms, pulled, started, progress, retry, limit, proven_only)
            settled = upstreamacks.settle(self._tx, terms.id, upstream)
            pulled.revoked += settled.withdrawn
            pulled.recalled += settled.recalled
            answered = onward.fetch_answers(self._tx, terms.id, upstream.client)
            started += answered.moved
            pulled.rejected += answered.problems
            self._give_cosignature(terms, upstream, verified)
        pulled.next = None

    def _give_cosignature(
        self,
        terms: _Terms,
        upstream: garante_upstream.Upstream,
        verified: garante_upstream.Verified,
    ) -> None:
        """Post this node's cosignature of the last checkpoint it verified to the upstream,
        unless it took it already; whether it did is kept with the source's state. A refusal
        or an upstream out of reach never fails the pull: the next pull posts it again."""
        if verified.posted:
            return
        problem = upstream.post_cosignature(verified)
        given = replace(verified, posted=problem is None, post_error=problem)
        with self._tx() as tx:
            store.record_checkpoint(tx.session, terms.id, given.to_dict())

    def _witness(
        self,
        terms: _Terms,
        upstream: garante_upstream.Upstream,
        last: garante_upstream.Verified | None,
        note: str,
        witness: NoteSigner,
        *,
        latest: bool = False,
    ) -> garante_upstream.Verified:
        """``note`` proven consistent with ``last`` and cosigned; kept as the source's state."""
        if last is not None and last.note == note:
            return last
        verified = upstream.advance(last, note, witness, latest=latest)
        with self._tx() as tx:
            store.record_checkpoint(tx.session, terms.id, verified.to_dict())
        return verified

    def _pull_misp_feed(
        self,
        terms: _Terms,
        pulled: _Tally,
        started: list[DecidedRequest],
        progress: Callable[[records.Pulled], None] | None,
        retry: taxii.Retry,
    ) -> None:
        """The feed's events whose manifest timestamp is not older than the position, oldest
        first, one item each. The position is the timestamp of the last event taken, recorded
        in the transaction that takes it: events from it on are read again next time and found
        taken (without converting them), so a stop after any event leaves neither a gap nor a
        duplicate.

        They are taken ``TAKE_BATCH`` at a time: converted first, outside the writer lock,
        then taken in one transaction, each event in its own savepoint, with the position
        they moved to (``_take_many(record=True)``)."""
        upstream = terms.upstream
        with feeds.client(upstream) as client:
            feed = feeds.read_misp_feed(terms.url, client, retry)
            since = int(terms.position) if terms.position and terms.position.isdigit() else -1
            due = sorted(
                (e for e in feed.entries if int(e.timestamp) >= since),
                key=lambda e: (int(e.timestamp), e.uuid),
            )
            pulled.pages += 1
            for start in range(0, len(due), TAKE_BATCH):
                chunk = due[start : start + TAKE_BATCH]
                taken = self._taken(terms.id, [(e.uuid, e.timestamp) for e in chunk])
                made: list[_Step] = []
                for entry in chunk:
                    moved = _moves(pulled, entry.timestamp, pulled.next)
                    if (entry.uuid, entry.timestamp) in taken:
                        made.append(_Step(found_taken=True, an_object=True, moved=moved))
                        continue
                    try:
                        candidate: Candidate | str = _misp_candidate(
                            terms, feeds.misp_event(feed, entry.uuid)
                        )
                    except ValidationError as exc:
                        candidate = f"event {entry.uuid}: {exc.message}"
                    made.append(_Step(candidate, an_object=True, moved=moved))
                started += self._take_many(terms.id, made, pulled, progress, record=True)
            self._revoke_gone(terms.id, {e.uuid for e in feed.entries}, pulled)

    def _take_many(
        self,
        source_id: str,
        made: Sequence[_Step],
        pulled: _Tally,
        progress: Callable[[records.Pulled], None] | None = None,
        *,
        record: bool = False,
    ) -> list[DecidedRequest]:
        """Upstream versions taken in one transaction, in order, each in its own savepoint.

        ``made`` says, for each one, its candidate, or why it was refused (a string), or that
        it was found taken, and where the pull's position moves once it is done (``_Step``).
        One commit for them all, yet what one transaction each guaranteed still holds: a
        candidate refused (``GaranteError``) is rolled back alone, with its log entries, and
        the others are taken; anything else that stops the batch (the process asked to stop,
        a fault, the progress callback raising) commits what was taken before it, each
        whole, and is then raised. ``progress`` is told after each one, and what it was told
        taken is committed. With ``record``, the position the batch moved to is recorded in
        the same transaction: never ahead of what is taken, nor behind it.
        """
        started: list[DecidedRequest] = []
        stopped: BaseException | None = None
        was = (pulled.position, pulled.next)
        with self._tx() as tx:
            row = sources.source(tx, source_id)
            clean = True  # nothing refused since the position last moved
            for step in made:
                try:
                    candidate = step.candidate
                    pulled.objects += step.an_object
                    if step.found_taken:
                        pulled.duplicates += 1
                    elif isinstance(candidate, str):
                        pulled.rejected.append(candidate)
                        clean = False
                    elif candidate is not None:
                        try:
                            with tx.savepoint():
                                taken = sources.take(tx, row, candidate)
                        except GaranteError as exc:  # this one is refused; the rest are taken
                            pulled.rejected.append(f"{candidate.upstream_id}: {exc.message}")
                            clean = False
                        else:
                            started += _tallied(taken, pulled)
                    if step.moved is not None:
                        step.moved(clean)
                        clean = True
                    if progress is not None:
                        progress(pulled.record())
                except BaseException as exc:  # what was taken before it stands
                    stopped = exc
                    break
            if record and (pulled.position, pulled.next) != was:
                _write_position(tx.session, source_id, pulled)
        if stopped is not None:
            raise stopped
        return started

    def _revoke_gone(self, source_id: str, listed: set[str], pulled: _Tally) -> None:
        """Each event the feed's manifest no longer lists was deleted in MISP: its item is
        revoked, one transaction each. An empty manifest revokes nothing: a feed is never
        emptied by deleting every event, but it is by a failed export."""
        if not listed:
            return
        with self.context.reads() as read:
            gone = [
                u for u in store.standing_upstream_ids(read.session, source_id) if u not in listed
            ]
        for upstream_id in gone:
            with self._tx() as tx:
                taken = sources.revoke_gone(tx, sources.source(tx, source_id), upstream_id)
            if taken.revoked is not None:
                pulled.revoked.append(taken.revoked)
            pulled.recalled += taken.recalled

    def _pull_folder(
        self,
        terms: _Terms,
        pulled: _Tally,
        started: list[DecidedRequest],
        progress: Callable[[records.Pulled], None] | None,
    ) -> None:
        """Each bundle file new or changed since it was last taken (its SHA-256 is the
        position), by the source's grouping rule; per bundle, an item is the bundle. A file
        that cannot be read as a bundle, or of which an object was refused, is said in the
        source's state and read again next time (what of it was taken is found taken).

        The files' items are taken ``TAKE_BATCH`` a transaction (``_take_many``), a batch
        running on from one file into the next; a file is recorded seen in the transaction
        that takes its last item, so a pull stopped mid-batch reads it again."""
        seen = feeds.seen_files(pulled.next)
        steps: list[_Step] = []
        for bundle_file in feeds.bundle_files(terms.url):
            if seen.get(bundle_file.name) == bundle_file.sha256:
                continue
            pulled.pages += 1
            try:
                bundle_id, objects = feeds.read_bundle(bundle_file)
            except ValidationError as exc:
                steps.append(_Step(f"{bundle_file.name}: {exc.message}", moved=_stays))
            else:
                pulled.objects += len(objects)
                candidates, refused = _candidates(terms, objects, bundle_id=bundle_id)
                steps += [_Step(f"{bundle_file.name}: {why}") for why in refused]
                steps += [_Step(candidate) for candidate in candidates]
                steps.append(_Step(moved=_file_seen(pulled, seen, bundle_file)))
            while len(steps) >= TAKE_BATCH:
                chunk, steps = steps[:TAKE_BATCH], steps[TAKE_BATCH:]
                started += self._take_many(terms.id, chunk, pulled, progress, record=True)
        if steps:
            started += self._take_many(terms.id, steps, pulled, progress, record=True)

    def _taken(self, source_id: str, versions: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these upstream versions were taken before: a MISP event is converted
        only if it was not."""
        with self.context.reads() as read:
            return {
                (upstream_id, version)
                for upstream_id, version in versions
                if store.ingest(read.session, source_id, upstream_id, version) is not None
            }

    @entitled(Role.ANALYST)
    def ingest_misp(self, source_id: str, text: str | bytes) -> Change[records.Pulled]:
        """MISP JSON events (an export: one event, a list of them, or ``{"response": [...]}``)
        taken through a MISP feed source, as its pulls take them: one item per event, marked
        and mapped by its tags, logged with the source and the event's uuid and timestamp.

        Every event is read and converted before any is taken: a malformed one refuses the
        lot, with why, and nothing is stored."""
        terms = self._terms(source_id)
        if terms.kind != SourceKind.MISP_FEED:
            raise InvalidState(
                f"source '{terms.id}' is a {terms.kind} source, not a MISP feed",
                field="source",
                hint="MISP events go to a source added with --kind misp-feed",
            )
        candidates: list[Candidate] = []
        for where, event in _misp_events(text):
            made = _misp_candidate(terms, misp.event_to_bundle(event))
            if isinstance(made, str):
                raise ValidationError(f"{where}: {made}", field="event")
            candidates.append(made)
        pulled = _Tally(source=terms.id, position=None)
        started: list[DecidedRequest] = []
        for start in range(0, len(candidates), TAKE_BATCH):
            chunk = candidates[start : start + TAKE_BATCH]
            steps = [_Step(c, an_object=True) for c in chunk]
            started += self._take_many(terms.id, steps, pulled)
        return Change(value=pulled.record(), started=visibility.moved(self.principal, started))

    @entitled()
    def pull_due_sources(self, *, timeout: float | None = None) -> list[records.Pulled]:
        """Pull every source whose pull was asked for or whose interval has passed, one
        after another (``garante serve`` runs this); a source that fails is recorded as
        failing, and the others are pulled all the same. A request that times out is not
        tried again here (the next interval does): an upstream that hangs holds the others
        for its ``timeout`` (default 30 s a request), not for each of a pull's attempts."""
        with self.context.reads() as read:
            due = [row.id for row in store.due(read.session, read.now)]
        done = []
        for source_id in due:
            try:
                pulled = self.pull_source(
                    source_id, retry=taxii.Retry(timeouts=False), timeout=timeout
                )
                done.append(pulled.value)
            except GaranteError:
                continue  # recorded as the source's last error
            except Exception:  # a fault in one source's pull must not starve the others
                log.exception("pulling source %s failed", source_id)
        return done

    def _terms(self, source_id: str) -> _Terms:
        with self.context.reads() as read:
            row = sources.source(read, source_id)
            sources.managed_by(self.principal, row)
            if row.removed_at is not None:
                raise InvalidState(f"source '{row.id}' was removed", field="source")
            if row.paused_at is not None:
                raise InvalidState(
                    f"source '{row.id}' is paused",
                    field="source",
                    hint=f"resume it first: garante sources resume {row.id} --reason TEXT",
                )
            return _Terms(
                id=row.id,
                kind=row.kind,
                url=row.url,
                upstream=taxii.Upstream(
                    api_root=(
                        garante_upstream.taxii_root(row.url)
                        if row.kind == SourceKind.GARANTE
                        else row.url
                    ),
                    collection=row.collection or "",
                    auth=row.auth,
                    username=row.username,
                    secret=row.secret,
                    reach=self.context.settings.source_reach,
                ),
                grouping=row.grouping,
                tlp=row.tlp,
                category=row.category,
                region=row.region,
                rules=tuple(sources.mapping_rules(row.mapping)),
                position=row.position_added,
                next_token=row.position_next,
                started=read.now,
                log_key=row.log_key,
                verified=garante_upstream.Verified.from_dict(row.upstream_checkpoint),
            )


def _write_position(session: Session, source_id: str, pulled: _Tally) -> None:
    """The pull's position as the source's, in ``session``'s transaction."""
    store.record_position(
        session, source_id, position_added=pulled.position, position_next=pulled.next
    )


def _tallied(taken: sources.Taken, pulled: _Tally) -> list[DecidedRequest]:
    """What taking one candidate did, counted in ``pulled``; the requests it started."""
    if taken.item is not None:
        pulled.items.append(taken.item)
        if taken.held:
            pulled.held.append(taken.item)
    pulled.duplicates += taken.duplicate
    pulled.versions_seen += taken.version_seen
    if taken.revised is not None:
        pulled.revised.append(taken.revised)
    if taken.revoked is not None:
        pulled.revoked.append(taken.revoked)
    pulled.recalled += taken.recalled
    if taken.skipped is not None:
        pulled.rejected.append(taken.skipped)
    return taken.started


@dataclass(kw_only=True)
class _Tally:
    source: str
    position: str | None
    next: str | None = None  # the TAXII next token, or a folder's files seen
    pages: int = 0
    objects: int = 0
    duplicates: int = 0
    versions_seen: int = 0

    def __post_init__(self) -> None:
        self.items: list[str] = []
        self.held: list[str] = []
        self.rejected: list[str] = []
        self.revised: list[str] = []
        self.revoked: list[str] = []
        self.recalled: list[int] = []

    def record(self) -> records.Pulled:
        return records.Pulled(
            source=self.source,
            pages=self.pages,
            objects=self.objects,
            items=tuple(self.items),
            held=tuple(self.held),
            duplicates=self.duplicates,
            versions_seen=self.versions_seen,
            rejected=tuple(self.rejected),
            position=self.position,
            revised=tuple(self.revised),
            revoked=tuple(self.revoked),
            recalled=tuple(self.recalled),
        )


@dataclass(frozen=True)
class _Step:
    """One thing a batch (``Sources._take_many``) does, in order: take a candidate, say why
    one was refused (a string), count one found taken, or none of these; then, if ``moved``
    is given, move the pull's position past it, told whether nothing since the position
    last moved was refused (a folder's file is seen only if all of it was taken)."""

    candidate: Candidate | str | None = None
    found_taken: bool = False
    an_object: bool = False  # counted as an upstream object read (a MISP event), not per page
    moved: Callable[[bool], None] | None = None


def _moves(pulled: _Tally, position: str | None, next_token: str | None) -> Callable[[bool], None]:
    """A step's move of the position: to ``position`` and ``next_token``, refusals or not
    (what was refused is said, and a later version of it is read from the upstream again)."""

    def move(clean: bool) -> None:
        pulled.position, pulled.next = position, next_token

    return move


def _stays(clean: bool) -> None:
    """A step that moves no position, yet ends what a refusal before it is counted against."""


def _file_seen(
    pulled: _Tally, seen: dict[str, str], bundle_file: feeds.BundleFile
) -> Callable[[bool], None]:
    """A folder's file recorded seen (the position) once all of it was taken, else left to
    be read again next time."""

    def move(clean: bool) -> None:
        if clean:
            seen[bundle_file.name] = bundle_file.sha256
            pulled.position = f"{len(seen)} files"
            pulled.next = feeds.seen_position(seen)

    return move


@dataclass(frozen=True)
class _Admitted:
    """What a pull takes of one page: the objects let in, and what each candidate made of
    them is taken as (a Garante upstream's candidates carry the terms they were released
    under)."""

    objects: list[dict[str, Any]]
    taken_as: Callable[[Candidate], Candidate]


def _as_sent(objects: list[dict[str, Any]]) -> _Admitted:
    """A TAXII server's page: every object let in, each candidate taken as it is."""
    return _Admitted(objects, lambda candidate: candidate)


def _candidates(
    terms: _Terms, objects: Sequence[dict[str, Any]], *, bundle_id: str | None = None
) -> tuple[list[Candidate], list[str]]:
    """The upstream versions a page's objects make (the source's grouping rule), and the ones
    refused, with why.

    Each takes the TLP its markings give, else the source's default. One whose markings
    cannot be read without loss is held for review with the reasons, and stored as TLP:RED
    meanwhile: an unknown marking is never read as a lighter one.
    """
    rule = Grouping(terms.grouping)
    page = None
    if rule is Grouping.PER_BUNDLE:
        page = bundle_id or _page_id(terms.id, objects)
    out: list[Candidate] = []
    refused: list[str] = []
    try:
        groups = group_objects(objects, rule, bundle_id=page)
    except GaranteError as exc:
        return [], [f"a page of {len(objects)} objects: {exc.message}"]
    for group in groups:
        made = _candidate(terms, group)
        if isinstance(made, str):
            refused.append(made)
        else:
            out.append(made)
    return out, refused


def _candidate(
    terms: _Terms,
    group: UpstreamItem,
    *,
    marking_tags: Sequence[str] = (),
    tags: Sequence[str] = (),
    galaxies: Sequence[str] = (),
    validate: bool = True,
    stix_built: bool = False,
) -> Candidate | str:
    """The candidate one upstream item makes, or why it is refused. ``tags`` and ``galaxies``
    are a MISP event's tags and galaxy tags, mapped; ``marking_tags`` the tags read with its
    objects' markings."""
    if len(group.upstream_id) > UPSTREAM_ID or len(group.version) > VERSION:
        return f"{group.upstream_id[:UPSTREAM_ID]}...: an id or version too long"
    refused = validation.invalid(group.objects) if validate else None
    if refused is not None:
        name, why = refused
        which = "" if name == group.upstream_id else f"{name} is "
        return f"{group.upstream_id}: {which}not valid STIX 2.1: {why}"
    found = read_markings(group.objects, tags=marking_tags, default=Tlp(terms.tlp))
    review = tuple(found.review)
    tlp = found.tlp.value if found.tlp is not None and not review else Tlp.RED.value
    try:
        content = items.parse_bundle(
            sources.bundle(terms.id, group.upstream_id, group.version, group.objects),
            stix_built=stix_built,
        )
    except GaranteError as exc:
        return f"{group.upstream_id}: {exc.message}"
    title = (group.title or group.upstream_id).strip()[:TITLE] or group.upstream_id
    mapped = map_item(
        group.objects,
        terms.rules,
        default_category=terms.category,
        default_region=terms.region,
        tags=tags,
        galaxies=galaxies,
    )
    return Candidate(
        upstream_id=group.upstream_id,
        version=group.version,
        title=title,
        content=content,
        tlp=tlp,
        category=mapped.category,
        region=mapped.region,
        review=review,
        revoked=group.revoked,
    )


def _misp_candidate(terms: _Terms, event: misp.MispConverted) -> Candidate | str:
    """One MISP event as one candidate: its tags and galaxy tags marked and mapped. The
    event was checked by misp-stix, which refuses what it cannot convert; the STIX it made is
    not checked again by the validator (which would cost four times the conversion), nor
    parsed again by stix2 when misp-stix built it all with stix2 and nothing custom (building
    it was that check, and cost as much as the conversion)."""
    return _candidate(
        terms,
        event.item(),
        marking_tags=event.marking_tags,
        tags=event.tags,
        galaxies=event.galaxy_tags,
        validate=False,
        stix_built=event.stix_built,
    )


def _misp_events(text: str | bytes) -> list[tuple[str, dict[str, Any]]]:
    """The events of a MISP JSON export, each with where it is in it."""
    loaded: Any = misp.load_event(text) if not _is_list(text) else _load_list(text)
    if isinstance(loaded, dict) and isinstance(loaded.get("response"), list):
        loaded = loaded["response"]
    if isinstance(loaded, dict):
        return [("the event", loaded)]
    events = []
    for index, event in enumerate(loaded):
        if not isinstance(event, dict):
            raise ValidationError(f"event {index} is not a JSON object", field="event")
        events.append((f"event {index}", event))
    if not events:
        raise ValidationError("the file holds no MISP event", field="event")
    return events


def _is_list(text: str | bytes) -> bool:
    head = text.lstrip()[:1]
    return head in ("[", b"[")


def _load_list(text: str | bytes) -> list[Any]:
    try:
        loaded = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(f"the MISP events are not JSON: {exc}", field="event") from None
    if not isinstance(loaded, list):
        raise ValidationError("the MISP events are not a JSON list", field="event")
    return loaded


def _released_under(
    candidate: Candidate,
    page: Sequence[StixObject],
    released: Mapping[int, int],
    upstream: garante_upstream.Upstream,
    requests: dict[int, records.Request],
) -> dict[str, Any] | None:
    """What an item from a Garante upstream was released to this node under: the upstream's
    log origin and the entry that released it, the release request, its purpose and
    undertaking, the undertaking's statement the objects carry, and their TLP."""
    objects = candidate.content.get("objects")
    marked = [o for o in objects if isinstance(o, dict)] if isinstance(objects, list) else []
    for obj in marked:
        entry = markings.entry_of(obj)
        if entry is None or entry.index not in released:
            continue
        request = released[entry.index]
        if request not in requests:
            requests[request] = upstream.release(request)
        found = requests[request]
        definitions = {str(o.get("id")): o for o in page if o.get("type") == "marking-definition"}
        listed = obj.get("object_marking_refs")
        statements = [
            marking
            for ref in (listed if isinstance(listed, list) else [])
            if isinstance(ref, str)
            and (marking := definitions.get(ref)) is not None
            and marking.get("definition_type") == "statement"
            and isinstance(marking.get("definition"), dict)
        ]
        # The undertaking the delivered copy is marked with (a release restored under a later
        # undertaking is marked again), else the one the request was decided under.
        named = [
            str(m.get("name", "")).removeprefix(_UNDERTAKING_NAME)
            for m in statements
            if str(m.get("name", "")).startswith(_UNDERTAKING_NAME)
        ]
        return {
            "log_origin": entry.origin,
            "log_index": entry.index,
            "request": request,
            "released_to": found.recipient,
            "purpose": found.purpose,
            "undertaking": named[0] if named else found.undertaking,
            "statement": " ".join(_statement(m) for m in statements) or None,
            "tlp": candidate.tlp,
        }
    return None


def _statement(marking: StixObject) -> str:
    definition = marking.get("definition")
    return str(definition.get("statement", "")) if isinstance(definition, dict) else ""


def _entry(obj: StixObject) -> int | None:
    """The upstream log entry that released ``obj``, if it names one."""
    entry = markings.entry_of(obj)
    return entry.index if entry is not None else None


def _refused(reasons: Sequence[str]) -> str | None:
    """What a pull that refused objects says of them in the source's state."""
    if not reasons:
        return None
    more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
    return f"{len(reasons)} not taken; {reasons[0]}{more}"


def _page_id(source_id: str, objects: Sequence[StixObject]) -> str:
    """The id of the bundle a page makes: the same page read again makes the same bundle."""
    ids = ",".join(str(o.get("id")) for o in objects)
    return f"bundle--{uuid.uuid5(uuid.NAMESPACE_URL, f'garante:{source_id}:{ids}')}"
