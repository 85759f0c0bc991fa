"""The witness (c2sp.org/tlog-witness): cosign append-only growth, refuse forks and rollbacks."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from garante.ledger.checkpoint import (
    SIG_COSIGNATURE_V1,
    Checkpoint,
    Signer,
    open_note_signatures,
    sign_checkpoint,
    verify_cosignature,
)
from garante.ledger.errors import KeyFormatError, LedgerError, NoteError
from garante.ledger.merkle import EMPTY_ROOT, consistency_proof, root
from garante.ledger.witness import (
    WitnessBadCheckpoint,
    WitnessBadRequest,
    WitnessBadSignature,
    WitnessError,
    WitnessFork,
    WitnessOldSizeMismatch,
    WitnessRollback,
    WitnessState,
    WitnessStateError,
    WitnessWrongOrigin,
    witness_checkpoint,
)
from tests.support.memlog import MemoryLog

ORIGIN = "garante.example/audit"
LOG = Signer.generate(ORIGIN)
LOG_KEY = LOG.verifier_key()
WITNESS = Signer.generate("witness.example/w1")
WITNESS_KEY = WITNESS.verifier_key(SIG_COSIGNATURE_V1)
T0 = 1_760_000_000


def _log(n: int, tag: bytes = b"entry") -> MemoryLog:
    return MemoryLog(tag + b"-%d" % i for i in range(n))


HONEST = _log(20)
FORKED = _log(20, b"forged")  # same sizes, different entries: a split view


def _checkpoint(log: MemoryLog, size: int, origin: str = ORIGIN) -> Checkpoint:
    return Checkpoint(origin, size, root(size, log.get))


def _signed(log: MemoryLog, size: int, signer: Signer = LOG, origin: str = ORIGIN) -> str:
    return sign_checkpoint(_checkpoint(log, size, origin), signer)


def _state(log: MemoryLog, size: int) -> WitnessState:
    return WitnessState.of(_checkpoint(log, size))


def _witness(
    state: WitnessState | None,
    note: str,
    proof: list[bytes] | tuple[bytes, ...] = (),
    **kwargs: Any,
) -> tuple[WitnessState, str]:
    return witness_checkpoint(state, note, proof, LOG_KEY, WITNESS, T0, **kwargs)


def _grow(log: MemoryLog, old: int, new: int) -> list[bytes]:
    return consistency_proof(old, new, log.get)


# -- accepting -------------------------------------------------------------------------


def test_first_checkpoint_is_trusted_on_first_use() -> None:
    state, _line = _witness(None, _signed(HONEST, 5))
    assert state == _state(HONEST, 5)


def test_first_checkpoint_cosignature_verifies() -> None:
    _state5, line = _witness(None, _signed(HONEST, 5))
    assert verify_cosignature(_checkpoint(HONEST, 5).to_text(), line, WITNESS_KEY) == T0


def test_first_checkpoint_with_a_proof_is_refused() -> None:
    # tlog-witness: "The proof MUST be empty if the old size is zero."
    with pytest.raises(WitnessBadRequest, match="proof must be empty"):
        _witness(None, _signed(HONEST, 5), _grow(HONEST, 3, 5))


def test_consistent_growth_is_accepted() -> None:
    state, _line = _witness(_state(HONEST, 5), _signed(HONEST, 13), _grow(HONEST, 5, 13))
    assert state == _state(HONEST, 13)


def test_consistent_growth_cosignature_verifies() -> None:
    _new, line = _witness(_state(HONEST, 5), _signed(HONEST, 13), _grow(HONEST, 5, 13))
    assert verify_cosignature(_checkpoint(HONEST, 13).to_text(), line, WITNESS_KEY) == T0


def test_cosignature_appended_to_the_note_verifies_as_a_witness_signature() -> None:
    note = _signed(HONEST, 13)
    _new, line = _witness(_state(HONEST, 5), note, _grow(HONEST, 5, 13))
    _text, verified = open_note_signatures(note + line, [LOG_KEY, WITNESS_KEY])
    assert [(v.name, v.sig_type, v.timestamp) for v in verified] == [
        (ORIGIN, 0x01, None),
        (WITNESS.name, SIG_COSIGNATURE_V1, T0),
    ]


def test_same_checkpoint_again_is_accepted_and_cosigned_again() -> None:
    state = _state(HONEST, 8)
    again, line = witness_checkpoint(state, _signed(HONEST, 8), [], LOG_KEY, WITNESS, T0 + 60)
    assert again == state
    assert verify_cosignature(_checkpoint(HONEST, 8).to_text(), line, WITNESS_KEY) == T0 + 60


def test_growth_from_the_empty_tree_needs_no_proof() -> None:
    empty = WitnessState(ORIGIN, 0, EMPTY_ROOT)
    state, _line = _witness(empty, _signed(HONEST, 4), [], old_size=0)
    assert state == _state(HONEST, 4)


def test_old_size_equal_to_stored_size_is_accepted() -> None:
    state, _line = _witness(_state(HONEST, 5), _signed(HONEST, 9), _grow(HONEST, 5, 9), old_size=5)
    assert state.size == 9


def test_checkpoint_with_extension_lines_is_cosigned_over_its_whole_text() -> None:
    checkpoint = Checkpoint(ORIGIN, 6, root(6, HONEST.get), ("garante-epoch 3",))
    note = sign_checkpoint(checkpoint, LOG)
    _new, line = _witness(_state(HONEST, 6), note)
    assert verify_cosignature(checkpoint.to_text(), line, WITNESS_KEY) == T0


def test_unknown_signatures_on_the_checkpoint_are_ignored() -> None:
    note = sign_checkpoint(_checkpoint(HONEST, 5), Signer.generate("other.example/x"), LOG)
    state, _line = _witness(None, note)
    assert state.size == 5


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=20), min_size=1, max_size=6))
def test_any_append_only_sequence_of_checkpoints_is_accepted(sizes: list[int]) -> None:
    state: WitnessState | None = None
    for size in sorted(sizes):
        proof = [] if state is None else _grow(HONEST, state.size, size)
        state, _line = _witness(state, _signed(HONEST, size), proof)
    assert state == _state(HONEST, max(sizes))


# -- refusing --------------------------------------------------------------------------


def test_same_size_different_root_is_refused_as_a_conclusive_fork() -> None:
    with pytest.raises(WitnessFork) as info:
        _witness(_state(HONEST, 8), _signed(FORKED, 8))
    assert info.value.conclusive


def test_fork_names_both_sizes_and_both_roots() -> None:
    with pytest.raises(WitnessFork) as info:
        _witness(_state(HONEST, 8), _signed(FORKED, 8))
    message = str(info.value)
    for log in (HONEST, FORKED):
        assert base64.b64encode(root(8, log.get)).decode() in message
    assert "size 8" in message
    assert "keep both signed checkpoints" in message


def test_growth_with_a_tampered_consistency_proof_is_refused_as_a_fork() -> None:
    proof = _grow(HONEST, 5, 13)
    proof[0] = bytes(32)
    with pytest.raises(WitnessFork, match="may have forked") as info:
        _witness(_state(HONEST, 5), _signed(HONEST, 13), proof)
    assert not info.value.conclusive


def test_growth_of_a_forked_log_is_refused_as_a_fork() -> None:
    # The forked log's proof is valid in its own tree, but not from the cosigned root.
    with pytest.raises(WitnessFork) as info:
        _witness(_state(HONEST, 5), _signed(FORKED, 13), _grow(FORKED, 5, 13))
    message = str(info.value)
    assert "size 5" in message and "size 13" in message
    assert base64.b64encode(root(5, HONEST.get)).decode() in message
    assert base64.b64encode(root(13, FORKED.get)).decode() in message


def test_growth_with_an_empty_proof_is_refused_as_a_fork() -> None:
    with pytest.raises(WitnessFork):
        _witness(_state(HONEST, 5), _signed(HONEST, 13), [])


def test_smaller_size_is_refused_as_a_rollback() -> None:
    with pytest.raises(WitnessRollback) as info:
        _witness(_state(HONEST, 13), _signed(HONEST, 5))
    message = str(info.value)
    assert "size 5" in message and "size 13" in message
    assert base64.b64encode(root(5, HONEST.get)).decode() in message
    assert base64.b64encode(root(13, HONEST.get)).decode() in message


def test_checkpoint_signed_by_another_key_is_refused() -> None:
    impostor = Signer.generate(ORIGIN)  # same name, different key: another key ID
    with pytest.raises(WitnessBadSignature, match="no valid signature"):
        _witness(None, _signed(HONEST, 5, signer=impostor))


def test_checkpoint_with_a_bad_signature_from_the_log_key_is_refused() -> None:
    note = _signed(HONEST, 5)
    forged = note.replace(_checkpoint(HONEST, 5).to_text(), _checkpoint(FORKED, 5).to_text())
    with pytest.raises(WitnessBadSignature):
        _witness(None, forged)


def test_checkpoint_for_another_origin_than_the_state_is_refused() -> None:
    other = Signer.generate("other.example/log")
    note = _signed(HONEST, 9, signer=other, origin="other.example/log")
    with pytest.raises(WitnessWrongOrigin, match=r"other\.example/log"):
        witness_checkpoint(
            _state(HONEST, 5), note, _grow(HONEST, 5, 9), other.verifier_key(), WITNESS, T0
        )


def test_checkpoint_for_another_origin_than_configured_is_refused() -> None:
    note = _signed(HONEST, 5, origin="garante.example/other")
    with pytest.raises(WitnessWrongOrigin):
        _witness(None, note, origin=ORIGIN)


def test_old_size_other_than_the_stored_size_is_refused_with_the_stored_size() -> None:
    with pytest.raises(WitnessOldSizeMismatch) as info:
        _witness(_state(HONEST, 5), _signed(HONEST, 13), _grow(HONEST, 7, 13), old_size=7)
    assert info.value.stored_size == 5


def test_old_size_without_state_must_be_zero() -> None:
    with pytest.raises(WitnessOldSizeMismatch) as info:
        _witness(None, _signed(HONEST, 13), _grow(HONEST, 7, 13), old_size=7)
    assert info.value.stored_size == 0


def test_old_size_above_the_checkpoint_size_is_refused() -> None:
    with pytest.raises(WitnessBadRequest, match="above the checkpoint size"):
        _witness(_state(HONEST, 5), _signed(HONEST, 9), old_size=10)


def test_proof_with_a_short_hash_is_refused() -> None:
    with pytest.raises(WitnessBadRequest, match=r"proof\[0\] must be 32 bytes"):
        _witness(_state(HONEST, 5), _signed(HONEST, 9), [b"short"])


def test_proof_longer_than_63_hashes_is_refused() -> None:
    with pytest.raises(WitnessBadRequest, match="at most 63"):
        _witness(_state(HONEST, 5), _signed(HONEST, 9), [bytes(32)] * 64)


def test_same_size_with_a_proof_is_refused() -> None:
    with pytest.raises(WitnessBadRequest, match="equal sizes is empty"):
        _witness(_state(HONEST, 8), _signed(HONEST, 8), [bytes(32)])


def test_malformed_note_is_refused() -> None:
    with pytest.raises(WitnessBadCheckpoint):
        _witness(None, "not a note\n")


def test_signed_note_that_is_not_a_checkpoint_is_refused() -> None:
    from garante.ledger.note import sign_note

    with pytest.raises(WitnessBadCheckpoint, match="not a checkpoint"):
        _witness(None, sign_note("hello\n", LOG))


def test_cosigner_key_as_log_key_is_refused() -> None:
    with pytest.raises(KeyFormatError, match="type 0x01"):
        witness_checkpoint(
            None, _signed(HONEST, 5), [], LOG.verifier_key(SIG_COSIGNATURE_V1), WITNESS, T0
        )


def test_timestamp_out_of_range_is_refused() -> None:
    with pytest.raises(NoteError, match="timestamp"):
        witness_checkpoint(None, _signed(HONEST, 5), [], LOG_KEY, WITNESS, 2**63)


REFUSALS: dict[str, Callable[[WitnessState], object]] = {
    "fork-same-size": lambda s: _witness(s, _signed(FORKED, 8)),
    "fork-bad-proof": lambda s: _witness(s, _signed(HONEST, 13), [bytes(32)] * 3),
    "fork-forked-log": lambda s: _witness(s, _signed(FORKED, 13), _grow(FORKED, 8, 13)),
    "rollback": lambda s: _witness(s, _signed(HONEST, 5)),
    "bad-signature": lambda s: _witness(s, _signed(HONEST, 13, signer=Signer.generate(ORIGIN))),
    "wrong-origin": lambda s: _witness(s, _signed(HONEST, 13, origin="x.example/y")),
    "old-size": lambda s: _witness(s, _signed(HONEST, 13), _grow(HONEST, 5, 13), old_size=5),
    "bad-request": lambda s: _witness(s, _signed(HONEST, 13), [b"x"]),
}


@pytest.mark.parametrize("refusal", list(REFUSALS))
def test_state_is_unchanged_after_every_refusal(refusal: str) -> None:
    state = _state(HONEST, 8)
    before = state.to_dict()
    with pytest.raises(WitnessError):
        REFUSALS[refusal](state)
    assert state.to_dict() == before
    # The same state still accepts the honest log's next checkpoint.
    after, _line = _witness(state, _signed(HONEST, 13), _grow(HONEST, 8, 13))
    assert after == _state(HONEST, 13)


# -- errors and state ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (WitnessError, "witness.error"),
        (WitnessBadCheckpoint, "witness.bad_checkpoint"),
        (WitnessBadSignature, "witness.bad_signature"),
        (WitnessWrongOrigin, "witness.wrong_origin"),
        (WitnessBadRequest, "witness.bad_request"),
        (WitnessOldSizeMismatch, "witness.old_size_mismatch"),
        (WitnessFork, "witness.fork"),
        (WitnessRollback, "witness.rollback"),
        (WitnessStateError, "witness.bad_state"),
    ],
)
def test_errors_are_ledger_errors_with_stable_codes(error: type[WitnessError], code: str) -> None:
    assert issubclass(error, LedgerError)
    assert error.code == code


def test_state_round_trips_through_a_json_dict() -> None:
    state = _state(HONEST, 8)
    assert state.to_dict() == {
        "origin": ORIGIN,
        "size": 8,
        "root_hash": base64.b64encode(root(8, HONEST.get)).decode(),
    }
    assert WitnessState.from_dict(state.to_dict()) == state


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"origin": ORIGIN, "size": 1},
        {"origin": 1, "size": 1, "root_hash": base64.b64encode(bytes(32)).decode()},
        {"origin": ORIGIN, "size": True, "root_hash": base64.b64encode(bytes(32)).decode()},
        {"origin": ORIGIN, "size": -1, "root_hash": base64.b64encode(bytes(32)).decode()},
        {"origin": ORIGIN, "size": 1, "root_hash": "not base64!"},
        {"origin": ORIGIN, "size": 1, "root_hash": base64.b64encode(bytes(31)).decode()},
        {"origin": "", "size": 1, "root_hash": base64.b64encode(bytes(32)).decode()},
    ],
)
def test_malformed_state_dict_is_refused(data: Any) -> None:
    with pytest.raises(WitnessStateError):
        WitnessState.from_dict(data)
