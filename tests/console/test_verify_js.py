"""The browser's verifier (static/verify.js) agrees with the server's ledger code.

Node runs the same ES module the audit page loads, on proofs and signed checkpoints made by
``garante.ledger``: every valid one verifies, every tampered one fails. It runs twice, with
WebCrypto and without it (the vendored noble fallback). Node is on the project's machines; a
machine without it skips, except under CI, where a skip would hide a broken verifier.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from garante.console.render import STATIC
from garante.ledger.checkpoint import Checkpoint, sign_checkpoint
from garante.ledger.merkle import consistency_proof, inclusion_proof, leaf_hash, root
from garante.ledger.note import Signer
from tests.support.memlog import MemoryLog
from tests.support.unavailable import unavailable

NODE = shutil.which("node")
HARNESS = Path(__file__).with_name("verify_harness.mjs")
SIZES = [1, 2, 3, 4, 5, 7, 8, 13, 16, 17]

if NODE is None:
    unavailable("node is not installed (apt-get install nodejs)", module_level=True)


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _flip(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + value[1:]


def _entries(n: int) -> list[bytes]:
    return [json.dumps({"v": 1, "n": i}).encode() for i in range(n)]


def _cases() -> list[tuple[dict[str, Any], bool]]:
    log = MemoryLog(_entries(max(SIZES)))
    cases: list[tuple[dict[str, Any], bool]] = []
    for size in SIZES:
        head = root(size, log.get)
        for index in range(size):
            leaf = leaf_hash(_entries(size)[index])
            proof = inclusion_proof(index, size, log.get)
            good: dict[str, Any] = {
                "op": "inclusion",
                "leaf": _b64(leaf),
                "index": index,
                "size": size,
            }
            good |= {"proof": [_b64(p) for p in proof], "root": _b64(head)}
            cases.append((good, True))
            cases.append(({**good, "root": _b64(_flip(head))}, False))
            cases.append(({**good, "leaf": _b64(_flip(leaf))}, False))
            if proof:
                cases.append(({**good, "proof": good["proof"][:-1]}, False))
                cases.append(
                    ({**good, "proof": [_b64(_flip(proof[0])), *good["proof"][1:]]}, False)
                )
            cases.append(({**good, "proof": [*good["proof"], _b64(head)]}, False))
            cases.append(({**good, "index": size}, False))
        for old in SIZES:
            if old > size:
                continue
            proof = consistency_proof(old, size, log.get) if old < size else []
            pair: dict[str, Any] = {"op": "consistency", "old": old, "new": size}
            pair |= {"old_root": _b64(root(old, log.get)), "new_root": _b64(head)}
            pair |= {"proof": [_b64(p) for p in proof]}
            cases.append((pair, True))
            cases.append(({**pair, "new_root": _b64(_flip(head))}, False))
            if old < size:
                cases.append(({**pair, "old_root": _b64(_flip(root(old, log.get)))}, False))
                cases.append(({**pair, "proof": pair["proof"][:-1]}, False))
                cases.append(({**pair, "old": size, "new": old}, False))
    return cases


def _checkpoint_cases() -> list[tuple[dict[str, Any], bool]]:
    log = MemoryLog(_entries(5))
    signer = Signer.generate("garante.test/log")
    other = Signer.generate("garante.test/log")
    key = signer.verifier_key().to_text()
    checkpoint = Checkpoint("garante.test/log", 5, root(5, log.get))
    note = sign_checkpoint(checkpoint, signer)
    good: dict[str, Any] = {"op": "checkpoint", "note": note, "key": key, "size": 5}
    good |= {"root": _b64(checkpoint.root_hash)}
    text, _, sigs = note.partition("\n\n")
    tampered = note.replace("\n5\n", "\n6\n")
    entry: dict[str, Any] = {
        "op": "entry",
        "note": note,
        "key": key,
        "index": 2,
        "entry": _entries(5)[2].decode(),
    }
    entry |= {"leaf": _b64(leaf_hash(_entries(5)[2]))}
    entry |= {"proof": [_b64(p) for p in inclusion_proof(2, 5, log.get)]}
    return [
        (good, True),
        ({**good, "fallback": True}, True),
        ({**good, "note": tampered}, False),
        ({**good, "note": tampered, "fallback": True}, False),
        ({**good, "key": other.verifier_key().to_text()}, False),
        ({**good, "note": sign_checkpoint(checkpoint, other)}, False),
        ({**good, "key": key.replace("+", "+0", 1)}, False),
        ({**good, "note": text + "\n"}, False),
        ({**good, "note": note + sigs}, True),  # a repeated signature line still verifies
        (entry, True),
        ({**entry, "entry": entry["entry"].replace("2", "3")}, False),
        ({**entry, "index": 3}, False),
    ]


def _run(cases: list[tuple[dict[str, Any], bool]], *flags: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [str(NODE), str(HARNESS), str(STATIC.joinpath("verify.js")), *flags],
        input=json.dumps([case for case, _ in cases]),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out: list[dict[str, Any]] = json.loads(result.stdout)
    return out


def _check(cases: list[tuple[dict[str, Any], bool]], results: list[dict[str, Any]]) -> None:
    wrong = [
        (case, outcome)
        for (case, expected), outcome in zip(cases, results, strict=True)
        if outcome["ok"] is not expected
    ]
    assert not wrong, wrong[:3]


@pytest.mark.parametrize("flags", [(), ("--no-webcrypto",)], ids=["webcrypto", "noble"])
def test_proofs_verify_exactly_when_they_are_valid(flags: tuple[str, ...]) -> None:
    cases = _cases()
    _check(cases, _run(cases, *flags))


@pytest.mark.parametrize("flags", [(), ("--no-webcrypto",)], ids=["webcrypto", "noble"])
def test_checkpoints_verify_exactly_when_signed_by_the_key(flags: tuple[str, ...]) -> None:
    cases = _checkpoint_cases()
    results = _run(cases, *flags)
    _check(cases, results)
    engines = {r["engine"] for r in results if r["ok"] and r["engine"]}
    assert "noble-ed25519" in engines
    assert ("WebCrypto" in engines) is (not flags)
