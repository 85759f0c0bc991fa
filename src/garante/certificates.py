"""Client certificates by fingerprint: the SHA-256 of the DER encoding, as lowercase hex.

nginx's own ``$ssl_client_fingerprint`` is SHA-1; Garante computes SHA-256 itself from the
PEM certificate nginx passes (``$ssl_client_escaped_cert``), so the fingerprint an operator
registers (``openssl x509 -noout -fingerprint -sha256``) is the one a request is matched on.
"""

from __future__ import annotations

import hashlib
import string

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from garante.domain.errors import ValidationError

_HEX = frozenset(string.hexdigits)


def fingerprint_of_pem(pem: str | bytes) -> str:
    """The SHA-256 fingerprint of one PEM certificate; ``ValidationError`` if it is none."""
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        certificate = x509.load_pem_x509_certificate(data)
    except ValueError:
        raise ValidationError(
            "not a PEM X.509 certificate",
            field="certificate",
            hint="give the certificate file (-----BEGIN CERTIFICATE-----) or its SHA-256",
        ) from None
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()


def normalise_fingerprint(text: str) -> str:
    """A SHA-256 fingerprint as given by hand or by ``openssl x509 -fingerprint -sha256``
    (``sha256 Fingerprint=AB:CD:...``), as 64 lowercase hex digits."""
    value = text.strip()
    if "=" in value:
        value = value.split("=", 1)[1]
    value = value.replace(":", "").strip().lower()
    if len(value) != 64 or not set(value) <= _HEX:
        raise ValidationError(
            "a certificate fingerprint is the SHA-256 of its DER encoding: 64 hex digits",
            field="fingerprint",
            hint="openssl x509 -in partner.pem -noout -fingerprint -sha256",
        )
    return value


def read_fingerprint(value: str) -> str:
    """A fingerprint given as such, or computed from a PEM certificate given inline."""
    if "-----BEGIN" in value:
        return fingerprint_of_pem(value)
    return normalise_fingerprint(value)
