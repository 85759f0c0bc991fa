"""Text files named on the command line or in the environment, read one way.

A key given as ``@FILE``, a STIX bundle, an export's checkpoints, an inspector's state file, a
log key in ``GARANTE_LOG_KEY_FILE``: each is text a person pointed Garante at, and any of them
may be missing, a directory, unreadable, or not text at all (a binary file given by mistake).
Each of those is a ``ValidationError`` that names the file and what is wrong with it, never a
``UnicodeDecodeError``'s traceback; the caller says which input was at fault (``field``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from garante.domain.errors import ValidationError


def read_text(path: Path, *, field: str, what: str = "") -> str:
    """The file's text, decoded as UTF-8; ``what`` names it in the error (``"bundle"``)."""
    named = f"the {what} {path}" if what else str(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise ValidationError(
            f"cannot read {named}: it is a directory", field=field, hint="name a file"
        ) from None
    except OSError as exc:
        raise ValidationError(f"cannot read {named}: {exc.strerror or exc}", field=field) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"{named} is not UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x})",
            field=field,
            hint="check that the file is the one you meant; a binary file is never taken",
        ) from None


def read_json(path: Path, *, field: str, what: str = "") -> Any:
    """The file's JSON document (any JSON value: the caller checks its shape)."""
    text = read_text(path, field=field, what=what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        named = f"the {what} {path}" if what else str(path)
        raise ValidationError(
            f"{named} is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            field=field,
        ) from None
