"""Hostile input to every parser: it parses, or it raises one of the project's typed errors.

Each parser gets arbitrary input and near-valid input (a valid example, mutated: bytes flipped,
deleted, inserted; members of the wrong type; huge numbers; odd Unicode; deep nesting). The one
outcome that fails a test is an exception that is not a ``GaranteError`` (or, for the ledger
core, a ``LedgerError``) with a stable dotted code: that would be a 500 or a crash.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from garante.canonical import Json
from garante.domain.errors import GaranteError
from garante.ledger.checkpoint import (
    Checkpoint,
    cosign,
    open_checkpoint,
    sign_checkpoint,
    verify_cosignature,
)
from garante.ledger.errors import LedgerError
from garante.ledger.note import (
    SIG_COSIGNATURE_V1,
    NoteSignature,
    Signer,
    VerifierKey,
    open_note,
    parse_note,
)
from garante.service.items import parse_bundle
from garante.signatures import (
    check_signature,
    decode_signature,
    encode_public_key,
    parse_public_key,
    private_key_pem,
    public_key_bytes,
    sign_statement,
)
from tests.fuzz.mutations import json_values, mutated, mutated_json, odd_text
from tests.support.scenario import scenario_bundle

CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
FAST = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)

LOG = Signer.generate("garante.example/log")
WITNESS = Signer.generate("witness.example")
CHECKPOINT = Checkpoint("garante.example/log", 42, bytes(range(32)))
SIGNED = sign_checkpoint(CHECKPOINT, LOG)
COSIGNATURE = cosign(CHECKPOINT.to_text(), WITNESS, 1_700_000_000)
COSIGNER = WITNESS.verifier_key(SIG_COSIGNATURE_V1)
KEY = Ed25519PrivateKey.generate()
STATEMENT: dict[str, Json] = {
    "type": "garante.order/v1",
    "id": "o-1",
    "version": 1,
    "reason": "test",
}
BUNDLE = scenario_bundle()


def parses_or_refuses(parse: Callable[[], Any], *errors: type[Exception]) -> Any:
    """Call ``parse``; a refusal must be one of ``errors`` and carry a stable code."""
    try:
        return parse()
    except errors as refused:
        assert CODE.match(type(refused).code), type(refused)  # type: ignore[attr-defined]
        return None


# -- STIX bundles ------------------------------------------------------------------------------


@FAST
@given(mutated(json.dumps(BUNDLE), max_edits=3))
def test_a_mutated_bundle_text_parses_or_is_an_invalid_bundle(text: str) -> None:
    parses_or_refuses(lambda: parse_bundle(text), GaranteError)


@FAST
@given(mutated_json(BUNDLE))
def test_a_bundle_with_members_changed_parses_or_is_an_invalid_bundle(value: Any) -> None:
    parses_or_refuses(lambda: parse_bundle(value), GaranteError)


@FAST
@given(json_values)
def test_any_json_value_as_a_bundle_is_refused_as_a_bundle(value: Any) -> None:
    parses_or_refuses(lambda: parse_bundle(value), GaranteError)


# -- keys and signatures ----------------------------------------------------------------------

PUBLIC_TEXTS = [
    encode_public_key(public_key_bytes(KEY.public_key())),
    private_key_pem(KEY).decode(),
    base64.b64encode(public_key_bytes(KEY.public_key())).decode(),
]


@FAST
@given(st.one_of(odd_text, st.sampled_from(PUBLIC_TEXTS).flatmap(mutated)))
def test_a_public_key_parses_or_is_key_invalid(text: str) -> None:
    parses_or_refuses(lambda: parse_public_key(text), GaranteError)


@FAST
@given(st.one_of(odd_text, mutated(base64.b64encode(sign_statement(KEY, STATEMENT)).decode())))
def test_a_signature_decodes_or_is_signature_invalid(text: str) -> None:
    parses_or_refuses(lambda: decode_signature(text), GaranteError)


@FAST
@given(
    signature=st.one_of(st.none(), st.binary(max_size=80)),
    statement=mutated_json(STATEMENT),
)
def test_any_signature_over_any_statement_verifies_or_is_refused(
    signature: bytes | None, statement: dict[str, Any]
) -> None:
    public_key = public_key_bytes(KEY.public_key())
    parses_or_refuses(
        lambda: check_signature(
            signer="nca", public_key=public_key, statement=statement, signature=signature
        ),
        GaranteError,
    )


# -- the ledger's signed notes and checkpoints -------------------------------------------------


@FAST
@given(st.one_of(odd_text, mutated(SIGNED)))
def test_a_signed_note_parses_or_is_a_ledger_error(text: str) -> None:
    parses_or_refuses(lambda: parse_note(text), LedgerError)
    parses_or_refuses(lambda: open_note(text, [LOG.verifier_key()]), LedgerError)
    parses_or_refuses(lambda: open_checkpoint(text, [LOG.verifier_key()]), LedgerError)


@FAST
@given(st.binary(max_size=300) | mutated(SIGNED).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_a_signed_note_as_bytes_parses_or_is_a_ledger_error(raw: bytes) -> None:
    parses_or_refuses(lambda: parse_note(raw), LedgerError)
    parses_or_refuses(lambda: open_checkpoint(raw, [LOG.verifier_key()]), LedgerError)


@FAST
@given(st.one_of(odd_text, mutated(CHECKPOINT.to_text())))
def test_checkpoint_text_parses_or_is_a_ledger_error(text: str) -> None:
    parses_or_refuses(lambda: Checkpoint.parse(text), LedgerError)


@FAST
@given(
    text=st.one_of(st.just(CHECKPOINT.to_text()), mutated(CHECKPOINT.to_text())),
    line=st.one_of(odd_text, mutated(COSIGNATURE)),
)
def test_a_cosignature_line_verifies_or_is_a_ledger_error(text: str, line: str) -> None:
    parses_or_refuses(lambda: verify_cosignature(text, line, COSIGNER), LedgerError)
    parses_or_refuses(lambda: NoteSignature.parse_line(line), LedgerError)


@FAST
@given(
    st.one_of(
        odd_text,
        mutated(LOG.verifier_key().to_text()),
        mutated(COSIGNER.to_text()),
        mutated(LOG.to_private_key_string()),
    )
)
def test_a_key_string_parses_or_is_a_ledger_error(text: str) -> None:
    parses_or_refuses(lambda: VerifierKey.parse(text), LedgerError)
    parses_or_refuses(lambda: Signer.from_private_key_string(text), LedgerError)


def test_the_valid_examples_parse() -> None:
    """The mutations start from inputs that parse, so what they break is the mutation's doing."""
    assert parse_bundle(BUNDLE)["type"] == "bundle"
    assert parse_public_key(PUBLIC_TEXTS[0]) == public_key_bytes(KEY.public_key())
    check_signature(
        signer="nca",
        public_key=public_key_bytes(KEY.public_key()),
        statement=STATEMENT,
        signature=sign_statement(KEY, STATEMENT),
    )
    assert open_checkpoint(SIGNED, [LOG.verifier_key()])[0] == CHECKPOINT
    assert verify_cosignature(CHECKPOINT.to_text(), COSIGNATURE, COSIGNER) == 1_700_000_000
    assert VerifierKey.parse(LOG.verifier_key().to_text()) == LOG.verifier_key()


@pytest.mark.parametrize("depth", [999, 2000, 100_000])
def test_a_bundle_nested_past_the_recursion_limit_is_an_invalid_bundle(depth: int) -> None:
    text = '{"type": "bundle", "objects": ' + "[" * depth + "]" * depth + "}"
    parses_or_refuses(lambda: parse_bundle(text), GaranteError)
    if depth <= 2000:
        value = json.loads('{"a": ' * 50 + "1" + "}" * 50)
        for _ in range(depth // 50):
            value = {"a": value}
        parses_or_refuses(lambda: parse_bundle({**BUNDLE, "objects": [value]}), GaranteError)
