"""Typed errors with stable codes.

Every refusal Garante makes is one of these. The code is part of the public contract (API
clients and scripts branch on it), the message says what is wrong, and the hint says what the
person can do about it. Interfaces map them once at their edge: an HTTP status from
``http_status``, an exit code from ``exit_code``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class GaranteError(Exception):
    """Base of every error Garante reports to a person or a program."""

    code = "garante.error"
    http_status = 400
    exit_code = 1

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.hint = hint

    def to_dict(self) -> dict[str, str]:
        """The one error shape every interface emits."""
        body = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        if self.hint is not None:
            body["hint"] = self.hint
        return body


class ValidationError(GaranteError):
    """Input that is malformed or names something outside a vocabulary."""

    code = "validation.invalid"
    http_status = 422
    exit_code = 2


class UnknownValue(ValidationError):
    """A value that is not in its vocabulary (purpose, category, region, TLP, effect...)."""

    code = "validation.unknown_value"


class ScopeNotExplicit(ValidationError):
    """An order whose scope is empty, so matches every request, without saying so; or one
    said to be for everything that also names agencies, countries, categories or regions."""

    code = "validation.scope_not_explicit"

    def __init__(
        self,
        message: str,
        *,
        said_everything: bool,
        field: str | None = "scope",
        hint: str | None = None,
    ):
        super().__init__(message, field=field, hint=hint)
        self.said_everything = said_everything


@contextmanager
def scope_hinted(*, both: str, unsaid: str) -> Iterator[None]:
    """A ``ScopeNotExplicit`` raised inside, with the hint in an interface's own terms:
    ``both`` for a scope said to be everything that also names some, ``unsaid`` for an empty
    scope not said to be everything."""
    try:
        yield
    except ScopeNotExplicit as exc:
        hint = both if exc.said_everything else unsaid
        raise ScopeNotExplicit(
            exc.message, said_everything=exc.said_everything, field=exc.field, hint=hint
        ) from None


class InvalidBundle(ValidationError):
    """A STIX 2.1 bundle that the stix2 library refuses."""

    code = "item.invalid_bundle"


class NotFound(GaranteError):
    """A named object that does not exist."""

    code = "not_found"
    http_status = 404
    exit_code = 3


class AgencyNotFound(NotFound):
    code = "agency.not_found"


class AuthorityNotFound(NotFound):
    code = "authority.not_found"


class ItemNotFound(NotFound):
    code = "item.not_found"


class UndertakingNotFound(NotFound):
    code = "undertaking.not_found"


class OrderNotFound(NotFound):
    code = "order.not_found"


class ConditionNotFound(NotFound):
    code = "condition.not_found"


class RequestNotFound(NotFound):
    code = "request.not_found"


class AgreementNotFound(NotFound):
    code = "agreement.not_found"


class Conflict(GaranteError):
    """The request contradicts the stored state (duplicate id, lifting a lifted order...)."""

    code = "conflict"
    http_status = 409
    exit_code = 4


class AlreadyExists(Conflict):
    code = "conflict.already_exists"


class InvalidState(Conflict):
    code = "conflict.invalid_state"


class NotEntitled(GaranteError):
    """The role may do this kind of act, but not this one: an order another authority issued,
    a token for an agency that cannot hold the role, an id reserved for Garante itself."""

    code = "auth.not_entitled"
    http_status = 403
    exit_code = 10


class SignatureError(GaranteError):
    """A signature that is missing where a key is registered, malformed, or does not verify."""

    code = "signature.invalid"
    http_status = 422
    exit_code = 5


class SignatureRequired(SignatureError):
    code = "signature.required"


class InvalidKey(GaranteError):
    """A public or private key that cannot be read."""

    code = "key.invalid"
    http_status = 422
    exit_code = 2


class StoreUnavailable(GaranteError):
    """The database cannot be reached or opened: nothing was read or changed.

    Raised where the store is first touched, so a refused connection, a missing directory or
    a wrong password reads as what it is, with the URL (password hidden) and what to check.
    """

    code = "store.unavailable"
    http_status = 503
    exit_code = 9


class StoreMissing(StoreUnavailable):
    """No store where one was named: a SQLite file that is not there, or a database without
    Garante's schema, given to a command that does not create one (a mistyped ``--db``)."""

    code = "store.missing"


# -- sources ---------------------------------------------------------------------------------


class CosignatureRefused(ValidationError):
    """A witness's cosignature the log does not take: malformed, by a key the operator has not
    registered as a witness, invalid, or over a checkpoint this log never published."""

    code = "ledger.cosignature_refused"


class UpstreamFailed(GaranteError):
    """A source's upstream could not be read: unreachable, refusing, failing, or answering
    what is not TAXII. The pull recorded it as the source's last error."""

    code = "source.upstream_failed"
    http_status = 502
    exit_code = 11


class UpstreamForked(UpstreamFailed):
    """An upstream Garante signed a checkpoint not consistent with one this node verified
    before: its log forked (or rolled back). The pull took nothing and the source says so."""

    code = "source.upstream_forked"


class SourceNotFound(NotFound):
    code = "source.not_found"


# -- where sources may point (issue 20) ------------------------------------------------------


class SourceNotAllowed(ValidationError):
    """A source pointing where the operator has not let sources point: a directory outside
    ``GARANTE_SOURCE_ROOTS``, or a web address that is (or resolves to) a loopback, private,
    link-local or metadata address not allowed by ``GARANTE_SOURCE_HOSTS``."""

    code = "source.not_allowed"


# -- the log's key in a hardware security module (PKCS#11) -----------------------------------


class LogKeyUnavailable(GaranteError):
    """The log's signing key, kept in an HSM, cannot be used: nothing is signed without it.

    At start the server refuses to run (exit code 12); later, the checkpoint that needed a
    signature is not published (503) until the token answers again. The subclasses say why.
    """

    code = "hsm.unavailable"
    http_status = 503
    exit_code = 12


class HsmSupportMissing(LogKeyUnavailable):
    """``python-pkcs11`` is not installed (the ``hsm`` extra)."""

    code = "hsm.support_missing"


class HsmModuleMissing(LogKeyUnavailable):
    """The PKCS#11 module (the vendor's shared library) cannot be loaded."""

    code = "hsm.module_missing"


class HsmTokenNotFound(LogKeyUnavailable):
    """No token the URI describes is present in any slot of the module."""

    code = "hsm.token_not_found"


class HsmPinIncorrect(LogKeyUnavailable):
    """The token refused the PIN (or has locked it): the key stays out of reach."""

    code = "hsm.pin_incorrect"


class HsmKeyNotFound(LogKeyUnavailable):
    """The token holds no Ed25519 key pair the URI describes (or several)."""

    code = "hsm.key_not_found"
