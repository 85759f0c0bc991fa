"""The checks every statement a partner signs about one of its releases must pass before it is
recorded (consent requests, acknowledgements): signed by the partner's registered key, about a
release that reached that partner, and under an id not used before for other content. A signed
outcome report passes the first (``check_partner_signature``).

Each check is its own step so a use case keeps its own order between them (what no key of the
partner's signed learns nothing of the state, so the signature always comes first) and its own
wording of the errors, which name what was refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from garante.canonical import Json
from garante.domain.errors import Conflict, GaranteError, SignatureRequired
from garante.service import lookup
from garante.signatures import check_signature
from garante.store import feed as stored
from garante.store.schema import FeedReleaseRow


class _Recorded(Protocol):
    """A recorded signed statement: its canonical text is what a repeat is compared with."""

    @property
    def statement(self) -> str: ...


RecordedT = TypeVar("RecordedT", bound=_Recorded)


def check_partner_signature(
    session: Session,
    *,
    agency_id: str,
    statement: Mapping[str, Json],
    signature: bytes | None,
    what: str,
) -> None:
    """Refuse ``statement`` unless ``signature`` is the partner's over it, by its registered key.

    ``what`` names the statement in the error (``"consent request"``) when the partner has no
    key registered, so it knows which of its statements could not be checked.
    """
    agency = lookup.agency(session, agency_id)
    if agency.public_key is None:
        raise SignatureRequired(
            f"{agency.id} has no registered public key, so its {what} cannot be checked",
            field="signature",
            hint="ask the operator to register your Ed25519 public key first",
        )
    check_signature(
        signer=agency.id, public_key=agency.public_key, statement=statement, signature=signature
    )


def release_reached_partner(
    session: Session,
    *,
    release_id: int,
    partner_id: str,
    not_reached: Callable[[], GaranteError],
) -> FeedReleaseRow:
    """The release, if it was made to ``partner_id`` and reached it; else ``not_reached()``.

    It reached the partner if its feed offers it now or delivered it once: what a partner may
    know of (``service.visibility``). One withdrawn before delivery, or one an order withholds
    that was never delivered, did not, and is nothing it knows of. One answer whether the
    release does not exist, went to another partner or never reached this one, so a partner
    learns nothing of others' releases, nor that one of its own is withheld.
    """
    release = stored.release(session, release_id)
    if release is None or release.partner_id != partner_id or not stored.reached(release):
        raise not_reached()
    return release


def received_before(
    earlier: RecordedT | None, text: str, *, id_taken: Callable[[], Conflict]
) -> RecordedT | None:
    """The statement recorded before under the same id, if it is this one (canonical ``text``);
    ``id_taken()`` when the id was used for other content; ``None`` when the id is new.

    The same signed statement sent twice is recorded once: a partner may resend it safely.
    """
    if earlier is None:
        return None
    if earlier.statement != text:
        raise id_taken()
    return earlier
