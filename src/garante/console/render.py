"""Jinja2 templates for the console: autoescaped, translated, with security headers."""

from __future__ import annotations

from datetime import datetime
from importlib.resources import files
from typing import Any

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from garante import records
from garante.console.forms import OrderTerms
from garante.console.i18n import LANGUAGES, Lang, messages, translate
from garante.console.session import Viewer, language
from garante.domain.errors import GaranteError
from garante.domain.timeutil import parse_time

TEMPLATES = files("garante.console") / "templates"
STATIC = files("garante.console") / "static"

# Scripts and styles come only from the console's own files: no inline script or style, so an
# injected value can never run (the templates autoescape as well).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def when(value: str | datetime | None) -> str:
    """An instant as people read it: ``2025-11-13 23:00 UTC``."""
    if value is None or value == "":
        return "—"
    at = parse_time(value) if isinstance(value, str) else value
    return f"{at.year:04d}-{at:%m-%d %H:%M} UTC"  # %Y would not pad a year before 1000


def duration(seconds: float) -> str:
    """``2 d 4 h``, ``3 h 5 min``, ``40 min``; the units read the same in both languages."""
    seconds = int(seconds)
    days, rest = divmod(max(seconds, 0), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def input_time(value: str | None) -> str:
    """An instant as a ``datetime-local`` input wants it: ``2025-11-20T12:00`` (UTC); empty
    for a value sent back that is not one (a browser would empty the input anyway), so that
    a form shown again with its error still renders."""
    if not value:
        return ""
    try:
        at = parse_time(value)
    except GaranteError:
        return ""
    return f"{at.year:04d}-{at:%m-%dT%H:%M}"


def zip_self(values: list[str]) -> list[tuple[str, str]]:
    """Options whose label is their value (identifiers read the same in every language)."""
    return [(v, v) for v in values]


def agency_options(agencies: list[records.Agency]) -> list[tuple[str, str]]:
    return [(a.id, f"{a.name} ({a.id})") for a in agencies]


def as_terms(order: records.Order) -> OrderTerms:
    return OrderTerms.from_order(order)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["duration"] = duration
    env.filters["input_time"] = input_time
    env.filters["zip_self"] = zip_self
    env.filters["agency_options"] = agency_options
    env.filters["as_terms"] = as_terms
    env.globals["LANGUAGES"] = LANGUAGES
    return env


ENVIRONMENT = _environment()


def page(
    request: Request,
    template: str,
    *,
    viewer: Viewer | None,
    lang: Lang | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` for ``viewer`` (None on the sign-in page) in ``lang``: by default
    the viewer's language, or the one the request asks for."""
    if lang is None:
        lang = viewer.lang if viewer is not None else language(request)

    def t(key: str, **values: Any) -> str:
        return translate(lang, key, **values)

    html = ENVIRONMENT.get_template(template).render(
        request=request,
        viewer=viewer,
        lang=lang,
        t=t,
        path=request.url.path,
        query=str(request.url.query),
        js_messages=messages(lang, "js."),
        **context,
    )
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
