"""Adding items: a STIX 2.1 bundle validated once, on the way in."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from datetime import datetime

import stix2

from garante.domain.errors import AlreadyExists, InvalidBundle, ValidationError
from garante.domain.events import ItemAdded
from garante.domain.timeutil import iso, utc
from garante.domain.vocabulary import Tlp, suggest
from garante.service import lookup
from garante.service.transaction import Transaction
from garante.signatures import canonical
from garante.stix.markings import StixObject, validation_view
from garante.store import agencies, items
from garante.store.schema import ItemRow


def parse_bundle(source: str | Mapping[str, object], *, stix_built: bool = False) -> StixObject:
    """Validate a STIX 2.1 bundle with the stix2 library and return it as plain JSON.

    Why here and only here: parsing costs about a third of a millisecond per object, so it is
    paid once when an item enters, never when a partner reads its feed. ``stix_built``: its
    objects are the serialized stix2 objects a converter built (misp-stix), none with custom
    content, so the library checked each as it built it (properties, patterns); they are not
    parsed a second time, and every other check here still runs. A marking definition the
    library cannot build but Garante reads (a ``PAP`` one, a TLP one under another id) is
    checked as a stand-in with all its other properties (``markings.validation_view``) and
    kept as it came.
    """
    if isinstance(source, str):
        try:
            data = json.loads(source)
        except json.JSONDecodeError as exc:
            raise InvalidBundle(
                f"the bundle is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                field="bundle",
            ) from None
        except (ValueError, RecursionError) as exc:  # an integer of over 4300 digits, or deep
            raise InvalidBundle(
                f"the bundle cannot be read as JSON: {exc}", field="bundle"
            ) from None
    else:
        data = source
    if not isinstance(data, dict) or data.get("type") != "bundle":
        raise InvalidBundle(
            'expected a STIX 2.1 bundle (a JSON object with "type": "bundle")',
            field="bundle",
        )
    if not data.get("objects"):
        raise InvalidBundle("the bundle has no objects; there is nothing to share", field="bundle")
    try:
        if not stix_built:
            objects = data["objects"]
            checked = validation_view(objects) if isinstance(objects, list) else objects
            stix2.parse({**data, "objects": checked}, allow_custom=False, version="2.1")
    except Exception as exc:  # stix2 raises many types; all mean "not valid STIX 2.1"
        raise InvalidBundle(
            f"the bundle is not valid STIX 2.1: {exc}",
            field="bundle",
            hint="check it with the OASIS stix2-validator, or build it with the stix2 library",
        ) from None
    try:
        result: StixObject = json.loads(canonical(data))
    except ValueError as exc:  # RFC 8785 has no form for it: a lone surrogate, NaN, a huge int
        raise InvalidBundle(
            f"the bundle has a value JSON cannot carry exactly: {exc}", field="bundle"
        ) from None
    return result


def add_item(
    tx: Transaction,
    *,
    item_id: str,
    title: str,
    category: str,
    region: str,
    tlp: str,
    originator: str,
    releasable_to: list[str],
    content: StixObject,
    embargo_until: datetime | None = None,
    expires_at: datetime | None = None,
    review: tuple[str, ...] = (),
) -> ItemRow:
    """Store an item whose bundle ``parse_bundle`` has already validated.

    ``review``: why an item a source gave is held for review (``Item.review``), if it is.

    Validating a bundle costs about a third of a millisecond per object, seconds for a large
    one: the caller does it before the write transaction, so a big item does not hold the
    writer lock while every release waits behind it.
    """
    session = tx.session
    lookup.slug(item_id, field="id")
    if items.get(session, item_id) is not None:
        raise AlreadyExists(f"item '{item_id}' already exists", field="id")
    if not title.strip():
        raise ValidationError("an item needs a title", field="title")
    vocabulary = tx.vocabulary
    vocabulary.check("categories", [category], field_name="category")
    vocabulary.check("regions", [region], field_name="region")
    if tlp not in set(Tlp):
        raise ValidationError(
            f"unknown TLP marking '{tlp}'", field="tlp", hint=suggest(tlp, [t.value for t in Tlp])
        )
    lookup.agency(session, originator, field="originator")
    named = agencies.get_many(session, releasable_to)  # not every agency: there may be many
    for target in releasable_to:
        if target not in named and not (len(target) == 2 and target.isupper()):
            raise ValidationError(
                f"releasable_to entry '{target}' is neither an agency nor a country code",
                field="releasable_to",
                hint=suggest(target, agencies.ids(session)) + "; or a country code such as US",
            )
    embargo_until = utc(embargo_until) if embargo_until is not None else None
    expires_at = utc(expires_at) if expires_at is not None else None
    _check_window(embargo_until, expires_at, tx.now)
    body = canonical(content)
    salt = os.urandom(16)
    row = items.add(
        session,
        item_id=item_id,
        title=title.strip(),
        category=category,
        region=region,
        tlp=tlp,
        originator=originator,
        releasable_to=sorted(set(releasable_to)),
        bundle=body.decode(),
        content_sha256=hashlib.sha256(body).hexdigest(),
        commitment_salt=salt,
        added_by=tx.actor,
        at=tx.now,
        embargo_until=embargo_until,
        expires_at=expires_at,
    )
    if review:
        row.review = list(review)
    # The log carries a salted commitment, never the content or title: it can be handed to an
    # inspector whole, and the operator can later show that a content matches it.
    tx.audit(
        ItemAdded(
            item=item_id,
            category=category,
            region=region,
            tlp=tlp,
            originator=originator,
            releasable_to=tuple(row.releasable_to),
            content_commitment=content_commitment(salt, row.title, body),
            embargo_until=embargo_until,
            expires_at=expires_at,
            review=tuple(review) if review else None,
        )
    )
    return row


def _check_window(
    embargo_until: datetime | None, expires_at: datetime | None, now: datetime
) -> None:
    """An item must be releasable at some moment: an expiry already past, or not after the
    embargo, would leave it stored but never shareable, which is a mistake worth refusing."""
    if expires_at is None:
        return
    if expires_at <= now:
        raise ValidationError(
            f"expires_at {iso(expires_at)} is not in the future (now {iso(now)}): "
            "the item could never be released",
            field="expires_at",
            hint="give a later expiry, or none",
        )
    if embargo_until is not None and expires_at <= embargo_until:
        raise ValidationError(
            f"expires_at {iso(expires_at)} is not after embargo_until {iso(embargo_until)}: "
            "the item could never be released",
            field="expires_at",
            hint="the embargo must end before the item expires",
        )


def content_commitment(salt: bytes, title: str, body: bytes) -> str:
    """SHA-256 over salt, title and canonical bundle: hiding without the salt, binding with it."""
    digest = hashlib.sha256()
    digest.update(salt)
    digest.update(canonical({"title": title}))
    digest.update(body)
    return digest.hexdigest()
