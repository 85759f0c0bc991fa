"""Static files: committed, served with their types, and nothing outside the folder."""

from __future__ import annotations

import pytest

from garante.console.render import STATIC
from tests.console.pages import Console


@pytest.mark.parametrize(
    ("path", "media"),
    [
        ("console.css", "text/css"),
        ("verify.js", "text/javascript"),
        ("audit.js", "text/javascript"),
        ("vendor/chartjs/chart.umd.min.js", "text/javascript"),
        ("vendor/noble-ed25519/index.js", "text/javascript"),
        ("vendor/noble-hashes/sha2.js", "text/javascript"),
    ],
)
def test_static_files_are_served_with_their_type(console: Console, path: str, media: str) -> None:
    response = console.client.get(f"/static/{path}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path", ["../session.py", "..%2Fsession.py", "vendor/../../app.py", ".hidden", "nope.js"]
)
def test_nothing_outside_the_static_folder_is_served(console: Console, path: str) -> None:
    assert console.client.get(f"/static/{path}").status_code == 404


@pytest.mark.parametrize("folder", ["chartjs", "noble-ed25519", "noble-hashes"])
def test_each_vendored_package_ships_its_licence(folder: str) -> None:
    names = [p.name for p in STATIC.joinpath("vendor", folder).iterdir()]
    assert any(name.startswith("LICENSE") for name in names)
