"""A throwaway certificate authority made with ``openssl``, as an operator would make one.

``Pki(root)`` writes a CA (``NAME-ca.pem``), and issues server certificates (for 127.0.0.1)
and client certificates from it; ``fingerprint`` is ``openssl x509 -fingerprint -sha256``,
what an operator registers with ``garante agencies certificate add``.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote


def _openssl(*args: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        ["openssl", *map(str, args)], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key, both PEM files."""

    cert: Path
    key: Path

    @property
    def pair(self) -> tuple[str, str]:
        """As ``requests``' ``cert=`` takes it."""
        return (str(self.cert), str(self.key))

    @property
    def fingerprint(self) -> str:
        out = _openssl("x509", "-in", self.cert, "-noout", "-fingerprint", "-sha256", cwd=Path())
        return out.strip().split("=", 1)[1].replace(":", "").lower()

    def escaped(self) -> str:
        """The PEM as nginx's ``$ssl_client_escaped_cert`` passes it (URL-escaped)."""
        return quote(self.cert.read_text(), safe="")


@dataclass(frozen=True)
class Pki:
    """One CA under ``root``, named ``name``."""

    root: Path
    name: str = "partner"

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not self.ca.cert.exists():
            _openssl(
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-days", "2", "-subj", f"/CN={self.name} test CA",
                "-keyout", self.ca.key, "-out", self.ca.cert,
                cwd=self.root,
            )  # fmt: skip

    @property
    def ca(self) -> Issued:
        return Issued(self.root / f"{self.name}-ca.pem", self.root / f"{self.name}-ca.key")

    def issue(self, subject: str, *, server: bool = False) -> Issued:
        """A certificate for ``subject``; a server's names 127.0.0.1 (and localhost)."""
        issued = Issued(self.root / f"{subject}.pem", self.root / f"{subject}.key")
        csr = self.root / f"{subject}.csr"
        _openssl(
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-subj", f"/CN={subject}", "-keyout", issued.key, "-out", csr,
            cwd=self.root,
        )  # fmt: skip
        extensions = self.root / f"{subject}.ext"
        usage = "serverAuth" if server else "clientAuth"
        names = "subjectAltName = IP:127.0.0.1, DNS:localhost\n" if server else ""
        extensions.write_text(f"extendedKeyUsage = {usage}\n{names}")
        _openssl(
            "x509", "-req", "-in", csr, "-CA", self.ca.cert, "-CAkey", self.ca.key,
            "-CAcreateserial", "-days", "2", "-extfile", extensions, "-out", issued.cert,
            cwd=self.root,
        )  # fmt: skip
        return issued
