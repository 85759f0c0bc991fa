"""Signed notes (c2sp.org/signed-note): Go reference vectors, round trips, malformations.

The PeterNeumann and EnochRoot keys, text and signature lines are transcribed from
golang.org/x/mod sumdb/note/note_test.go (TestNewVerifier, TestSign, TestOpen); the
"TEST" and "remora.n621.de" verifier keys from transparency-dev/formats
note/note_cosigv1_test.go (TestCoSigV1NewVerifier).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from garante.ledger.errors import KeyFormatError, NoteError, SignatureError
from garante.ledger.note import (
    SIG_COSIGNATURE_V1,
    SIG_ED25519,
    Signer,
    VerifierKey,
    open_note,
    open_note_signatures,
    parse_note,
    sign_note,
)

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
)
PETER_NOTE = TEXT + "\n" + PETER_SIG

# --- Go reference vectors -----------------------------------------------------------------


def test_go_verifier_key_parses_and_formats_identically() -> None:
    key = VerifierKey.parse(PETER_VKEY)
    assert (key.name, key.key_id.hex(), key.sig_type) == ("PeterNeumann", "c74f20a3", SIG_ED25519)
    assert key.to_text() == PETER_VKEY


def test_go_private_key_derives_the_go_verifier_key() -> None:
    signer = Signer.from_private_key_string(PETER_SKEY)
    assert signer.verifier_key().to_text() == PETER_VKEY
    assert signer.to_private_key_string() == PETER_SKEY


def test_sign_note_reproduces_go_note_byte_for_byte() -> None:
    # Ed25519 is deterministic (RFC 8032 s5.1.6), so the same key and text give Go's bytes.
    assert sign_note(TEXT, Signer.from_private_key_string(PETER_SKEY)) == PETER_NOTE


def test_open_go_note_returns_text_and_signer() -> None:
    assert open_note(PETER_NOTE, [VerifierKey.parse(PETER_VKEY)]) == (TEXT, ("PeterNeumann",))


def test_open_note_ignores_signatures_from_unknown_keys() -> None:
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(note, [VerifierKey.parse(PETER_VKEY)])[1] == ("PeterNeumann",)


def test_open_note_reports_every_known_signer() -> None:
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    keys = [VerifierKey.parse(PETER_VKEY), VerifierKey.parse(ENOCH_VKEY)]
    assert open_note(note, keys)[1] == ("PeterNeumann", "EnochRoot")


def test_repeated_signature_is_reported_once() -> None:
    note = TEXT + "\n" + PETER_SIG + PETER_SIG
    _, verified = open_note_signatures(note, [VerifierKey.parse(PETER_VKEY)])
    assert len(verified) == 1


def test_note_with_no_known_signer_is_rejected() -> None:
    with pytest.raises(SignatureError, match="no signature from a known key") as info:
        open_note(TEXT + "\n" + ENOCH_SIG, [VerifierKey.parse(PETER_VKEY)])
    assert info.value.code == "ledger.bad_signature"


def test_bad_signature_from_known_key_rejects_the_note() -> None:
    tampered = TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(SignatureError, match="invalid signature for key PeterNeumann\\+c74f20a3"):
        open_note(tampered, [VerifierKey.parse(PETER_VKEY)])


def test_changed_text_fails_verification() -> None:
    with pytest.raises(SignatureError, match="invalid signature"):
        open_note(
            PETER_NOTE.replace("cryptography", "cryptographY"), [VerifierKey.parse(PETER_VKEY)]
        )


def test_same_name_with_other_key_id_is_ignored_not_failed() -> None:
    # Signed-note: unknown keys are ignored even if they share a name with a known key.
    other = Signer.generate("PeterNeumann")
    other_line = sign_note(TEXT, other).removeprefix(TEXT + "\n")
    note = TEXT + "\n" + other_line + PETER_SIG
    assert open_note(note, [VerifierKey.parse(PETER_VKEY)])[1] == ("PeterNeumann",)


def test_cosigner_vkey_from_go_tests_has_matching_key_id() -> None:
    key = VerifierKey.parse("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")
    assert key.sig_type == SIG_COSIGNATURE_V1


def test_note_vkey_with_plus_in_base64_parses() -> None:
    key = VerifierKey.parse("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")
    assert key.to_text() == "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"


# --- round trips --------------------------------------------------------------------------

note_texts = st.lists(
    st.text(
        st.characters(min_codepoint=0x20, codec="utf-8", exclude_characters="\x7f"),
        max_size=30,
    ),
    min_size=1,
    max_size=5,
).map(lambda lines: "\n".join(lines) + "\n")

SIGNER = Signer.generate("example.com/log")
OTHER = Signer.generate("example.com/log")


@settings(max_examples=50)
@given(text=note_texts)
def test_sign_then_open_returns_the_text(text: str) -> None:
    assert open_note(sign_note(text, SIGNER), [SIGNER.verifier_key()]) == (text, (SIGNER.name,))


@settings(max_examples=50)
@given(text=note_texts)
def test_signature_by_another_key_with_the_same_name_is_not_trusted(text: str) -> None:
    with pytest.raises(SignatureError, match="no signature from a known key"):
        open_note(sign_note(text, OTHER), [SIGNER.verifier_key()])


@settings(max_examples=50)
@given(
    text=note_texts,
    extra=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1),
)
def test_changed_body_fails(text: str, extra: str) -> None:
    note = sign_note(text, SIGNER)
    with pytest.raises(SignatureError, match="invalid signature"):
        open_note(extra + note, [SIGNER.verifier_key()])


def test_generated_vkey_round_trips() -> None:
    text = SIGNER.verifier_key().to_text()
    assert VerifierKey.parse(text).to_text() == text


def test_cosignature_vkey_differs_from_note_vkey() -> None:
    assert SIGNER.verifier_key(SIG_COSIGNATURE_V1).key_id == SIGNER.cosignature_key_id
    assert SIGNER.cosignature_key_id != SIGNER.key_id


def test_note_signature_does_not_verify_as_cosignature() -> None:
    cosig_key = SIGNER.verifier_key(SIG_COSIGNATURE_V1)
    with pytest.raises(SignatureError, match="no signature from a known key"):
        open_note(sign_note("a\n", SIGNER), [cosig_key])


def test_sign_note_keeps_blank_lines_inside_the_text() -> None:
    text = "first\n\nthird\n"
    assert open_note(sign_note(text, SIGNER), [SIGNER.verifier_key()])[0] == text


# --- malformed notes (one per case; Go TestOpen badMsgs and more) ---------------------------


def _malformed(note: str | bytes, match: str) -> None:
    with pytest.raises(NoteError, match=match) as info:
        parse_note(note)
    assert info.value.code == "ledger.bad_note"


def test_note_without_blank_line_is_rejected() -> None:
    _malformed(TEXT, "no blank line")


def test_note_with_blank_line_but_no_signatures_is_rejected() -> None:
    _malformed(TEXT + "\n", "no signature lines")


def test_signature_line_without_final_newline_is_rejected() -> None:
    _malformed(PETER_NOTE[:-1], "does not end with a newline")


def test_control_character_in_note_is_rejected() -> None:
    _malformed("\x01" + PETER_NOTE, r"control character '\\x01'")


def test_invalid_utf8_note_is_rejected() -> None:
    _malformed(b"\xff" + PETER_NOTE.encode(), "not valid UTF-8")


def test_space_in_signer_name_is_rejected() -> None:
    _malformed(
        TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name"), "not '— <name> <base64>'"
    )


def test_plus_in_signer_name_is_rejected() -> None:
    _malformed(TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter+Neumann"), "bad key name")


def test_line_after_signatures_is_rejected() -> None:
    _malformed(PETER_NOTE + "Unexpected line.\n", "does not start with an em dash")


def test_hyphen_instead_of_em_dash_is_rejected() -> None:
    _malformed(TEXT + "\n" + PETER_SIG.replace("—", "-"), "does not start with an em dash")


def test_bad_base64_signature_is_rejected() -> None:
    _malformed(TEXT + "\n— PeterNeumann ***\n", "not valid standard base64")


def test_signature_shorter_than_key_id_is_rejected() -> None:
    _malformed(TEXT + "\n— PeterNeumann AAAA\n", "shorter than a key ID")


def test_more_than_100_signatures_is_rejected() -> None:
    _malformed(TEXT + "\n" + PETER_SIG * 101, "at most 100")


def test_sign_note_rejects_text_without_final_newline() -> None:
    with pytest.raises(NoteError, match="must end with a newline"):
        sign_note("abc", SIGNER)


# --- malformed keys -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vkey", "match"),
    [
        ("PeterNeumann+c74f20a3", "is not <name>"),
        ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "not 8 hexadecimal"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "not valid standard"),
        ("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==", "32 bytes"),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "unsupported"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key name is empty"),
    ],
    ids=["two-parts", "short-id", "wrong-id", "bad-base64", "long-key", "unknown-type", "no-name"],
)
def test_malformed_verifier_key_is_rejected(vkey: str, match: str) -> None:
    with pytest.raises(KeyFormatError, match=match):
        VerifierKey.parse(vkey)


def test_private_key_with_wrong_id_is_rejected() -> None:
    with pytest.raises(KeyFormatError, match="does not match"):
        Signer.from_private_key_string(PETER_SKEY.replace("c74f20a3", "c74f20a4"))


def test_signer_name_with_space_is_rejected() -> None:
    with pytest.raises(KeyFormatError, match="contains ' '"):
        Signer.generate("bad name")


def test_lone_surrogate_in_text_is_rejected() -> None:
    with pytest.raises(NoteError, match="lone surrogate"):
        sign_note("\ud800\n", SIGNER)
