"""The log's signing key in a hardware security module, used through PKCS#11.

The private key never leaves the token: the token signs (Ed25519, ``CKM_EDDSA``) and Garante
reads only the public key (``CKA_EC_POINT``), from which the note verifier key follows by the
same rules as for a key in a file (``ledger.note.NoteSigner``). Every I/O with the token is
here; ``ledger`` stays pure.

One session per token and process, logged in once (PKCS#11 logs a whole application in, so a
second login would be refused), shared by every signer of that process under a lock (a session
is not safe to use from two threads at once). When the token fails (removed, restarted,
unreachable), signing raises ``LogKeyUnavailable``; the next signature asked for reconnects
(the module is finalised and initialised again, which is how a PKCS#11 application sees a token
come back), at most once a second: in between, signing fails at once, so that writes whose
checkpoint is due do not each wait on an HSM that is away. A PIN the token refuses on
reconnection is not tried again until the process restarts, so that a changed PIN never locks
the token by repeated tries.

Every signature is checked against the public key before it is used: a token that returns
something else is treated as a failed token, never published.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from garante.domain.errors import (
    AlreadyExists,
    HsmKeyNotFound,
    HsmModuleMissing,
    HsmPinIncorrect,
    HsmSupportMissing,
    HsmTokenNotFound,
    LogKeyUnavailable,
    ValidationError,
)
from garante.ledger.note import NoteSigner, check_key_name
from garante.service.pkcs11uri import Pkcs11Uri

if TYPE_CHECKING:
    from pkcs11 import Session

log = logging.getLogger("garante.hsm")

ED25519_OID = "1.3.101.112"
"""RFC 8410's id-Ed25519; PKCS#11 3.0 also allows the printable string ``edwards25519``."""
_ED25519_NAMES = (b"\x06\x03\x2b\x65\x70", b"\x13\x0cedwards25519")  # DER OID, PrintableString
RETRY_SECONDS = 1.0
"""After a failed reconnection, how long signatures are refused without asking the token."""
_PROBE = b"garante: does the token sign with the key it shows?"


def _pkcs11() -> Any:
    """The ``pkcs11`` package, or a clear refusal naming the extra that installs it."""
    try:
        import pkcs11
    except ImportError:
        raise HsmSupportMissing(
            "a log key URI is configured, but python-pkcs11 is not installed",
            field="log_key_uri",
            hint="install Garante with its hsm extra: pip install 'garante[hsm]'",
        ) from None
    return pkcs11


def default_key_name(public_key: bytes) -> str:
    """The note key name of a token's key when none is configured: stable for the key, so a
    restarted server (or another one) names it as before."""
    return f"garante.local/log-{hashlib.sha256(public_key).hexdigest()[:8]}"


def ed25519_public_key(ec_point: bytes) -> bytes:
    """The 32-byte key inside ``CKA_EC_POINT``: a DER OCTET STRING (04 20 || key), or, from
    some tokens, the 32 bytes alone."""
    if len(ec_point) == 34 and ec_point[:2] == b"\x04\x20":
        return ec_point[2:]
    if len(ec_point) == 32:
        return ec_point
    raise HsmKeyNotFound(
        f"the token's public key is {len(ec_point)} bytes, not an Ed25519 key (32 bytes)",
        field="log_key_uri",
        hint="the log key must be an Ed25519 key (CKK_EC_EDWARDS on edwards25519)",
    )


class _Token:
    """One logged-in session on one token, shared by this process's signers."""

    def __init__(self, uri: Pkcs11Uri) -> None:
        self.uri = uri
        self.lock = threading.Lock()
        self.session: Session | None = None
        self.refused: LogKeyUnavailable | None = None
        self.failed: tuple[float, LogKeyUnavailable] | None = None  # when, and why

    def connect(self, *, again: bool = False) -> Session:
        """The open session; ``again`` first finalises the module so a returned token shows."""
        if self.refused is not None:
            raise self.refused
        if self.session is not None and not again:
            return self.session
        pkcs11 = _pkcs11()
        lib = _library(pkcs11, self.uri)
        if again:
            self.session = None
            # Not initialised, after a reconnection that failed: nothing to finalise.
            with contextlib.suppress(pkcs11.exceptions.PKCS11Error):
                lib.finalize()
            try:
                lib.initialize()
            except pkcs11.exceptions.PKCS11Error as exc:
                raise _unavailable(self.uri, exc) from None
        token = _find_token(pkcs11, lib, self.uri)
        try:
            pin = self.uri.pin()
        except ValidationError as exc:
            if not again:
                raise  # at start, a configuration to correct
            raise LogKeyUnavailable(exc.message, field=exc.field, hint=exc.hint) from None
        try:
            self.session = token.open(rw=True, user_pin=pin)
        except (pkcs11.exceptions.PinIncorrect, pkcs11.exceptions.PinLocked) as exc:
            refused = HsmPinIncorrect(
                f"the token {token.label!r} refused the PIN ({type(exc).__name__})",
                field="log_key_uri",
                hint="check pin-value or the pin-source file; the PIN is never shown. A token "
                "locks its PIN after a few wrong tries: ask its security officer to unlock it",
            )
            if again:
                self.refused = refused  # never try it again: each try brings a lock nearer
            raise refused from None
        except pkcs11.exceptions.PKCS11Error as exc:
            raise _unavailable(self.uri, exc) from None
        return self.session


_tokens: dict[tuple[str, str | None, str | None, int | None], _Token] = {}
_tokens_lock = threading.Lock()


def _shared(uri: Pkcs11Uri) -> _Token:
    key = (uri.module_path, uri.token, uri.serial, uri.slot_id)
    with _tokens_lock:
        if key not in _tokens:
            _tokens[key] = _Token(uri)
        return _tokens[key]


def _library(pkcs11: Any, uri: Pkcs11Uri) -> Any:
    try:
        return pkcs11.lib(uri.module_path)
    except pkcs11.exceptions.PKCS11Error as exc:
        if not str(exc).startswith(("OS exception while loading", "Unknown exception while")):
            # Loaded, but C_Initialize failed: the module cannot reach its HSM.
            raise _unavailable(uri, exc) from None
        raise HsmModuleMissing(
            f"cannot load the PKCS#11 module {uri.module_path}: {exc}",
            field="log_key_uri",
            hint="module-path must name the HSM vendor's PKCS#11 library (for SoftHSM, "
            "/usr/lib/softhsm/libsofthsm2.so from Debian's softhsm2)",
        ) from None


def _find_token(pkcs11: Any, lib: Any, uri: Pkcs11Uri) -> Any:
    try:
        candidates = [
            token
            for slot in lib.get_slots(token_present=True)
            if uri.slot_id is None or slot.slot_id == uri.slot_id
            for token in [slot.get_token()]
            if (uri.token is None or token.label == uri.token)
            and (uri.serial is None or token.serial.decode(errors="replace") == uri.serial)
            and (uri.manufacturer is None or token.manufacturer_id == uri.manufacturer)
            and (uri.model is None or token.model == uri.model)
        ]
    except pkcs11.exceptions.PKCS11Error as exc:
        raise _unavailable(uri, exc) from None
    if not candidates:
        raise HsmTokenNotFound(
            f"no token matching {uri.shown()} is present",
            field="log_key_uri",
            hint="check token= (the token's label; `pkcs11-tool --module MODULE -L` lists "
            "them) and that the HSM is connected and reachable",
        )
    if len(candidates) > 1:
        raise HsmTokenNotFound(
            f"{len(candidates)} tokens match {uri.shown()}",
            field="log_key_uri",
            hint="add serial= to the URI to name one",
        )
    return candidates[0]


def _unavailable(uri: Pkcs11Uri, exc: BaseException) -> LogKeyUnavailable:
    detail = f"{type(exc).__name__}{f': {exc}' if str(exc) else ''}"
    return LogKeyUnavailable(
        f"the token at {uri.shown()} does not answer ({detail})",
        field="log_key_uri",
        hint="check that the HSM is connected and reachable; nothing is signed without it",
    )


def _key_pair(pkcs11: Any, session: Session, uri: Pkcs11Uri) -> tuple[Any, bytes]:
    """The private key's handle and the raw public key, found by label and/or id."""
    from pkcs11 import Attribute, KeyType, ObjectClass

    def one(object_class: Any) -> Any:
        return session.get_key(
            object_class=object_class, key_type=KeyType.EC_EDWARDS, label=uri.object, id=uri.id
        )

    try:
        private = one(ObjectClass.PRIVATE_KEY)
        public = one(ObjectClass.PUBLIC_KEY)
        params = bytes(public[Attribute.EC_PARAMS])
        point = bytes(public[Attribute.EC_POINT])
    except (pkcs11.exceptions.NoSuchKey, pkcs11.exceptions.MultipleObjectsReturned) as exc:
        several = isinstance(exc, pkcs11.exceptions.MultipleObjectsReturned)
        raise HsmKeyNotFound(
            f"{'several Ed25519 key pairs match' if several else 'no Ed25519 key pair matches'}"
            f" {uri.shown()}",
            field="log_key_uri",
            hint="the URI's object= (label) or id= must name one Ed25519 key pair with its "
            "public key on the token; `garante audit key --generate-in URI` makes one",
        ) from None
    except pkcs11.exceptions.PKCS11Error as exc:
        raise _unavailable(uri, exc) from None
    if params not in _ED25519_NAMES:
        raise HsmKeyNotFound(
            f"the key at {uri.shown()} is not on edwards25519 (EC_PARAMS {params.hex()})",
            field="log_key_uri",
            hint="the log key must be an Ed25519 key; Ed448 and other curves are not note keys",
        )
    return private, ed25519_public_key(point)


class TokenSigner(NoteSigner):
    """The log's note signer whose private key stays in a PKCS#11 token."""

    def __init__(self, uri: Pkcs11Uri, name: str, public_key: bytes, token: _Token) -> None:
        super().__init__(name, public_key)
        self.uri = uri
        self._token = token
        self._private: Any = None
        self._verify = Ed25519PublicKey.from_public_bytes(public_key)

    def sign(self, message: bytes) -> bytes:
        token = self._token
        with token.lock:
            if token.failed is not None and time.monotonic() - token.failed[0] < RETRY_SECONDS:
                raise token.failed[1]  # down a moment ago: a write waits for no reconnection
            try:
                signature = self._sign_once(message, again=False)
            except LogKeyUnavailable as first:
                if isinstance(first, HsmPinIncorrect):
                    raise
                if token.failed is None:
                    log.warning("the log key's token failed (%s); reconnecting", first.message)
                try:
                    signature = self._sign_once(message, again=True)
                except LogKeyUnavailable as exc:
                    token.failed = (time.monotonic(), exc)
                    raise
                log.warning("the log key's token answers again")
            token.failed = None
        return signature

    def _sign_once(self, message: bytes, *, again: bool) -> bytes:
        pkcs11 = _pkcs11()
        session = self._token.connect(again=again)
        try:
            if self._private is None or again:
                private, public = _key_pair(pkcs11, session, self.uri)
                if public != self.public_key:
                    raise HsmKeyNotFound(
                        f"the key at {self.uri.shown()} is no longer the key this server "
                        "started with",
                        field="log_key_uri",
                        hint="restart the server: it then checks the key against the store's",
                    )
                self._private = private
            signature = bytes(self._private.sign(message, mechanism=pkcs11.Mechanism.EDDSA))
        except pkcs11.exceptions.PKCS11Error as exc:
            self._private = None
            raise _unavailable(self.uri, exc) from None
        try:
            self._verify.verify(signature, message)
        except InvalidSignature:
            self._private = None
            raise LogKeyUnavailable(
                f"the token at {self.uri.shown()} returned a signature that does not verify "
                "with its public key",
                field="log_key_uri",
                hint="the token is faulty or is not the one configured; nothing was signed",
            ) from None
        return signature


def open_token_signer(uri_text: str, name: str | None = None) -> TokenSigner:
    """The signer for the key the URI names, checked by one signature before any is used."""
    uri = Pkcs11Uri.parse(uri_text)
    pkcs11 = _pkcs11()
    token = _shared(uri)
    with token.lock:
        session = token.connect()
        _private, public = _key_pair(pkcs11, session, uri)
    key_name = name or default_key_name(public)
    check_name(key_name)
    signer = TokenSigner(uri, key_name, public, token)
    signer.sign(_PROBE)
    return signer


def check_name(name: str) -> None:
    from garante.ledger.errors import KeyFormatError

    try:
        check_key_name(name)
    except KeyFormatError as exc:
        raise ValidationError(
            f"the log key name {name!r} is not a key name: {exc.message}",
            field="log_key_name",
            hint="a schema-less URL such as garante.example.org/log",
        ) from None


def generate_key(uri_text: str, name: str | None = None) -> TokenSigner:
    """Make an Ed25519 key pair on the token, labelled as the URI's ``object`` (and ``id``);
    its private half is sensitive and never extractable. Refuses if one is there already."""
    uri = Pkcs11Uri.parse(uri_text)
    if uri.object is None:
        raise ValidationError(
            "give the new key a label: object=<label> in the URI", field="log_key_uri"
        )
    if name is not None:
        check_name(name)
    pkcs11 = _pkcs11()
    from pkcs11 import Attribute, KeyType, ObjectClass
    from pkcs11.util.ec import encode_named_curve_parameters

    token = _shared(uri)
    with token.lock:
        session = token.connect()
        try:
            existing = [
                found
                for cls in (ObjectClass.PRIVATE_KEY, ObjectClass.PUBLIC_KEY)
                for found in session.get_objects(
                    {Attribute.LABEL: uri.object, Attribute.CLASS: cls}
                )
            ]
            if existing:
                raise AlreadyExists(
                    f"the token already holds a key labelled {uri.object!r}",
                    field="log_key_uri",
                    hint="a log keeps its key for life: pick another object= for a new one",
                )
            extra: dict[Any, Any] = {} if uri.id is None else {Attribute.ID: uri.id}
            session.generate_keypair(
                KeyType.EC_EDWARDS,
                0,
                store=True,
                label=uri.object,
                public_template={
                    Attribute.EC_PARAMS: encode_named_curve_parameters(ED25519_OID),
                    **extra,
                },
                private_template={
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.SIGN: True,
                    **extra,
                },
            )
        except pkcs11.exceptions.PKCS11Error as exc:
            raise _unavailable(uri, exc) from None
    return open_token_signer(uri_text, name)
