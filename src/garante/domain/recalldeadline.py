"""How long a partner has to acknowledge a recall (issue 21): ``48h``, ``2d``, ``30m``.

A recall of a delivered release may carry a deadline, an instant: given with the recall act
(``--ack-within``), or else the ``recall_ack_within`` of the agreement that started the release.
A partner past it without having acknowledged the recall is held by the system
(``service/recalldeadlines.py``), as a breach holds it.
"""

from __future__ import annotations

import re
from datetime import timedelta

from garante.domain.errors import ValidationError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_FORM = re.compile(r"^\s*(\d{1,6})\s*([smhd])\s*$")

MAX_WITHIN = timedelta(days=365)

HOLD_PREFIX = "recall-"
"""The system's hold for an overdue recall is ``recall-<partner>-<release>``."""


def parse_within(text: str, *, field: str = "ack_within") -> timedelta:
    """``48h`` as a duration: a whole number of seconds, minutes, hours or days, at least a
    minute and at most a year."""
    match = _FORM.match(text.lower())
    if match is None:
        raise ValidationError(
            f"'{text}' is not a duration",
            field=field,
            hint="a whole number and a unit: 30m, 48h, 7d",
        )
    return check_within(timedelta(seconds=int(match[1]) * _UNITS[match[2]]), field=field)


def check_within(within: timedelta, *, field: str = "ack_within") -> timedelta:
    if within < timedelta(minutes=1) or within > MAX_WITHIN:
        raise ValidationError(
            f"an acknowledgement deadline of {format_within(within)} is out of range",
            field=field,
            hint="from 1m to 365d",
        )
    return timedelta(seconds=int(within.total_seconds()))


def format_within(within: timedelta) -> str:
    """The shortest exact form: ``2d``, ``36h``, ``90m``, ``45s``."""
    seconds = int(within.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds and seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"
