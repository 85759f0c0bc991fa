"""The log's signing key: read from the environment or a file, never from the database.

A checkpoint signed with a key kept beside the data it vouches for would prove nothing to an
inspector who distrusts the operator's database. So the key comes from ``GARANTE_LOG_KEY`` (the
note private key string), ``GARANTE_LOG_KEY_FILE``, or, for a SQLite store, a file beside it
(``garante.db.log-key``, mode 0600) that ``garante init`` creates. The public verifier key is
not secret; it is kept in the store's settings so anyone can ask for it.

Or the key lives in an HSM and never leaves it: ``GARANTE_LOG_KEY_URI`` (or ``garante serve
--log-key-uri``) is a PKCS#11 URI naming it (``service.hsm``), and ``GARANTE_LOG_KEY_NAME`` its
note key name (by default one derived from its public key). Then no file key is read or made:
a token that cannot be used stops the store from opening, so nothing is signed by another key.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from garante.domain.errors import InvalidKey, ValidationError
from garante.ledger.errors import LedgerError
from garante.ledger.note import NoteSigner, Signer
from garante.store.database import sqlite_file
from garante.textfile import read_text


def default_key_path(db_url: str) -> Path | None:
    database = sqlite_file(db_url)
    return None if database is None else Path(f"{database}.log-key")


def key_file(db_url: str) -> Path | None:
    """The log key's file: ``GARANTE_LOG_KEY_FILE``, else the one beside a SQLite store; None
    for a database server's store without ``GARANTE_LOG_KEY_FILE``."""
    path_text = os.environ.get("GARANTE_LOG_KEY_FILE")
    return Path(path_text) if path_text else default_key_path(db_url)


def key_file_to_make(db_url: str) -> Path | None:
    """The file ``create_log_key`` would make: the key's file when it is not there yet and no
    key is given in the environment instead; else None."""
    if "GARANTE_LOG_KEY" in os.environ:
        return None
    path = key_file(db_url)
    return None if path is None or path.exists() else path


def configured_uri(key_uri: str | None = None) -> str | None:
    """The PKCS#11 URI of the log key: ``key_uri`` (``--log-key-uri``), else the environment's."""
    uri = key_uri or os.environ.get("GARANTE_LOG_KEY_URI", "").strip()
    return uri or None


def load_log_signer(db_url: str, *, key_uri: str | None = None) -> NoteSigner | None:
    """The log's signer, or None when no key is configured (checkpoints then cannot be signed).

    With a PKCS#11 URI configured, the token's key or a typed error (``LogKeyUnavailable``
    and its kinds), never None and never a key from a file.
    """
    uri = configured_uri(key_uri)
    if uri is not None:
        both = [name for name in ("GARANTE_LOG_KEY", "GARANTE_LOG_KEY_FILE") if name in os.environ]
        if both:
            raise ValidationError(
                f"the log key is configured twice: a PKCS#11 URI and {both[0]}",
                field="log_key_uri",
                hint=f"unset {both[0]}: a log has one key, here the one in the HSM",
            )
        from garante.service.hsm import open_token_signer

        return open_token_signer(uri, os.environ.get("GARANTE_LOG_KEY_NAME") or None)
    text = os.environ.get("GARANTE_LOG_KEY")
    source = "GARANTE_LOG_KEY"
    if text is None:
        path = key_file(db_url)
        if path is None or not path.exists():
            return None
        source = str(path)
        text = read_text(path, field="log_key", what="log key")
    try:
        return Signer.from_private_key_string(text.strip())
    except LedgerError as exc:
        raise InvalidKey(
            f"the log key in {source} cannot be read: {exc}", field="log_key"
        ) from None


def create_log_key(db_url: str, origin: str | None = None) -> tuple[Signer, Path] | None:
    """Create the key file, if none is configured yet.

    The file is ``GARANTE_LOG_KEY_FILE`` when that names a file that does not exist yet (how a
    PostgreSQL deployment's first server makes its key), else the file beside a SQLite store.
    ``O_EXCL`` means two servers starting at once never overwrite each other's key: the loser
    fails, and the store's recorded verifier key catches any mismatch.
    """
    path = key_file_to_make(db_url)
    if path is None:
        return None
    name = origin or f"garante.local/log-{secrets.token_hex(4)}"
    signer = Signer.generate(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under a temporary name, then linked into place: a process killed midway
    # leaves no empty key file that every later start would refuse, and another server never
    # reads a key half-written. ``link`` fails if the name exists, like O_EXCL.
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(signer.to_private_key_string() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:  # another server made it a moment ago: use that one
            return None
    finally:
        temporary.unlink(missing_ok=True)
    return signer, path
