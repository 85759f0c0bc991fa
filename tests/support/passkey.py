"""A software authenticator for service tests: it makes a P-256 passkey and signs as a
browser's ``navigator.credentials`` would return, byte for byte (WebAuthn Level 2, "none"
attestation). The console's tests use Chromium's virtual authenticator instead."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from garante.canonical import Json
from garante.domain.passkeys import Assertion, Attestation, RelyingParty
from garante.passkeys import challenge_of, encode

RP = RelyingParty(rp_id="localhost", origin="http://localhost:8000")

_PRESENT, _VERIFIED, _ATTESTED = 0x01, 0x04, 0x40


class SoftAuthenticator:
    """One credential, for one relying party, with its own signature counter."""

    def __init__(self, rp: RelyingParty = RP, *, counter: int = 0) -> None:
        self.rp = rp
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.raw_id = os.urandom(16)
        self.counter = counter

    @property
    def credential_id(self) -> str:
        return encode(self.raw_id)

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _client_data(self, kind: str, challenge: bytes, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": encode(challenge),
                "origin": origin or self.rp.origin,
                "crossOrigin": False,
            }
        ).encode()

    def _auth_data(self, flags: int, counter: int) -> bytes:
        rp_hash = hashlib.sha256(self.rp.rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + counter.to_bytes(4, "big")

    def create(self, challenge: bytes = b"registration challenge") -> Attestation:
        """What ``navigator.credentials.create`` gives for a new credential."""
        attested = (
            bytes(16)  # aaguid
            + len(self.raw_id).to_bytes(2, "big")
            + self.raw_id
            + self.cose_key()
        )
        auth_data = self._auth_data(_PRESENT | _VERIFIED | _ATTESTED, self.counter) + attested
        return Attestation(
            challenge=encode(challenge),
            client_data_json=encode(self._client_data("webauthn.create", challenge, None)),
            attestation_object=encode(
                cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
            ),
        )

    def sign(
        self,
        statement: Mapping[str, Json],
        *,
        counter: int | None = None,
        origin: str | None = None,
        present: bool = True,
    ) -> Assertion:
        """What ``navigator.credentials.get`` gives with the statement's hash as challenge;
        the counter moves on by one unless ``counter`` says where it stands."""
        self.counter = self.counter + 1 if counter is None else counter
        client_data = self._client_data("webauthn.get", challenge_of(statement), origin)
        flags = (_PRESENT if present else 0) | _VERIFIED
        auth_data = self._auth_data(flags, self.counter)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return Assertion(
            credential_id=self.credential_id,
            authenticator_data=encode(auth_data),
            client_data_json=encode(client_data),
            signature=encode(signature),
        )
