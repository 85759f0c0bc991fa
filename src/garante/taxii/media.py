"""TAXII and STIX media types, and compact JSON."""

from __future__ import annotations

import json
from typing import Any

import orjson

TAXII_JSON = "application/taxii+json;version=2.1"
STIX_JSON = "application/stix+json;version=2.1"


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def encoded(value: Any) -> bytes:
    """``dumps(value)`` as the UTF-8 bytes of a response body, written by orjson in one step
    (the same text: compact, keys in insertion order, nothing escaped to ASCII), for the
    resources a page of many rows builds (manifest, versions)."""
    return orjson.dumps(value)


def acceptable(accept: str | None) -> bool:
    """Whether an Accept header admits TAXII 2.1 JSON (absent or wildcard admits it)."""
    if not accept:
        return True
    for part in accept.split(","):
        media = part.split(";")[0].strip().lower()
        params = part.lower().replace(" ", "")
        if media in ("*/*", "application/*", "application/json"):
            return True
        if media == "application/taxii+json" and (
            "version=" not in params or "version=2.1" in params
        ):
            return True
    return False
