"""Schemathesis against a real server: no 5xx, and every response as the OpenAPI document says.

One test per operation and role (schemathesis parametrizes over the document), each sending
at most ten generated requests (valid and invalid data), authenticated first as an overseer
(reads everything, may change nothing) and then as an analyst (may change items, releases and
events). Checked on every response: not a server error, a documented status code, a documented
content type, a body that matches the documented schema, and the one error shape on every 4xx.

The whole run is made on a SQLite file and on a PostgreSQL database (``server_backend``).

Then a stateful run: schemathesis's state machine chains operations through OpenAPI links
(those it infers from the document, plus the ones ``LINKS`` adds so that every operation is a
step of some chain), each step sent with a token of a role that may call it, so that
the chains reach past 403 into real objects: an order issued, then amended, lifted, simulated.

The document is built from the application in-process, because schemathesis's lazy fixture
loader does not run under pytest 9 (it sets ``request.node._nodeid``, which pytest 9 removed);
``test_the_fuzzed_document_is_the_one_the_server_serves`` checks that it is the very document the
live server serves, so nothing is fuzzed that the server does not publish.
"""

from __future__ import annotations

import copy
import json
import os
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, seed, settings
from hypothesis.errors import Flaky
from hypothesis.stateful import get_state_machine_test
from schemathesis import APIOperation, Case, CheckContext, Response
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err, Ok
from schemathesis.generation.stateful.state_machine import normalize_name
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from garante.api.app import PREFIX, create_app
from garante.service.app import Garante
from tests.api.test_authorization import MATRIX
from tests.support import reach
from tests.support.servers import Server, running_server
from tests.support.stores import new_store


def _document() -> dict[str, Any]:
    """The OpenAPI document of the application, built over an empty in-memory store."""
    garante = Garante.open("sqlite://")
    try:
        return create_app(garante).openapi()
    finally:
        garante.close()


DOCUMENT = _document()

# A fixed seed makes a run reproducible; GARANTE_FUZZ_SEED=<int> explores other inputs.
SEED = int(os.environ.get("GARANTE_FUZZ_SEED", "20251111"))
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        # Positive and negative data; ten generated requests per operation.
        "generation": {"max-examples": 10, "mode": "all"},
        # The coverage phase enumerates boundary cases without a bound on their number; the
        # stateful phase does not run under pytest. Examples (none are declared) and fuzzing run.
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)
Operation = APIOperation[Any, Any, Any, Any]
OpenAPICase = Case[Operation]

SHAPE = {"code", "message", "field", "hint"}


def error_shape(ctx: CheckContext, response: Response, case: OpenAPICase) -> bool | None:
    """Every 4xx is the one error shape of docs/errors.md: JSON, code and message, all strings."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = response.headers.get("content-type") or [""]
    media = content_type[0] if isinstance(content_type, list) else content_type
    assert media == "application/json", f"{case.operation.label}: a {media} error"
    body = json.loads(response.content)
    assert isinstance(body, dict), body
    assert {"code", "message"} <= body.keys() <= SHAPE, body
    assert all(isinstance(value, str) and value for value in body.values()), body
    return None


def not_an_undocumented_server_error(
    ctx: CheckContext, response: Response, case: OpenAPICase
) -> bool | None:
    """No 5xx, but the one a pull documents: its source's upstream could not be read (502
    ``source.upstream_failed``, the failure recorded as the source's last error)."""
    if response.status_code == 502 and case.path.endswith("/pull"):
        assert json.loads(response.content)["code"] == "source.upstream_failed"
        return None
    return not_a_server_error(ctx, response, case)


CHECKS = [
    not_an_undocumented_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    error_shape,
]


@pytest.fixture(scope="module")
def fuzzed_server(request: pytest.FixtureRequest, server_backend: str) -> Iterator[Server]:
    """The demo, served on each store: PostgreSQL refuses a NUL in any text, which the
    generated strings carry, so both must answer 4xx where SQLite alone would store it."""
    # Sources it adds may be folders under the temporary directory and hosts on loopback, so
    # that its state machine reaches a source's pause, resume, remove and pull.
    store = new_store(request, server_backend, "fuzz")
    with running_server(store, demo=True, extra=reach.serve_options()) as server:
        yield server


@pytest.fixture(scope="module")
def tokens(fuzzed_server: Server) -> dict[str, str]:
    return {
        "overseer": fuzzed_server.token("overseer", agency="dipol"),
        "analyst": fuzzed_server.token("analyst", agency="dipol"),
    }


def _call_and_validate(case: OpenAPICase, server: Server, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    response = case.call(base_url=server.url, headers=headers)
    case.validate_response(response, checks=CHECKS, headers=headers)


def test_the_fuzzed_document_is_the_one_the_server_serves(fuzzed_server: Server) -> None:
    served = httpx.get(f"{fuzzed_server.api}/openapi.json")
    assert served.status_code == 200
    assert served.json() == DOCUMENT


def _operation(result: Ok[Operation] | Err[InvalidSchema]) -> Operation:
    if isinstance(result, Err):
        raise result.err()
    return result.ok()


def test_every_operation_is_fuzzed() -> None:
    operations = {
        (method.upper(), path) for path, methods in DOCUMENT["paths"].items() for method in methods
    }
    fuzzed = {(o.method.upper(), o.path) for o in map(_operation, schema.get_all_operations())}
    assert fuzzed == operations


@schema.parametrize()
def test_overseer_requests_get_documented_responses_and_no_5xx(
    case: OpenAPICase, fuzzed_server: Server, tokens: dict[str, str]
) -> None:
    _call_and_validate(case, fuzzed_server, tokens["overseer"])


@schema.parametrize()
def test_analyst_requests_get_documented_responses_and_no_5xx(
    case: OpenAPICase, fuzzed_server: Server, tokens: dict[str, str]
) -> None:
    _call_and_validate(case, fuzzed_server, tokens["analyst"])


# -- stateful ----------------------------------------------------------------------------------

# Links the inference does not find, so that every operation of the document is a step of the
# state machine: (source operationId, status, target operationId, parameters).
LINKS: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    ("health_api_v1_health_get", "200", "me_api_v1_me_get", {}),
    ("health_api_v1_health_get", "200", "held_queue_api_v1_held_get", {}),
    ("health_api_v1_health_get", "200", "request_release_api_v1_releases_post", {}),
    ("health_api_v1_health_get", "200", "request_releases_api_v1_releases_batch_post", {}),
    ("health_api_v1_health_get", "200", "record_event_api_v1_events_post", {}),
    ("health_api_v1_health_get", "200", "draft_event_api_v1_events_draft_post", {}),
    ("health_api_v1_health_get", "200", "report_outcome_api_v1_outcomes_post", {}),
    ("health_api_v1_health_get", "200", "partner_report_api_v1_reports_partners_get", {}),
    ("health_api_v1_health_get", "200", "log_key_api_v1_audit_key_get", {}),
    ("health_api_v1_health_get", "200", "latest_checkpoint_api_v1_audit_checkpoint_get", {}),
    (
        "health_api_v1_health_get",
        "200",
        "consistency_api_v1_audit_proof_consistency_get",
        {"query.new": "$response.body#/ledger_size"},
    ),
    (
        "health_api_v1_health_get",
        "200",
        "entries_api_v1_audit_entries_get",
        {"query.end": "$response.body#/ledger_size"},
    ),
    (
        "latest_checkpoint_api_v1_audit_checkpoint_get",
        "200",
        "inclusion_api_v1_audit_proof_inclusion_get",
        {"query.size": "$response.body#/size"},
    ),
    (
        "add_item_api_v1_items_post",
        "201",
        "item_versions_api_v1_items__item_id__versions_get",
        {"path.item_id": "$response.body#/id"},
    ),
    ("record_event_api_v1_events_post", "201", "list_events_api_v1_events_get", {}),
    (
        "record_event_api_v1_events_post",
        "201",
        "refresh_conditions_api_v1_conditions_refresh_post",
        {},
    ),
    (
        "request_release_api_v1_releases_post",
        "201",
        "get_release_api_v1_releases__request_id__get",
        {"path.request_id": "$response.body#/request"},
    ),
    (
        "request_release_api_v1_releases_post",
        "201",
        "release_decisions_api_v1_releases__request_id__decisions_get",
        {"path.request_id": "$response.body#/request"},
    ),
    (
        "request_release_api_v1_releases_post",
        "201",
        "recall_release_api_v1_releases__request_id__recall_post",
        {"path.request_id": "$response.body#/request"},
    ),
    ("request_release_api_v1_releases_post", "201", "report_outcome_api_v1_outcomes_post", {}),
    ("report_outcome_api_v1_outcomes_post", "201", "list_outcomes_api_v1_outcomes_get", {}),
    ("list_releases_api_v1_releases_get", "200", "list_outcomes_api_v1_outcomes_get", {}),
    ("list_orders_api_v1_orders_get", "200", "simulate_order_api_v1_orders_simulate_post", {}),
    ("list_agencies_api_v1_agencies_get", "200", "list_authorities_api_v1_authorities_get", {}),
    ("list_agencies_api_v1_agencies_get", "200", "list_standings_api_v1_standings_get", {}),
    ("list_agencies_api_v1_agencies_get", "200", "list_agreements_api_v1_agreements_get", {}),
    ("list_agencies_api_v1_agencies_get", "200", "make_agreement_api_v1_agreements_post", {}),
    (
        "list_agencies_api_v1_agencies_get",
        "200",
        "draft_agreement_api_v1_agreements_draft_post",
        {},
    ),
    (
        "list_agencies_api_v1_agencies_get",
        "200",
        "simulate_agreement_api_v1_agreements_simulate_post",
        {},
    ),
    (
        "make_agreement_api_v1_agreements_post",
        "201",
        "get_agreement_api_v1_agreements__agreement_id__get",
        {"path.agreement_id": "$response.body#/agreement/id"},
    ),
    (
        "make_agreement_api_v1_agreements_post",
        "201",
        "draft_agreement_amendment_api_v1_agreements__agreement_id__amend_draft_post",
        {"path.agreement_id": "$response.body#/agreement/id"},
    ),
    (
        "make_agreement_api_v1_agreements_post",
        "201",
        "amend_agreement_api_v1_agreements__agreement_id__amend_post",
        {"path.agreement_id": "$response.body#/agreement/id"},
    ),
    (
        "make_agreement_api_v1_agreements_post",
        "201",
        "suspend_agreement_api_v1_agreements__agreement_id__suspend_post",
        {"path.agreement_id": "$response.body#/agreement/id"},
    ),
    (
        "make_agreement_api_v1_agreements_post",
        "201",
        "resume_agreement_api_v1_agreements__agreement_id__resume_post",
        {"path.agreement_id": "$response.body#/agreement/id"},
    ),
    (
        "make_agreement_api_v1_agreements_post",
        "201",
        "end_agreement_api_v1_agreements__agreement_id__end_post",
        {"path.agreement_id": "$response.body#/agreement/id"},
    ),
    (
        "register_authority_api_v1_authorities_post",
        "201",
        "list_authorities_api_v1_authorities_get",
        {},
    ),
    ("health_api_v1_health_get", "200", "add_source_api_v1_sources_post", {}),
    # The witnesses the log takes cosignatures from, and a witness's cosignature.
    ("health_api_v1_health_get", "200", "witnesses_api_v1_audit_witnesses_get", {}),
    ("health_api_v1_health_get", "200", "add_witness_api_v1_audit_witnesses_post", {}),
    (
        "add_witness_api_v1_audit_witnesses_post",
        "201",
        "remove_witness_api_v1_audit_witnesses__witness_id__remove_post",
        {"path.witness_id": "$response.body#/id"},
    ),
    (
        "latest_checkpoint_api_v1_audit_checkpoint_get",
        "200",
        "take_cosignature_api_v1_audit_cosignatures_post",
        {},
    ),
    # A receipt of the log's last entry, and the recalls no partner has acknowledged yet.
    (
        "latest_checkpoint_api_v1_audit_checkpoint_get",
        "200",
        "receipt_api_v1_receipts__index__get",
        {"path.index": "$response.body#/size"},
    ),
    (
        "health_api_v1_health_get",
        "200",
        "unacknowledged_recalls_api_v1_recalls_unacknowledged_get",
        {},
    ),
    # Consent to share onward: asked, listed, read, granted or refused.
    ("health_api_v1_health_get", "200", "request_consent_api_v1_consents_post", {}),
    ("request_consent_api_v1_consents_post", "201", "list_consents_api_v1_consents_get", {}),
    *(
        (
            "request_consent_api_v1_consents_post",
            "201",
            target,
            {"path.consent_id": "$response.body#/consent/id"},
        )
        for target in (
            "get_consent_api_v1_consents__consent_id__get",
            "grant_consent_api_v1_consents__consent_id__grant_post",
            "refuse_consent_api_v1_consents__consent_id__refuse_post",
        )
    ),
    ("add_source_api_v1_sources_post", "201", "list_sources_api_v1_sources_get", {}),
    *(
        (
            "add_source_api_v1_sources_post",
            "201",
            f"{act}_source_api_v1_sources__source_id_{suffix}",
            {"path.source_id": "$response.body#/id"},
        )
        for act, suffix in (
            ("get", "_get"),
            ("pause", "_pause_post"),
            ("resume", "_resume_post"),
            ("remove", "_remove_post"),
            ("pull", "_pull_post"),
        )
    ),
)


def _linked_document() -> dict[str, Any]:
    document = copy.deepcopy(DOCUMENT)
    operations = {
        op["operationId"]: op for methods in document["paths"].values() for op in methods.values()
    }
    for source, status, target, parameters in LINKS:
        assert target in operations, target
        links = operations[source]["responses"][status].setdefault("links", {})
        links[f"to_{target}"] = {"operationId": target, "parameters": parameters}
    return document


# The role each step is sent as: the first of these that may call the operation.
PREFERENCE = ("analyst", "authority", "liaison", "overseer", "partner")
STATEFUL_STEPS = int(os.environ.get("GARANTE_FUZZ_STEPS", "15"))
STATEFUL_SCENARIOS = int(os.environ.get("GARANTE_FUZZ_SCENARIOS", "40"))
STATEFUL_BUDGET = 60.0  # seconds: scenarios stop there, however many ran
STATEFUL_CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {"mode": "all"},
        # Links come from LINKS and from schemathesis's dependency analysis of the document.
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": True}},
    }
)
stateful_schema = schemathesis.openapi.from_dict(_linked_document(), config=STATEFUL_CONFIG)


def _role_of(method: str, path: str) -> str:
    row = next(r for r in MATRIX if r.method == method and PREFIX + r.path == path)
    return next(role for role in PREFERENCE if role in row.allowed)


@pytest.fixture(scope="module")
def role_tokens(fuzzed_server: Server, tokens: dict[str, str]) -> dict[str, str]:
    return {
        **tokens,
        "authority": fuzzed_server.token("authority", authority="presidency"),
        "liaison": fuzzed_server.token("liaison", agency="dipol"),
        "partner": fuzzed_server.token("partner", agency="hsi"),
    }


def test_every_operation_is_a_step_of_the_state_machine() -> None:
    # Rules are named after the operations they chain (normalized as schemathesis does).
    rules = " ".join(dir(stateful_schema.as_state_machine()))
    missing = [
        f"{method.upper()} {path}"
        for path, methods in DOCUMENT["paths"].items()
        for method in methods
        if normalize_name(f"{method.upper()} {path}") not in rules
    ]
    assert not missing, f"give these operations a link in LINKS: {missing}"


def test_stateful_chains_of_calls_get_documented_responses_and_no_5xx(
    fuzzed_server: Server, role_tokens: dict[str, str]
) -> None:
    """Scenarios of chained calls; every response passes CHECKS, every failure is listed.

    The server keeps its state from one scenario to the next, so Hypothesis cannot replay a
    scenario (to shrink it) and meet the same answers: failures are collected, not raised,
    each with the curl command that shows it, and a run Hypothesis stops as flaky is followed
    by another with the next seed until enough scenarios ran.
    """
    called: set[str] = set()
    failures: list[str] = []
    scenarios = 0

    class Machine(stateful_schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: OpenAPICase) -> dict[str, Any]:
            token = role_tokens[_role_of(case.method.upper(), case.path)]
            return {"base_url": fuzzed_server.url, "headers": {"Authorization": f"Bearer {token}"}}

        def validate_response(
            self,
            response: Response,
            case: OpenAPICase,
            additional_checks: Any = None,
            **kwargs: Any,
        ) -> None:
            called.add(f"{case.method.upper()} {case.path}")
            try:
                case.validate_response(response, checks=CHECKS, headers=kwargs.get("headers"))
            except (AssertionError, FailureGroup) as failure:
                curl = case.as_curl_command(headers=dict(response.request.headers))
                failures.append(f"{case.operation.label}: {failure}\n    {curl}")

        def teardown(self) -> None:
            nonlocal scenarios
            scenarios += 1

    deadline = time.monotonic() + STATEFUL_BUDGET
    attempt = 0
    while scenarios < STATEFUL_SCENARIOS and time.monotonic() < deadline:
        run = get_state_machine_test(
            Machine,
            settings=settings(
                max_examples=STATEFUL_SCENARIOS - scenarios,
                stateful_step_count=STATEFUL_STEPS,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.generate],
            ),
        )
        attempt += 1
        try:
            seed(SEED + attempt)(run)()
        except Flaky:
            continue  # a step met another state than Hypothesis recorded; go on with a new seed
    print(f"stateful: {scenarios} scenarios, {attempt} runs, {len(called)} operations called")
    assert not failures, "\n".join(failures)
    assert scenarios >= min(STATEFUL_SCENARIOS, 5), f"only {scenarios} scenarios ran"
    # The chains reach into most operations (the rest are reached with other seeds).
    assert len(called) >= len(DOCUMENT["paths"]) // 2, sorted(called)
