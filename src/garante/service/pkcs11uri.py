"""PKCS#11 URIs (RFC 7512): which module, which token, which key, and where the PIN is.

``pkcs11:token=garante;object=log?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/garante/pin``

Path attributes (before ``?``, separated by ``;``) select the token and the key; query
attributes (after ``?``, separated by ``&``) name the module and the PIN. Values are
percent-decoded; each attribute may appear once. An attribute this reader does not act on is
refused rather than ignored, since ignoring it could select another token or key than the
operator meant; ``x-`` vendor attributes are ignored, as RFC 7512 allows.

The PIN never appears in ``repr``, in ``shown`` or in an error message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote_to_bytes

from garante.domain.errors import ValidationError

FIELD = "log_key_uri"
_PATH = frozenset({"token", "manufacturer", "serial", "model", "object", "id", "type", "slot-id"})
_QUERY = frozenset({"module-path", "module-name", "pin-value", "pin-source"})
_EXAMPLE = (
    "pkcs11:token=garante;object=log?module-path=/usr/lib/softhsm/libsofthsm2.so"
    "&pin-source=file:/etc/garante/hsm-pin"
)


def _refused(message: str) -> ValidationError:
    return ValidationError(message, field=FIELD, hint=f"a PKCS#11 URI looks like {_EXAMPLE}")


def _attributes(text: str, separator: str, known: frozenset[str]) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for part in text.split(separator) if text else []:
        name, equals, value = part.partition("=")
        name = name.strip().lower()
        if not equals or not name:
            raise _refused(f"{part!r} in the PKCS#11 URI is not attribute=value")
        if name.startswith("x-"):
            continue
        if name not in known:
            raise _refused(
                f"the PKCS#11 URI attribute {name!r} is not one Garante acts on "
                f"(it reads {', '.join(sorted(known))})"
            )
        if name in found:
            raise _refused(f"the PKCS#11 URI gives {name!r} twice")
        found[name] = unquote_to_bytes(value)
    return found


def _text(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _refused(f"the PKCS#11 URI's {name} is not UTF-8") from None


@dataclass(frozen=True)
class Pkcs11Uri:
    """A parsed PKCS#11 URI. ``pin`` reads the PIN (from the URI or its file) when needed."""

    module_path: str
    token: str | None = None
    manufacturer: str | None = None
    serial: str | None = None
    model: str | None = None
    slot_id: int | None = None
    object: str | None = None
    id: bytes | None = None
    pin_source: str | None = None
    pin_value: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, text: str) -> Pkcs11Uri:
        text = text.strip()
        scheme, colon, rest = text.partition(":")
        if not colon or scheme.lower() != "pkcs11":
            raise _refused("the log key URI must start with pkcs11:")
        path_text, _, query_text = rest.partition("?")
        path = _attributes(path_text, ";", _PATH)
        query = _attributes(query_text, "&", _QUERY)
        if "module-name" in query and "module-path" not in query:
            raise _refused(
                "give the module by its file, module-path=/path/to/module.so: "
                "Garante does not search for module-name"
            )
        if "module-path" not in query:
            raise _refused("the PKCS#11 URI names no module: add ?module-path=/path/to/module.so")
        if "pin-value" in query and "pin-source" in query:
            raise _refused("the PKCS#11 URI gives both pin-value and pin-source: give one")
        kind = path.get("type")
        if kind is not None and kind not in (b"private", b"public"):
            raise _refused("type= in the log key URI must be private (the signing key)")
        if "object" not in path and "id" not in path:
            raise _refused("the PKCS#11 URI names no key: add object=<label> (or id=<%xx bytes>)")
        slot_id = None
        if "slot-id" in path:
            raw = _text(path["slot-id"], "slot-id")
            if not raw.isdigit():
                raise _refused(f"slot-id={raw!r} in the PKCS#11 URI is not a number")
            slot_id = int(raw)

        def text_of(name: str, where: dict[str, bytes]) -> str | None:
            return _text(where[name], name) if name in where else None

        return cls(
            module_path=_text(query["module-path"], "module-path"),
            token=text_of("token", path),
            manufacturer=text_of("manufacturer", path),
            serial=text_of("serial", path),
            model=text_of("model", path),
            slot_id=slot_id,
            object=text_of("object", path),
            id=path.get("id"),
            pin_source=text_of("pin-source", query),
            pin_value=text_of("pin-value", query),
        )

    def pin(self) -> str | None:
        """The user PIN, or ``None`` when the URI gives none (a token that needs no login)."""
        if self.pin_value is not None:
            return self.pin_value
        if self.pin_source is None:
            return None
        source = self.pin_source
        if source.startswith("file://"):
            source = source[len("file://") :]
        elif source.startswith("file:"):
            source = source[len("file:") :]
        if not source.startswith("/"):
            raise _refused(
                f"pin-source={self.pin_source!r} is not a file: give pin-source=file:/absolute/path"
            )
        try:
            return Path(source).read_text().rstrip("\r\n")
        except OSError as exc:
            raise ValidationError(
                f"cannot read the PIN file {source}: {exc.strerror}",
                field=FIELD,
                hint="the PIN file must be readable by the service user (mode 0400 or 0600)",
            ) from None

    def shown(self) -> str:
        """The URI for messages: the module, the token and the key, never the PIN."""
        path = [
            f"{name}={value}"
            for name, value in (
                ("token", self.token),
                ("manufacturer", self.manufacturer),
                ("serial", self.serial),
                ("model", self.model),
                ("slot-id", self.slot_id),
                ("object", self.object),
                ("id", None if self.id is None else "".join(f"%{b:02x}" for b in self.id)),
            )
            if value is not None
        ]
        return f"pkcs11:{';'.join(path)}?module-path={self.module_path}"
