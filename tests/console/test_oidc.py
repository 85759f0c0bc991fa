"""Sign-in through an OpenID provider: a real ``oidc-provider`` (tests/support/oidc), the console
in process. The claims map to a role, an agency or an authority; a bad ID token, claims that
map to nothing and a session past its end sign no one in."""

from __future__ import annotations

import html
import logging
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from garante.api.app import create_app
from garante.console.oidc import OidcSettings
from garante.domain.errors import ValidationError
from garante.domain.roles import Principal, Role
from garante.service.app import Garante
from tests.console.pages import BASE, Console, csrf
from tests.support.oidc import CLIENT_ID, settings_toml
from tests.support.stores import Store

ANALYST = Principal(token_id="oidc:analyst", role=Role.ANALYST, agency_id="dipol")


def _cookies(response: object) -> str:
    return ",".join(response.headers.get_list("set-cookie"))  # type: ignore[attr-defined]


def _session(console: Console) -> str | None:
    found: str | None = console.client.cookies.get("garante_session")
    return found


def test_the_sign_in_page_offers_the_provider_beside_the_token(oidc_console: Console) -> None:
    html = oidc_console.client.get("/signin").text
    assert 'id="token"' in html
    assert "Sign in with Test provider" in html


def test_the_provider_is_asked_for_a_code_with_pkce_state_and_nonce(
    oidc_console: Console,
) -> None:
    start = oidc_console.client.get("/signin/oidc", follow_redirects=False)
    asked = parse_qs(urlsplit(start.headers["location"]).query)
    assert asked["response_type"] == ["code"]
    assert asked["client_id"] == [CLIENT_ID]
    assert asked["code_challenge_method"] == ["S256"]
    assert len(asked["code_challenge"][0]) == 43
    assert asked["state"] and asked["nonce"]
    assert "SameSite=lax" in _cookies(start) or "SameSite=Lax" in _cookies(start)


def test_an_analyst_signs_in_and_acts_for_the_mapped_agency(oidc_console: Console) -> None:
    done = oidc_console.sign_in_oidc("analyst")
    assert done.status_code == 200
    assert 'content="0;url=/partners"' in done.text
    cookie = _cookies(done)
    assert "HttpOnly" in cookie and ("SameSite=strict" in cookie or "SameSite=Strict" in cookie)
    page = oidc_console.client.get("/partners", follow_redirects=False)
    assert page.status_code == 200
    assert "analyst" in page.text and "dipol" in page.text


def test_an_authority_signs_in_for_its_authority(oidc_console: Console) -> None:
    oidc_console.sign_in_oidc("authority")
    page = oidc_console.client.get("/orders/new", follow_redirects=False)
    assert page.status_code == 200
    assert "presidency" in page.text


def test_a_partner_lands_on_its_releases(oidc_console: Console) -> None:
    done = oidc_console.sign_in_oidc("partner")
    assert 'content="0;url=/releases"' in done.text


def test_the_session_ends_no_later_than_its_configured_length(oidc_console: Console) -> None:
    done = oidc_console.sign_in_oidc("overseer")
    age = re.search(r"garante_session=[^;]+;.*?Max-Age=(\d+)", _cookies(done), re.I)
    assert age is not None
    assert 3500 <= int(age.group(1)) <= 3600  # the test configuration: 60 minutes


@pytest.mark.parametrize("account", ["tampered", "expired"])
def test_a_bad_id_token_is_refused_with_a_page_and_no_session(
    oidc_console: Console, account: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="garante.console.oidc"):
        done = oidc_console.sign_in_oidc(account)
    assert done.status_code == 401
    assert "Sign-in refused" in done.text
    assert "Traceback" not in done.text
    assert "garante_session=" not in _cookies(done)
    assert _session(oidc_console) is None
    assert "the ID token was refused" in caplog.text


@pytest.mark.parametrize("account", ["no-role", "unknown-agency"])
def test_claims_that_map_to_no_principal_are_refused(oidc_console: Console, account: str) -> None:
    done = oidc_console.sign_in_oidc(account)
    assert done.status_code == 403
    assert "No Garante role" in done.text
    assert "garante_session=" not in _cookies(done)


def test_a_callback_with_another_state_is_refused(oidc_console: Console) -> None:
    assert oidc_console.provider is not None
    start = oidc_console.client.get("/signin/oidc", follow_redirects=False)
    back = oidc_console.provider.log_in(start.headers["location"], "analyst", "http://testserver")
    forged = re.sub(r"state=[^&]+", "state=forged", back.removeprefix("http://testserver"))
    done = oidc_console.client.get(forged, follow_redirects=False)
    assert done.status_code == 400
    assert "garante_session=" not in _cookies(done)


def test_a_callback_without_a_sign_in_under_way_is_refused(oidc_console: Console) -> None:
    done = oidc_console.client.get("/signin/oidc/callback?code=x&state=y", follow_redirects=False)
    assert done.status_code == 400
    assert "Sign-in refused" in done.text


def test_a_session_past_its_end_is_refused(oidc_console: Console) -> None:
    assert oidc_console.provider is not None
    ended = oidc_console.provider.settings().session_cookie(ANALYST, int(time.time()) - 1)
    oidc_console.client.cookies.set("garante_session", ended)
    page = oidc_console.client.get("/partners", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/signin")


def test_a_session_cookie_signed_with_another_key_is_refused(oidc_console: Console) -> None:
    assert oidc_console.provider is not None
    other = OidcSettings.parse(
        {**_raw(oidc_console.provider.issuer), "session": {"key": "x" * 40}}, {}
    )
    forged = other.session_cookie(
        Principal(token_id="oidc:x", role=Role.AUTHORITY, authority_id="presidency"),
        int(time.time()) + 600,
    )
    oidc_console.client.cookies.set("garante_session", forged)
    assert oidc_console.client.get("/partners", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session_and_the_providers(oidc_console: Console) -> None:
    assert oidc_console.provider is not None
    oidc_console.sign_in_oidc("overseer")
    token = csrf(oidc_console.client.get("/partners").text)
    out = oidc_console.client.post("/signout", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 200
    moved = re.search(r'content="0;url=([^"]+)"', out.text)
    assert moved is not None
    target = html.unescape(moved.group(1))
    assert target.startswith(f"{oidc_console.provider.issuer}/session/end?")
    assert "post_logout_redirect_uri=http%3A%2F%2Ftestserver%2Fsignin" in target
    assert 'garante_session=""' in _cookies(out) or "Max-Age=0" in _cookies(out)
    assert oidc_console.client.get("/partners", follow_redirects=False).status_code == 303


def test_token_sign_in_keeps_working_beside_the_provider(oidc_console: Console) -> None:
    oidc_console.client.cookies.clear()
    form = oidc_console.client.get("/signin")
    nonce = re.search(r'name="nonce" value="([^"]+)"', form.text)
    assert nonce is not None
    signed = oidc_console.client.post(
        "/signin",
        data={"token": oidc_console.tokens["liaison"], "nonce": nonce.group(1), "next": "/"},
        follow_redirects=False,
    )
    assert signed.status_code == 303
    token = csrf(oidc_console.client.get("/partners").text)
    out = oidc_console.client.post("/signout", data={"csrf": token}, follow_redirects=False)
    assert out.headers["location"] == "/signin"  # not the provider's: no OpenID session


def test_without_a_provider_the_openid_routes_say_so(console: Console) -> None:
    assert console.client.get("/signin/oidc", follow_redirects=False).status_code == 404
    assert "signin-oidc" not in console.client.get("/signin").text


def test_a_provider_that_cannot_be_reached_gets_a_page(demo_store: Path, tmp_path: Path) -> None:
    settings = OidcSettings.parse(_raw("http://127.0.0.1:9"), {})  # the discard port: closed
    garante = Garante.open(f"sqlite:///{Store.sqlite(demo_store).copy(tmp_path).db}")
    with TestClient(create_app(garante, oidc=settings), base_url=BASE) as client:
        response = client.get("/signin/oidc", follow_redirects=False)
    garante.close()
    assert response.status_code == 502
    assert "Identity provider unavailable" in response.text


# -- the configuration -------------------------------------------------------------------------


def _raw(issuer: str) -> dict[str, object]:
    import tomllib

    return dict(tomllib.loads(settings_toml(issuer)))


def test_the_session_never_outlives_the_id_token() -> None:
    settings = OidcSettings.parse(_raw("http://127.0.0.1:1"), {})
    assert settings.session_end(id_token_exp=1_000_600, now=1_000_000) == 1_000_600
    assert settings.session_end(id_token_exp=9_000_000, now=1_000_000) == 1_000_000 + 3600


def test_no_claim_may_map_to_the_operator() -> None:
    raw = _raw("http://127.0.0.1:1")
    raw["roles"] = {"admins": "operator"}
    with pytest.raises(ValidationError):
        OidcSettings.parse(raw, {})


def test_a_short_session_key_is_refused() -> None:
    raw = _raw("http://127.0.0.1:1")
    raw["session"] = {"key": "short"}
    with pytest.raises(ValidationError, match="session key"):
        OidcSettings.parse(raw, {})


def test_the_secrets_may_come_from_the_environment(tmp_path: Path) -> None:
    raw = _raw("http://127.0.0.1:1")
    raw["session"] = {"minutes": 5}
    env = {"GARANTE_OIDC_SESSION_KEY": "k" * 32, "GARANTE_OIDC_CLIENT_SECRET": "s3cret"}
    settings = OidcSettings.parse(raw, env)
    assert settings.client_secret == "s3cret"
    assert settings.session_key == b"k" * 32


def test_the_configuration_docs_deploy_shows_is_one_serve_reads() -> None:
    import tomllib

    deploy = (Path(__file__).parents[2] / "docs" / "deploy.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(# /etc/garante/oidc.toml\n.*?)```", deploy, re.S)
    assert block is not None
    settings = OidcSettings.parse(
        tomllib.loads(block.group(1)), {"GARANTE_OIDC_SESSION_KEY": "k" * 64}
    )
    assert settings.roles["garante-liaison"] == Role.LIAISON
    assert settings.client_secret is None
    assert settings.principal(
        {"sub": "ana", "garante_groups": ["garante-analysts"], "agency": "Police Directorate"}
    ) == Principal(token_id="oidc:ana", role=Role.ANALYST, agency_id="dipol")
