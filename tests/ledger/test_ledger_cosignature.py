"""Witness cosignatures (c2sp.org/tlog-cosignature, Ed25519 type 0x04) and signed checkpoints."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from garante.ledger.checkpoint import (
    SIG_COSIGNATURE_V1,
    Checkpoint,
    NoteSignature,
    Signer,
    cosign,
    cosignature_message,
    open_checkpoint,
    open_note_signatures,
    sign_checkpoint,
    verify_cosignature,
)
from garante.ledger.errors import CheckpointError, NoteError, SignatureError

LOG = Signer.generate("example.com/log")
WITNESS = Signer.generate("witness.example/w1")
CHECKPOINT = Checkpoint("example.com/log", 42, bytes(range(32)))
BODY = CHECKPOINT.to_text()


def test_signed_message_is_header_time_and_body() -> None:
    # The example message in tlog-cosignature, "Ed25519 signed message".
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    assert cosignature_message(body, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\n"
        b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_spec_example_cosignature_carries_its_timestamp() -> None:
    # The witness line in the tlog-cosignature example: key ID, then 8-byte timestamp.
    line = (
        "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dl"
        "rDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA=="
    )
    sig = NoteSignature.parse_line(line)
    assert len(sig.signature) == 8 + 64
    assert int.from_bytes(sig.signature[:8], "big") == 1679315147


def test_go_cosignature_timestamp_vector() -> None:
    # transparency-dev/formats note/note_cosigv1_test.go TestCoSigV1Timestamp "works".
    raw = base64.b64decode(
        "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA=="
    )
    assert int.from_bytes(raw[4:12], "big") == 1727964367


def test_cosignature_encodes_key_id_timestamp_and_signature() -> None:
    sig = NoteSignature.parse_line(cosign(BODY, WITNESS, 1700000000).rstrip("\n"))
    assert sig.name == WITNESS.name
    assert sig.key_id == WITNESS.cosignature_key_id
    assert sig.signature[:8] == (1700000000).to_bytes(8, "big")


def test_cosignature_verifies_and_returns_timestamp() -> None:
    line = cosign(BODY, WITNESS, 1700000000)
    assert verify_cosignature(BODY, line, WITNESS.verifier_key(SIG_COSIGNATURE_V1)) == 1700000000


def test_cosigned_checkpoint_opens_with_log_and_witness_keys() -> None:
    note = sign_checkpoint(CHECKPOINT, LOG) + cosign(BODY, WITNESS, 1700000000)
    keys = [LOG.verifier_key(), WITNESS.verifier_key(SIG_COSIGNATURE_V1)]
    cp, names = open_checkpoint(note, keys)
    assert cp == CHECKPOINT
    assert names == (LOG.name, WITNESS.name)


def test_witness_timestamp_is_reported_when_opening() -> None:
    note = sign_checkpoint(CHECKPOINT, LOG) + cosign(BODY, WITNESS, 1700000000)
    _, verified = open_note_signatures(note, [WITNESS.verifier_key(SIG_COSIGNATURE_V1)])
    assert [(v.name, v.sig_type, v.timestamp) for v in verified] == [
        (WITNESS.name, SIG_COSIGNATURE_V1, 1700000000)
    ]


def test_cosignature_with_changed_timestamp_fails() -> None:
    sig = NoteSignature.parse_line(cosign(BODY, WITNESS, 1700000000).rstrip("\n"))
    forged = NoteSignature(
        sig.name, sig.key_id, (1700000001).to_bytes(8, "big") + sig.signature[8:]
    )
    with pytest.raises(SignatureError, match="invalid signature"):
        verify_cosignature(BODY, forged.to_line(), WITNESS.verifier_key(SIG_COSIGNATURE_V1))


def test_cosignature_over_another_checkpoint_fails() -> None:
    line = cosign(BODY, WITNESS, 1700000000)
    other = Checkpoint("example.com/log", 43, bytes(range(32))).to_text()
    with pytest.raises(SignatureError, match="invalid signature"):
        verify_cosignature(other, line, WITNESS.verifier_key(SIG_COSIGNATURE_V1))


def test_cosignature_covers_extension_lines() -> None:
    with_ext = Checkpoint("example.com/log", 42, bytes(range(32)), ("ext",)).to_text()
    line = cosign(with_ext, WITNESS, 1)
    with pytest.raises(SignatureError, match="invalid signature"):
        verify_cosignature(
            with_ext.replace("ext", "exu"), line, WITNESS.verifier_key(SIG_COSIGNATURE_V1)
        )


def test_cosignature_from_other_witness_is_refused() -> None:
    line = cosign(BODY, Signer.generate("witness.example/w2"), 1)
    with pytest.raises(SignatureError, match=r"not witness\.example/w1"):
        verify_cosignature(BODY, line, WITNESS.verifier_key(SIG_COSIGNATURE_V1))


def test_note_verifier_key_cannot_check_cosignatures() -> None:
    with pytest.raises(SignatureError, match="not a cosigner"):
        verify_cosignature(BODY, cosign(BODY, WITNESS, 1), WITNESS.verifier_key())


def test_cosign_refuses_text_that_is_not_a_checkpoint() -> None:
    with pytest.raises(CheckpointError):
        cosign("just a note\n", WITNESS, 1)


def test_cosign_refuses_timestamp_beyond_2_63() -> None:
    with pytest.raises(NoteError, match=r"outside \[0, 2\^63 - 1\]"):
        cosign(BODY, WITNESS, 2**63)


def test_cosignature_of_wrong_length_is_refused() -> None:
    sig = NoteSignature(WITNESS.name, WITNESS.cosignature_key_id, bytes(70))
    with pytest.raises(SignatureError, match="must be 72 bytes"):
        verify_cosignature(BODY, sig.to_line(), WITNESS.verifier_key(SIG_COSIGNATURE_V1))


@settings(max_examples=30)
@given(
    size=st.integers(0, 2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    t=st.integers(0, 2**63 - 1),
)
def test_cosign_then_verify_round_trips(size: int, root: bytes, t: int) -> None:
    body = Checkpoint("example.com/log", size, root).to_text()
    assert (
        verify_cosignature(body, cosign(body, WITNESS, t), WITNESS.verifier_key(SIG_COSIGNATURE_V1))
        == t
    )


def test_open_checkpoint_rejects_signed_non_checkpoint() -> None:
    from garante.ledger.note import sign_note

    with pytest.raises(CheckpointError, match="line 2"):
        open_checkpoint(sign_note("only-origin\n", LOG), [LOG.verifier_key()])
