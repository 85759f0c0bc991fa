"""A SoftHSM token of the test's own, in a temporary directory, with the log's key made on it.

Debian's ``softhsm2`` is a PKCS#11 module keeping its tokens in files: ``SOFTHSM2_CONF`` names a
configuration whose ``directories.tokendir`` is the test's directory, so tests never share a
token nor touch the machine's. ``softhsm2-util --init-token`` makes the token; the key is made
with ``garante audit key --generate-in`` (Ed25519 through CKM_EC_EDWARDS_KEY_PAIR_GEN), as an
operator would. Moving the token directory away and back is how a test makes the HSM vanish
and return: SoftHSM then fails the session and, until it is back, its initialisation.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from tests.support.stores import GARANTE
from tests.support.unavailable import unavailable

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
LABEL = "garante-test"
PIN = "314159"
SO_PIN = "271828"
KEY_NAME = "garante.test/hsm-log"


def require_softhsm() -> None:
    if shutil.which("softhsm2-util") is None or not Path(MODULE).exists():
        unavailable("SoftHSM is not installed (apt-get install softhsm2)")


@dataclass(frozen=True)
class SoftToken:
    """One initialised token, its PIN in a file, and the log's key on it."""

    directory: Path
    verifier_key: str  # what `garante audit key --generate-in` printed

    @property
    def tokens(self) -> Path:
        return self.directory / "tokens"

    @property
    def pin_file(self) -> Path:
        return self.directory / "pin"

    def uri(self, *, module: str = MODULE, token: str = LABEL, pin: str | None = None) -> str:
        """The log key's URI: the PIN from its file, or ``pin`` given in the URI itself."""
        where = f"pin-value={quote(pin)}" if pin is not None else f"pin-source=file:{self.pin_file}"
        return f"pkcs11:token={quote(token)};object=log?module-path={module}&{where}"

    def environ(self) -> dict[str, str]:
        """What a process needs to find this token (the key's note name too, not its URI)."""
        return {
            "SOFTHSM2_CONF": str(self.directory / "softhsm2.conf"),
            "GARANTE_LOG_KEY_NAME": KEY_NAME,
        }

    def away(self) -> None:
        """The HSM vanishes: the token's files are no longer where the module looks."""
        self.tokens.rename(self.directory / "tokens.away")

    def back(self) -> None:
        (self.directory / "tokens.away").rename(self.tokens)


def soft_token(directory: Path, *, make_key: bool = True) -> SoftToken:
    """A new token in ``directory`` with the log's Ed25519 key made on it by Garante (unless
    ``make_key`` is false: then the token is empty and ``verifier_key`` too)."""
    require_softhsm()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "tokens").mkdir()
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\n"
        "log.level = ERROR\n"
    )
    env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
    made = subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", LABEL, "--pin", PIN,
         "--so-pin", SO_PIN],
        capture_output=True, text=True, check=False, env=env, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    pin = directory / "pin"
    pin.write_text(PIN + "\n")
    pin.chmod(0o600)
    token = SoftToken(directory=directory, verifier_key="")
    if not make_key:
        return token
    key = subprocess.run(
        [GARANTE, "audit", "key", "--generate-in", token.uri(), "--name", KEY_NAME],
        capture_output=True, text=True, check=False, env=env, timeout=60,
    )  # fmt: skip
    assert key.returncode == 0, key.stderr
    return SoftToken(directory=directory, verifier_key=key.stdout.strip())
