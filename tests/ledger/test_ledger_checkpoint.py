"""Checkpoint text format (c2sp.org/tlog-checkpoint): round trip and one test per malformation."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from garante.ledger.checkpoint import Checkpoint
from garante.ledger.errors import CheckpointError

# The example checkpoint body from c2sp.org/tlog-checkpoint.
SPEC_EXAMPLE = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)
ROOT = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
ROOT_B64 = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="

_line_chars = st.characters(min_codepoint=0x20, codec="utf-8", exclude_characters="\x7f")
origins = st.text(_line_chars, min_size=1, max_size=40)
checkpoints = st.builds(
    Checkpoint,
    origin=origins,
    size=st.integers(0, 2**64 - 1),
    root_hash=st.binary(min_size=32, max_size=32),
    extensions=st.lists(st.text(_line_chars, min_size=1, max_size=20), max_size=3).map(tuple),
)


def test_spec_example_parses() -> None:
    cp = Checkpoint.parse(SPEC_EXAMPLE)
    assert cp == Checkpoint("example.com/behind-the-sofa", 20852163, ROOT)


def test_spec_example_round_trips_byte_for_byte() -> None:
    assert Checkpoint.parse(SPEC_EXAMPLE).to_text() == SPEC_EXAMPLE


def test_extension_lines_follow_the_root() -> None:
    cp = Checkpoint("log.example/a", 3, ROOT, ("ext one", "ext two"))
    assert cp.to_text().splitlines()[3:] == ["ext one", "ext two"]


def test_empty_tree_size_is_zero() -> None:
    assert Checkpoint.parse(f"o\n0\n{ROOT_B64}\n").size == 0


@given(checkpoints)
def test_parse_inverts_to_text(cp: Checkpoint) -> None:
    assert Checkpoint.parse(cp.to_text()) == cp


# --- one test per malformation ------------------------------------------------------------


def _fails(text: str, match: str) -> None:
    with pytest.raises(CheckpointError, match=match) as info:
        Checkpoint.parse(text)
    assert info.value.code == "ledger.bad_checkpoint"


def test_missing_final_newline_is_rejected() -> None:
    _fails(SPEC_EXAMPLE[:-1], "must end with a newline")


def test_missing_size_line_is_rejected() -> None:
    _fails("example.com/log\n", r"line 2 \(tree size\) is missing")


def test_missing_root_line_is_rejected() -> None:
    _fails("example.com/log\n5\n", r"line 3 \(root hash\) is missing")


def test_empty_origin_is_rejected() -> None:
    _fails(f"\n5\n{ROOT_B64}\n", r"line 1 \(origin\) is empty")


def test_non_decimal_size_is_rejected() -> None:
    _fails(f"o\n0x10\n{ROOT_B64}\n", r"line 2 \(tree size\) '0x10' is not a decimal")


def test_size_with_leading_zero_is_rejected() -> None:
    _fails(f"o\n007\n{ROOT_B64}\n", r"line 2 \(tree size\) '007'")


def test_negative_size_is_rejected() -> None:
    _fails(f"o\n-1\n{ROOT_B64}\n", r"line 2 \(tree size\) '-1'")


def test_non_ascii_digits_in_size_are_rejected() -> None:
    _fails(f"o\n\u0661\u0662\n{ROOT_B64}\n", r"line 2 \(tree size\)")


def test_size_beyond_uint64_is_rejected() -> None:
    _fails(f"o\n{2**64}\n{ROOT_B64}\n", r"not an integer in \[0, 2\^64 - 1\]")


def test_a_size_too_long_to_parse_is_rejected_as_a_checkpoint_error() -> None:
    _fails(f"o\n{'9' * 5000}\n{ROOT_B64}\n", r"not an integer in \[0, 2\^64 - 1\]")


def test_bad_base64_root_is_rejected() -> None:
    _fails("o\n5\nnot*base64!\n", r"line 3 \(root hash\) 'not\*base64!' is not standard base64")


def test_url_safe_base64_root_is_rejected() -> None:
    _fails(f"o\n5\n{ROOT_B64.replace('/', '_')}\n", "is not standard base64")


def test_wrong_root_length_is_rejected() -> None:
    short = base64.b64encode(bytes(31)).decode()
    _fails(f"o\n5\n{short}\n", r"decodes to 31 bytes, not 32")


def test_non_canonical_base64_root_is_rejected() -> None:
    # Same 32 bytes, but the unused low bits before '=' are set: decoders accept it,
    # yet two texts for one checkpoint would break byte-for-byte comparison.
    mangled = ROOT_B64[:-2] + "J="
    assert base64.b64decode(mangled) == ROOT
    _fails(f"o\n5\n{mangled}\n", "not canonical base64")


def test_empty_extension_line_is_rejected() -> None:
    _fails(f"o\n5\n{ROOT_B64}\n\n", r"line 4 \(extension\) is empty")


def test_control_character_in_origin_is_rejected() -> None:
    _fails(f"o\tx\n5\n{ROOT_B64}\n", r"line 1 \(origin\) contains control character")


def test_constructor_rejects_wrong_root_length() -> None:
    with pytest.raises(CheckpointError, match="root hash must be 32 bytes"):
        Checkpoint("o", 1, b"short")


def test_constructor_rejects_newline_in_extension() -> None:
    with pytest.raises(CheckpointError, match=r"line 4 \(extension\) contains control"):
        Checkpoint("o", 1, ROOT, ("a\nb",))


def test_lone_surrogate_in_origin_is_rejected() -> None:
    _fails(f"o\ud800\n5\n{ROOT_B64}\n", r"line 1 \(origin\) contains a lone surrogate")
