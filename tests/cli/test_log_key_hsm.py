"""The log's signing key in an HSM (PKCS#11, a SoftHSM token of each test's own).

Checkpoints the token signs verify with the key it printed; a restarted server signs with the
same key and a witness goes on cosigning; a token that cannot be used at start keeps the
server from starting (nothing served unsigned); a token that fails later leaves checkpoints
unpublished, loudly, until it is back.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from garante.ledger.checkpoint import open_checkpoint
from garante.ledger.note import VerifierKey
from tests.support.servers import API, Running, started
from tests.support.softhsm import LABEL, MODULE, PIN, SoftToken, soft_token
from tests.support.stores import BACKENDS, GARANTE, Store
from tests.support.unavailable import unavailable


@pytest.fixture
def token(tmp_path: Path) -> SoftToken:
    return soft_token(tmp_path / "hsm")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, token: SoftToken, tmp_path: Path) -> Store:
    """A store whose CLI finds the log key by its URI (the server gets it by --log-key-uri)."""
    env = {**token.environ(), "GARANTE_LOG_KEY_URI": token.uri()}
    if request.param == "sqlite":
        return Store(db=str(tmp_path / "garante.db"), env=env)
    return Store(db=request.getfixturevalue("pg_cluster").new_database(), env=env)


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _serve_env(store: Store) -> dict[str, str]:
    env = store.environ()
    env.pop("GARANTE_LOG_KEY_URI")  # the server takes it from its option
    return env


@contextmanager
def _serving(store: Store, token: SoftToken, **env: str) -> Iterator[Running]:
    command = [
        GARANTE, "--db", store.db, "serve", "--init", "--port", "0",
        "--checkpoint-interval", "0.2", "--log-key-uri", token.uri(),
    ]  # fmt: skip
    with started("garante serve (HSM)", command, env={**_serve_env(store), **env}) as running:
        yield running


def _checkpoint(url: str) -> tuple[int, str]:
    answer = httpx.get(f"{url}/log/checkpoint", timeout=5)
    if answer.status_code != 200:
        return 0, ""
    return int(answer.text.splitlines()[1]), answer.text


def _published(url: str, size: int, seconds: float = 30) -> str:
    """Until the served checkpoint covers ``size`` entries; that checkpoint."""
    deadline = time.monotonic() + seconds
    while (got := _checkpoint(url))[0] < size:
        assert time.monotonic() < deadline, f"no checkpoint of size {size} was published"
        time.sleep(0.1)
    return got[1]


def _ledger_size(store: Store) -> int:
    """How many entries the log holds (read, nothing signed)."""
    return len(json.loads(_ok(store.cli("--json", "audit", "entries", "--limit", "100000"))))


def _liaison(store: Store) -> str:
    """A liaison's bearer token, for the operator's own agency (registered for it): two
    entries in the log."""
    _ok(store.cli("agencies", "add", "cti", "--name", "CTI", "--country", "ES", "--domestic"))
    return str(
        json.loads(
            _ok(store.cli("--json", "tokens", "create", "--role", "liaison", "--agency", "cti"))
        )["token"]
    )


def _register(url: str, bearer: str, agency: str) -> None:
    answer = httpx.post(
        f"{url}{API}/agencies",
        json={"id": agency, "name": f"Agency {agency}", "country": "ES"},
        headers={"Authorization": f"Bearer {bearer}"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text


def test_checkpoints_signed_in_the_token_verify_with_the_key_it_printed(
    store: Store, token: SoftToken, tmp_path: Path
) -> None:
    _ok(store.cli("init"))
    _liaison(store)
    assert _ok(store.cli("audit", "key")).strip() == token.verifier_key
    _ok(store.cli("audit", "checkpoint"))
    _ok(store.cli("audit", "export", str(tmp_path / "export")))
    (tmp_path / "log.vkey").write_text(token.verifier_key + "\n")
    verified = subprocess.run(
        [GARANTE, "audit", "verify", "--export", str(tmp_path / "export"),
         "--log-key", f"@{tmp_path / 'log.vkey'}"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("OK ")


def test_the_token_key_has_a_verifier_line_of_the_file_key_form(token: SoftToken) -> None:
    key = VerifierKey.parse(token.verifier_key)
    assert key.name == "garante.test/hsm-log"
    assert key.to_text() == token.verifier_key  # name+hex8+base64(0x01 || 32-byte key)
    assert VerifierKey.from_public_key(key.name, key.public_key, 0x01) == key


def test_a_key_made_with_pkcs11_tool_signs_checkpoints_too(tmp_path: Path) -> None:
    """docs/deploy.md's other way: OpenSC's pkcs11-tool makes the key (its EC_PARAMS are the
    curve's name, edwards25519, where Garante writes its OID)."""
    if shutil.which("pkcs11-tool") is None:
        unavailable("OpenSC's pkcs11-tool is not installed (apt-get install opensc)")
    token = soft_token(tmp_path / "hsm", make_key=False)
    env = {**os.environ, "GARANTE_DEBUG": "", **token.environ()}
    made = subprocess.run(
        ["pkcs11-tool", "--module", MODULE, "--token-label", LABEL, "--login", "--pin", PIN,
         "--keypairgen", "--key-type", "EC:edwards25519", "--label", "log", "--id", "01"],
        capture_output=True, text=True, check=False, env=env, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    store = Store(db=str(tmp_path / "garante.db"), env={**env, "GARANTE_LOG_KEY_URI": token.uri()})
    _ok(store.cli("init"))
    key = VerifierKey.parse(_ok(store.cli("audit", "key")).strip())
    note = _ok(store.cli("audit", "checkpoint"))
    assert open_checkpoint(note, [key])[1] == ("garante.test/hsm-log",)


def test_a_second_key_under_the_same_label_is_refused(token: SoftToken) -> None:
    ran = subprocess.run(
        [GARANTE, "audit", "key", "--generate-in", token.uri()],
        capture_output=True, text=True, check=False, timeout=60,
        env={**os.environ, "GARANTE_DEBUG": "", **token.environ()},
    )  # fmt: skip
    assert ran.returncode == 4
    assert "already holds a key labelled 'log'" in ran.stderr


def test_no_key_file_is_made_beside_a_store_whose_key_is_in_the_token(
    token: SoftToken, tmp_path: Path
) -> None:
    store = Store(
        db=str(tmp_path / "garante.db"), env={**token.environ(), "GARANTE_LOG_KEY_URI": token.uri()}
    )
    _ok(store.cli("init"))
    assert not (tmp_path / "garante.db.log-key").exists()


def test_a_restarted_server_signs_with_the_same_key_and_the_witness_cosigns_on(
    store: Store, token: SoftToken, tmp_path: Path
) -> None:
    key = VerifierKey.parse(token.verifier_key)
    (tmp_path / "log.vkey").write_text(token.verifier_key + "\n")
    witness = str(tmp_path / "witness")
    _ok(store.cli("witness", "init", "witness.test/w1", "--dir", witness))

    def cosign(url: str) -> dict[str, object]:
        ran = store.cli(
            "--json", "witness", "cosign", "--dir", witness, "--log-key",
            f"@{tmp_path / 'log.vkey'}", "--tiles", f"{url}/log",
        )  # fmt: skip
        return dict(json.loads(_ok(ran)))

    with _serving(store, token) as first:
        assert httpx.get(f"{first.url}{API}/audit/key").json()["log_key"] == token.verifier_key
        liaison = _liaison(store)
        _register(first.url, liaison, "dea")
        note = _published(first.url, _ledger_size(store))
        before, _ = open_checkpoint(note, [key])
        cosigned = cosign(first.url)
        assert cosigned["size"] == before.size

    with _serving(store, token) as second:
        assert httpx.get(f"{second.url}{API}/audit/key").json()["log_key"] == token.verifier_key
        _register(second.url, liaison, "nca")
        note = _published(second.url, before.size + 1)
        after, names = open_checkpoint(note, [key])
        assert names == (key.name,) and after.size > before.size
        again = cosign(second.url)
    assert again["previous_size"] == before.size and again["size"] == after.size


def test_a_uri_beside_a_key_file_is_refused_as_two_keys(token: SoftToken, tmp_path: Path) -> None:
    env = {**token.environ(), "GARANTE_LOG_KEY_URI": token.uri()}
    store = Store(db=str(tmp_path / "garante.db"), env={**env, "GARANTE_LOG_KEY_FILE": "/x/key"})
    ran = store.cli("init")
    assert ran.returncode != 0
    assert "configured twice" in ran.stderr and "unset GARANTE_LOG_KEY_FILE" in ran.stderr
    assert not (tmp_path / "garante.db.log-key").exists()


def test_the_same_key_under_another_name_is_refused_with_the_name_to_set(
    token: SoftToken, tmp_path: Path
) -> None:
    env = {**token.environ(), "GARANTE_LOG_KEY_URI": token.uri()}
    _ok(Store(db=str(tmp_path / "garante.db"), env=env).cli("init"))
    renamed = Store(
        db=str(tmp_path / "garante.db"), env={**env, "GARANTE_LOG_KEY_NAME": "x.test/l"}
    )
    ran = renamed.cli("audit", "checkpoint")
    assert ran.returncode == 2
    assert "key.invalid" in ran.stderr
    assert "set GARANTE_LOG_KEY_NAME=garante.test/hsm-log" in ran.stderr


# -- a token that cannot be used at start: the server does not start --------------------------


def _serve_refused(token: SoftToken, tmp_path: Path, uri: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GARANTE, "--db", str(tmp_path / "garante.db"), "serve", "--init", "--port", "0",
         "--log-key-uri", uri],
        capture_output=True, text=True, check=False, timeout=60,
        env={**os.environ, "GARANTE_DEBUG": "", **token.environ()},
    )  # fmt: skip


def _nothing_served(ran: subprocess.CompletedProcess[str], tmp_path: Path) -> None:
    assert "listening on" not in ran.stdout
    assert not (tmp_path / "garante.db.log-key").exists()  # and no other key was made


def test_a_wrong_pin_keeps_the_server_from_starting_and_is_never_shown(
    token: SoftToken, tmp_path: Path
) -> None:
    ran = _serve_refused(token, tmp_path, token.uri(pin="27182818"))
    assert ran.returncode == 12
    assert "hsm.pin_incorrect" in ran.stderr and "hint:" in ran.stderr
    assert "27182818" not in ran.stdout + ran.stderr and PIN not in ran.stdout + ran.stderr
    _nothing_served(ran, tmp_path)


def test_a_missing_token_keeps_the_server_from_starting(token: SoftToken, tmp_path: Path) -> None:
    ran = _serve_refused(token, tmp_path, token.uri(token="no-such-token"))
    assert ran.returncode == 12
    assert "hsm.token_not_found" in ran.stderr and "no-such-token" in ran.stderr
    _nothing_served(ran, tmp_path)


def test_a_missing_module_keeps_the_server_from_starting(token: SoftToken, tmp_path: Path) -> None:
    ran = _serve_refused(token, tmp_path, token.uri(module="/usr/lib/no-such-pkcs11.so"))
    assert ran.returncode == 12
    assert "hsm.module_missing" in ran.stderr and "/usr/lib/no-such-pkcs11.so" in ran.stderr
    _nothing_served(ran, tmp_path)


def test_a_key_not_on_the_token_keeps_the_server_from_starting(
    token: SoftToken, tmp_path: Path
) -> None:
    ran = _serve_refused(token, tmp_path, token.uri().replace("object=log", "object=other"))
    assert ran.returncode == 12
    assert "hsm.key_not_found" in ran.stderr
    _nothing_served(ran, tmp_path)


def test_an_unreachable_hsm_keeps_the_server_from_starting(
    token: SoftToken, tmp_path: Path
) -> None:
    token.away()
    ran = _serve_refused(token, tmp_path, token.uri())
    assert ran.returncode == 12
    assert "hsm.unavailable" in ran.stderr and "does not answer" in ran.stderr
    _nothing_served(ran, tmp_path)


def test_without_python_pkcs11_the_uri_is_refused_naming_the_extra(
    token: SoftToken, tmp_path: Path
) -> None:
    blocked = (
        "import sys; sys.modules['pkcs11'] = None; sys.argv[0] = 'garante';"
        "from garante.cli.main import app; app()"
    )
    ran = subprocess.run(
        [str(Path(GARANTE).with_name("python")), "-c", blocked, "--db",
         str(tmp_path / "garante.db"), "serve", "--init", "--port", "0",
         "--log-key-uri", token.uri()],
        capture_output=True, text=True, check=False, timeout=60,
        env={**os.environ, "GARANTE_DEBUG": "", **token.environ()},
    )  # fmt: skip
    assert ran.returncode == 12
    assert "hsm.support_missing" in ran.stderr and "garante[hsm]" in ran.stderr
    _nothing_served(ran, tmp_path)


# -- a token that fails later ----------------------------------------------------------------


def test_a_token_failing_later_holds_checkpoints_loudly_until_it_is_back(
    store: Store, token: SoftToken
) -> None:
    # A checkpoint is due after every write, so the write itself asks the token to sign.
    with _serving(store, token, GARANTE_CHECKPOINT_EVERY="1") as server:
        liaison = _liaison(store)
        _register(server.url, liaison, "dea")
        size = _ledger_size(store)
        _published(server.url, size)
        token.away()
        _register(server.url, liaison, "nca")  # the change commits (201) all the same
        server.wait_for("checkpoint not published")
        assert "hsm.unavailable" in server.printed()
        assert _checkpoint(server.url)[0] == size  # nothing signed, by this key or another
        token.back()
        note = _published(server.url, size + 1)
        server.wait_for("checkpoints are signed again")
    assert open_checkpoint(note, [VerifierKey.parse(token.verifier_key)])[0].size == size + 1
