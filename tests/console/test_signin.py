"""Sign-in with an API token, the session cookie, CSRF, sign-out and the language switch."""

from __future__ import annotations

import pytest

from tests.console.pages import Console, csrf, nonce


def _sign_in(console: Console, token: str, *, next_path: str = "/") -> tuple[int, str, str]:
    form = console.client.get("/signin")
    response = console.client.post(
        "/signin",
        data={"token": token, "nonce": nonce(form.text), "next": next_path},
        follow_redirects=False,
    )
    return (
        response.status_code,
        response.headers.get("location", ""),
        ",".join(response.headers.get_list("set-cookie")),
    )


def test_a_page_without_a_session_redirects_to_sign_in(console: Console) -> None:
    response = console.client.get("/held?after=3", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Fheld%3Fafter%3D3"


def test_sign_in_keeps_the_token_in_an_httponly_strict_cookie(console: Console) -> None:
    status, location, cookie = _sign_in(console, console.tokens["authority"])
    assert status == 303
    assert location == "/partners"
    assert "garante_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain http in tests; https sets Secure


def test_sign_in_over_https_sets_a_secure_cookie(console: Console) -> None:
    console.client.base_url = "https://testserver"
    _, _, cookie = _sign_in(console, console.tokens["overseer"])
    assert "Secure" in cookie


def test_sign_in_goes_back_to_the_page_asked_for(console: Console) -> None:
    _, location, _ = _sign_in(console, console.tokens["overseer"], next_path="/held")
    assert location == "/held"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_sign_in_never_redirects_off_site(console: Console, target: str) -> None:
    _, location, _ = _sign_in(console, console.tokens["overseer"], next_path=target)
    assert location == "/partners"


def test_a_partner_lands_on_its_releases(console: Console) -> None:
    _, location, _ = _sign_in(console, console.tokens["partner"])
    assert location == "/releases"


def test_an_unknown_token_is_refused_without_a_cookie(console: Console) -> None:
    status, _, cookie = _sign_in(console, "gar_" + "x" * 43)
    assert status == 401
    assert "garante_session=" not in cookie


def test_sign_in_refuses_a_form_without_its_nonce(console: Console) -> None:
    """Login CSRF: another site cannot post the form, as it cannot read or send the nonce."""
    console.client.get("/signin")
    response = console.client.post(
        "/signin",
        data={"token": console.tokens["authority"], "nonce": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "garante_session=" not in ",".join(response.headers.get_list("set-cookie"))


def test_a_revoked_token_signs_the_console_out(console: Console) -> None:
    console.sign_in("overseer")
    assert console.client.get("/partners", follow_redirects=False).status_code == 200
    who = console.garante.authenticate(console.tokens["overseer"])
    console.garante.revoke_token(who.token_id)
    response = console.client.get("/partners", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin")


def test_sign_out_clears_the_cookie(console: Console) -> None:
    console.sign_in("overseer")
    token = console.csrf()
    response = console.client.post("/signout", data={"csrf": token}, follow_redirects=False)
    assert response.status_code == 303
    assert 'garante_session=""' in response.headers["set-cookie"]
    console.client.cookies.clear()
    assert console.client.get("/partners", follow_redirects=False).status_code == 303


def test_sign_out_needs_the_csrf_token(console: Console) -> None:
    console.sign_in("overseer")
    response = console.client.post("/signout", data={"csrf": "nope"}, follow_redirects=False)
    assert response.status_code == 403


def test_the_csrf_token_is_bound_to_the_session(console: Console) -> None:
    console.sign_in("overseer")
    first = console.csrf()
    console.sign_in("authority")
    assert console.csrf() != first


def test_pages_carry_a_strict_content_security_policy(console: Console) -> None:
    console.sign_in("overseer")
    response = console.client.get("/partners")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


def test_the_language_switch_remembers_spanish(console: Console) -> None:
    console.sign_in("overseer")
    response = console.client.get("/language/es?next=/held", follow_redirects=False)
    assert response.headers["location"] == "/held"
    page = console.client.get("/held")
    assert '<html lang="es">' in page.text
    assert "Cola retenida" in page.text


def test_the_browser_language_is_the_default(console: Console) -> None:
    page = console.client.get("/signin", headers={"Accept-Language": "es-CO,es;q=0.9"})
    assert '<html lang="es">' in page.text
    assert "Iniciar sesión" in page.text


def test_the_sign_in_form_is_labelled(console: Console) -> None:
    page = console.client.get("/signin").text
    assert '<label for="token">' in page
    assert 'id="token"' in page
    assert csrf is not None
