"""Fixtures: a real ``garante serve`` per test module, on a copy of one replayed demo store.

The November 2025 scenario is replayed once per session, partner tokens are added to that
store, and each module serves its own copy of it (``running_server`` from tests/support/servers.py):
a module may release, order and recall on its server without touching another module's.
Replaying once and copying keeps the whole TAXII suite well under a minute.

The replayed store keeps its clock pinned at the scenario's end (13 November 2025, 23:00Z), so
everything the tests do through the CLI happens "then"; date_added still strictly increases
within a feed, one microsecond at a time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.servers import running_server
from tests.support.stores import BACKENDS, store_for
from tests.taxii.client import ANALYST_AGENCY, NEWCOMER, PARTNERS, Taxii, Template


@pytest.fixture(scope="session", params=BACKENDS)
def demo_template(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Template:
    """The replayed scenario, a newcomer agency, a partner token per foreign agency and an
    analyst token, on a SQLite file and on a PostgreSQL database.

    Tokens are made with the service the ``garante tokens create`` command calls, in this
    process: a CLI process per token would cost a second or two each.
    """
    store = store_for(
        request.param,
        tmp_path_factory.mktemp("taxii-template"),
        lambda: request.getfixturevalue("pg_cluster"),
    )
    store.replay_demo()
    with store.service("tests") as garante:
        garante.register_agency(NEWCOMER, name="Australian Federal Police", country="AU")
        tokens = {
            agency: garante.create_token(role="partner", agency_id=agency)[1] for agency in PARTNERS
        }
        tokens["analyst"] = garante.create_token(role="analyst", agency_id=ANALYST_AGENCY)[1]
    return Template(store=store, tokens=tokens)


@pytest.fixture(scope="module")
def taxii(
    demo_template: Template,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[Taxii]:
    """This module's own server, on its own copy of the replayed demo store."""
    store = demo_template.store.copy(
        tmp_path_factory.mktemp("taxii"), lambda: request.getfixturevalue("pg_cluster")
    )
    with running_server(store) as server:
        yield Taxii(server=server, tokens=dict(demo_template.tokens))
