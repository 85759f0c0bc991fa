"""Console sign-in with OpenID Connect: authorization code with PKCE, claims mapped to roles.

The operator names one provider in a TOML file (``garante serve --oidc-config FILE``, see
docs/deploy.md, "Sign-in with OpenID Connect"). The console finds the provider's endpoints
from ``/.well-known/openid-configuration``, sends the person there with ``state``, ``nonce``
and an S256 ``code_challenge`` (authlib), exchanges the code with the ``code_verifier``, and
verifies the ID token with the provider's JWKS: its signature, issuer, audience, expiry and
nonce (joserfc, authlib's JOSE library). The token's claims give the role (through the
file's mapping of claim values to Garante roles), the agency or the authority.

No session table (DESIGN.md, "Storage and scale"): the session cookie holds the principal and
its end, signed with HMAC-SHA256 under the configured session key, which every server behind
one address shares. It ends at the configured length, and never after the ID token expires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from garante.domain.errors import ValidationError
from garante.domain.roles import Principal, Role
from garante.textfile import read_text

if TYPE_CHECKING:
    from joserfc.jwk import KeySetSerialization

log = logging.getLogger("garante.console.oidc")

SESSION_PREFIX = "oidc."
ROLES_WITH_AGENCY = frozenset({Role.ANALYST, Role.LIAISON, Role.OVERSEER, Role.PARTNER})
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]
LEEWAY = 30  # seconds of clock difference allowed between the provider and the console


class SignInFailed(Exception):
    """The provider's answer cannot sign anyone in: a bad, expired or tampered ID token, a
    wrong state, or a provider that cannot be reached. ``reason`` goes to the server's log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotMapped(Exception):
    """A valid ID token whose claims give no Garante role, agency or authority."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, kw_only=True)
class OidcSettings:
    """One OpenID provider and how its claims map to Garante principals."""

    name: str  # shown on the button: "Sign in with <name>"
    issuer: str
    client_id: str
    client_secret: str | None  # None: a public client, PKCE alone
    session_key: bytes
    scopes: tuple[str, ...] = ("openid",)
    redirect_uri: str | None = None  # default: this server's /signin/oidc/callback
    session_minutes: int = 480
    role_claim: str = "groups"
    agency_claim: str = "agency"
    authority_claim: str = "authority"
    roles: Mapping[str, Role] = field(default_factory=dict)  # claim value -> role
    agencies: Mapping[str, str] = field(default_factory=dict)  # claim value -> agency id

    @classmethod
    def load(cls, path: Path, env: Mapping[str, str] | None = None) -> OidcSettings:
        """Read ``path`` (TOML); the secrets may come from the environment instead:
        ``GARANTE_OIDC_CLIENT_SECRET`` and ``GARANTE_OIDC_SESSION_KEY``."""
        env = os.environ if env is None else env
        text = read_text(path, field="oidc_config", what="OpenID configuration")
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValidationError(
                f"the OpenID configuration {path} is not TOML: {exc}", field="oidc_config"
            ) from None
        return cls.parse(raw, env)

    @classmethod
    def parse(cls, raw: Mapping[str, Any], env: Mapping[str, str]) -> OidcSettings:
        provider = _table(raw, "provider")
        claims = _table(raw, "claims")
        session = raw.get("session", {})
        roles: dict[str, Role] = {}
        for value, role in _table(raw, "roles").items():
            try:
                roles[str(value)] = Role(str(role))
            except ValueError:
                raise ValidationError(
                    f"[roles] maps {value!r} to {role!r}, which is not a Garante role",
                    hint="authority, overseer, analyst, liaison or partner",
                ) from None
            if roles[str(value)] == Role.OPERATOR:
                raise ValidationError(
                    "no claim may make a console user the operator", field="roles"
                )
        secret = env.get("GARANTE_OIDC_CLIENT_SECRET") or provider.get("client_secret") or None
        key = env.get("GARANTE_OIDC_SESSION_KEY") or str(session.get("key", ""))
        if len(key) < 32:
            raise ValidationError(
                "the OpenID sign-in needs a session key of at least 32 characters",
                field="session.key",
                hint="GARANTE_OIDC_SESSION_KEY=$(openssl rand -hex 32), the same on every server",
            )
        try:
            return cls(
                name=str(provider.get("name") or provider["issuer"]),
                issuer=str(provider["issuer"]).rstrip("/"),
                client_id=str(provider["client_id"]),
                client_secret=str(secret) if secret else None,
                session_key=key.encode(),
                scopes=tuple(str(s) for s in provider.get("scopes", ["openid"])),
                redirect_uri=provider.get("redirect_uri"),
                session_minutes=int(session.get("minutes", 480)),
                role_claim=str(claims.get("role", "groups")),
                agency_claim=str(claims.get("agency", "agency")),
                authority_claim=str(claims.get("authority", "authority")),
                roles=roles,
                agencies={str(k): str(v) for k, v in raw.get("agencies", {}).items()},
            )
        except KeyError as exc:
            raise ValidationError(
                f"the OpenID configuration lacks [provider] {exc.args[0]}"
            ) from None

    # -- the claims ----------------------------------------------------------------------

    def principal(self, claims: Mapping[str, Any]) -> Principal:
        """The principal the ID token's claims stand for, or ``NotMapped``."""
        values = claims.get(self.role_claim)
        if isinstance(values, str):
            values = values.split()
        if not isinstance(values, list):
            raise NotMapped(f"the ID token has no {self.role_claim!r} claim")
        found = {self.roles[v] for v in values if isinstance(v, str) and v in self.roles}
        if len(found) != 1:
            raise NotMapped(
                f"{self.role_claim}={values!r} maps to "
                + ("no Garante role" if not found else f"several roles: {sorted(found)}")
            )
        role = found.pop()
        subject = f"oidc:{claims.get('sub')}"
        if role == Role.AUTHORITY:
            authority = claims.get(self.authority_claim)
            if not isinstance(authority, str) or not authority:
                raise NotMapped(f"an authority needs the {self.authority_claim!r} claim")
            return Principal(token_id=subject, role=role, authority_id=authority)
        agency = claims.get(self.agency_claim)
        if not isinstance(agency, str) or not agency:
            raise NotMapped(f"a {role.value} needs the {self.agency_claim!r} claim")
        return Principal(token_id=subject, role=role, agency_id=self.agencies.get(agency, agency))

    # -- the session cookie ----------------------------------------------------------------

    def session_cookie(self, who: Principal, until: int) -> str:
        body = {
            "sub": who.token_id,
            "role": who.role.value,
            "agency": who.agency_id,
            "authority": who.authority_id,
            "exp": until,
        }
        payload = base64.urlsafe_b64encode(json.dumps(body, sort_keys=True).encode()).decode()
        return f"{SESSION_PREFIX}{payload}.{self._mac(payload)}"

    def session_principal(self, cookie: str, now: float | None = None) -> Principal | None:
        """The principal of a session cookie this server signed and that has not expired."""
        payload, _, mac = cookie.removeprefix(SESSION_PREFIX).rpartition(".")
        if not payload or not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            body = json.loads(base64.urlsafe_b64decode(payload))
            if float(body["exp"]) <= (time.time() if now is None else now):
                return None
            return Principal(
                token_id=str(body["sub"]),
                role=Role(body["role"]),
                agency_id=body.get("agency"),
                authority_id=body.get("authority"),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def session_end(self, id_token_exp: int, now: float | None = None) -> int:
        """When a session begun now ends: the configured length, not after the ID token."""
        started = time.time() if now is None else now
        return min(int(started) + self.session_minutes * 60, id_token_exp)

    def _mac(self, payload: str) -> str:
        return hmac.new(self.session_key, payload.encode(), hashlib.sha256).hexdigest()


def _table(raw: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    table = raw.get(name, {})
    if not isinstance(table, Mapping):
        raise ValidationError(f"[{name}] in the OpenID configuration must be a table")
    return table


# -- the provider ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Started:
    """An authorization request on its way: where to send the person, and what to keep."""

    url: str
    state: str
    nonce: str
    verifier: str


class Provider:
    """The provider's endpoints, found once, and the two requests the console makes to it."""

    def __init__(self, settings: OidcSettings, *, timeout: float = 10.0) -> None:
        self.settings = settings
        self._timeout = timeout
        self._metadata: dict[str, Any] | None = None

    def metadata(self) -> dict[str, Any]:
        if self._metadata is None:
            url = f"{self.settings.issuer}/.well-known/openid-configuration"
            found = self._get_json(url)
            if found.get("issuer") != self.settings.issuer:
                raise SignInFailed(f"{url} names issuer {found.get('issuer')!r}")
            for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(found.get(endpoint), str):
                    raise SignInFailed(f"{url} gives no {endpoint}")
            self._metadata = found
        return self._metadata

    def start(self, redirect_uri: str) -> Started:
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        query = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(self.settings.scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        endpoint = str(self.metadata()["authorization_endpoint"])
        separator = "&" if "?" in endpoint else "?"
        return Started(
            url=endpoint + separator + urlencode(query), state=state, nonce=nonce, verifier=verifier
        )

    def finish(self, code: str, redirect_uri: str, *, nonce: str, verifier: str) -> dict[str, Any]:
        """Exchange ``code`` for tokens; the verified ID token's claims (or ``SignInFailed``)."""
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        auth: tuple[str, str] | None = None
        if self.settings.client_secret is None:
            data["client_id"] = self.settings.client_id
        else:
            auth = (self.settings.client_id, self.settings.client_secret)
        try:
            response = httpx.post(
                str(self.metadata()["token_endpoint"]), data=data, auth=auth, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            raise SignInFailed(f"the token endpoint cannot be reached: {exc}") from None
        if response.status_code != 200:
            raise SignInFailed(f"the token endpoint answered {response.status_code}")
        try:
            tokens = response.json()
        except ValueError:
            raise SignInFailed("the token endpoint answered with no JSON") from None
        id_token = tokens.get("id_token") if isinstance(tokens, dict) else None
        if not isinstance(id_token, str):
            raise SignInFailed("the token endpoint gave no ID token")
        return self.verify(id_token, nonce=nonce)

    def verify(self, id_token: str, *, nonce: str, now: int | None = None) -> dict[str, Any]:
        jwks = self._get_json(str(self.metadata().get("jwks_uri")))
        try:
            keys = KeySet.import_key_set(cast("KeySetSerialization", jwks))
            token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
            jwt.JWTClaimsRegistry(
                now=now,
                leeway=LEEWAY,
                iss={"essential": True, "value": self.settings.issuer},
                aud={"essential": True, "value": self.settings.client_id},
                exp={"essential": True},
                sub={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(token.claims)
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise SignInFailed(f"the ID token was refused: {type(exc).__name__}: {exc}") from None
        claims = dict(token.claims)
        audience = claims.get("aud")
        several = isinstance(audience, list) and len(audience) > 1
        if several and claims.get("azp") != self.settings.client_id:
            raise SignInFailed("the ID token names several audiences and another azp")
        return claims

    def end_session_url(self, post_logout_redirect_uri: str) -> str | None:
        """Where to send the person to sign out of the provider too, if it says so."""
        try:
            endpoint = self.metadata().get("end_session_endpoint")
        except SignInFailed:
            return None
        if not isinstance(endpoint, str):
            return None
        query = urlencode(
            {
                "client_id": self.settings.client_id,
                "post_logout_redirect_uri": post_logout_redirect_uri,
            }
        )
        return endpoint + ("&" if "?" in endpoint else "?") + query

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = httpx.get(url, timeout=self._timeout)
            response.raise_for_status()
            found = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SignInFailed(f"{url} cannot be read: {exc}") from None
        if not isinstance(found, dict):
            raise SignInFailed(f"{url} is not a JSON object")
        return found
