"""Demo signing keys, derived from names so that a replay signs the same bytes every time.

Never use these outside a demo: anyone can derive them.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from garante.signatures import private_key_pem


def demo_key(name: str) -> Ed25519PrivateKey:
    seed = hashlib.sha256(f"garante-demo-key:{name}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def write_demo_keys(directory: Path, names: Iterable[str]) -> list[Path]:
    """Write each named party's demo private key as ``NAME.key`` (PEM, mode 0600).

    So that a person trying the demo can act as every signer in it (an authority lifting an
    order, a partner signing an undertaking) with the CLI's ``--key``, as with a real key.
    """
    directory.mkdir(mode=0o700, exist_ok=True)
    written = []
    for name in sorted(names):
        path = directory / f"{name}.key"
        path.unlink(missing_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(private_key_pem(demo_key(name)))
        written.append(path)
    return written
