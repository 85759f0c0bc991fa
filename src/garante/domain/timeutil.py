"""Time as Garante stores and signs it: timezone-aware UTC, ISO 8601 with a Z."""

from __future__ import annotations

from datetime import UTC, datetime

from garante.domain.errors import ValidationError


def iso(value: datetime) -> str:
    """The one text form of an instant, used in signed statements and audit entries.

    The year has four digits whatever it is: ``strftime("%Y")`` writes year 1 as ``1``, which
    no ISO 8601 reader, ours included, takes back.
    """
    at = value if value.tzinfo is UTC else value.astimezone(UTC)
    # ``isoformat`` always writes the year in four digits; cut to seconds, it ends in the
    # offset "+00:00", which the Z replaces. A few times quicker than ``strftime``, and every
    # audit entry holds one or more instants.
    return at.isoformat(timespec="seconds")[:-6] + "Z"


def parse_time(text: str, *, field: str = "time") -> datetime:
    """Read an ISO 8601 instant or date; a naive value is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"'{text}' is not an ISO 8601 time",
            field=field,
            hint="write it like 2025-11-11T21:00:00Z or 2025-11-11",
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC).replace(microsecond=0)
    except OverflowError:
        raise ValidationError(
            f"'{text}' falls outside years 1 to 9999 in UTC",
            field=field,
            hint="write it like 2025-11-11T21:00:00Z or 2025-11-11",
        ) from None


def utc(value: datetime) -> datetime:
    """Coerce a stored value to aware UTC (SQLite returns naive datetimes)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)
