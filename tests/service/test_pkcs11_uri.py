"""The log key's PKCS#11 URI (RFC 7512) as Garante reads it, and the public key it reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from garante.domain.errors import HsmKeyNotFound, ValidationError
from garante.service.hsm import default_key_name, ed25519_public_key
from garante.service.pkcs11uri import Pkcs11Uri

MODULE = "module-path=/usr/lib/softhsm/libsofthsm2.so"


def test_the_token_the_key_and_the_module_are_read_percent_decoded() -> None:
    uri = Pkcs11Uri.parse(f"pkcs11:token=Garante%20HSM;object=log;id=%01%02?{MODULE}")
    assert uri.token == "Garante HSM"
    assert uri.object == "log"
    assert uri.id == b"\x01\x02"
    assert uri.module_path == "/usr/lib/softhsm/libsofthsm2.so"


def test_a_pin_value_is_never_in_the_repr_nor_in_what_is_shown() -> None:
    uri = Pkcs11Uri.parse(f"pkcs11:token=t;object=log?{MODULE}&pin-value=s3cr3t")
    assert uri.pin() == "s3cr3t"
    assert "s3cr3t" not in repr(uri)
    assert "s3cr3t" not in uri.shown()


def test_a_pin_source_file_is_read_without_its_newline(tmp_path: Path) -> None:
    (tmp_path / "pin").write_text("123456\n")
    uri = Pkcs11Uri.parse(f"pkcs11:token=t;object=log?{MODULE}&pin-source=file:{tmp_path}/pin")
    assert uri.pin() == "123456"


def test_a_pin_source_that_is_not_a_file_is_refused() -> None:
    uri = Pkcs11Uri.parse(f"pkcs11:token=t;object=log?{MODULE}&pin-source=|/bin/echo%201")
    with pytest.raises(ValidationError, match="is not a file"):
        uri.pin()


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("file:/x", "must start with pkcs11:"),
        ("pkcs11:token=t;object=log", "names no module"),
        (f"pkcs11:token=t?{MODULE}", "names no key"),
        (f"pkcs11:token=t;object=log;object=other?{MODULE}", "gives 'object' twice"),
        (f"pkcs11:token=t;object=log;library-version=2?{MODULE}", "not one Garante acts on"),
        (f"pkcs11:token=t;object=log?{MODULE}&pin-value=1&pin-source=file:/p", "give one"),
        (f"pkcs11:token=t;object=log;type=secret-key?{MODULE}", "must be private"),
        ("pkcs11:token=t;object=log?module-name=softhsm2", "module-path"),
        (f"pkcs11:token;object=log?{MODULE}", "not attribute=value"),
    ],
)
def test_a_uri_that_would_select_something_unsaid_is_refused_with_a_hint(
    text: str, says: str
) -> None:
    with pytest.raises(ValidationError, match=says) as raised:
        Pkcs11Uri.parse(text)
    assert raised.value.field == "log_key_uri" and raised.value.hint


def test_vendor_attributes_are_ignored() -> None:
    uri = Pkcs11Uri.parse(f"pkcs11:token=t;object=log;x-vendor=1?{MODULE}&x-other=2")
    assert uri.token == "t" and uri.object == "log"


def test_the_public_key_is_the_octet_string_in_ec_point_or_the_bare_32_bytes() -> None:
    key = bytes(range(32))
    assert ed25519_public_key(b"\x04\x20" + key) == key
    assert ed25519_public_key(key) == key


def test_a_public_key_of_another_length_is_not_taken_for_ed25519() -> None:
    with pytest.raises(HsmKeyNotFound, match="not an Ed25519 key"):
        ed25519_public_key(b"\x04\x39" + bytes(57))  # Ed448


def test_the_default_key_name_is_the_same_for_the_same_key() -> None:
    key = bytes(range(32))
    assert default_key_name(key) == default_key_name(bytes(key))
    assert default_key_name(key) != default_key_name(bytes(32))
    assert default_key_name(key).startswith("garante.local/log-")
