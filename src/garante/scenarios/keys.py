"""Demo signing keys, derived from names so that a replay signs the same bytes every time.

Never use these outside a demo: anyone can derive them.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def demo_key(name: str) -> Ed25519PrivateKey:
    seed = hashlib.sha256(f"garante-demo-key:{name}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)
