"""`garante agreements`: a liaison makes, previews, amends, suspends, resumes and ends a
partner's standing agreements from the command line; bad input is refused clearly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from garante.cli.main import app
from tests.support.scenario import scenario_bundle

runner = CliRunner()
SINCE = "2020-01-01T00:00:00Z"


def _run(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


def _json(db: Path, *args: str) -> Any:
    code, out, err = _run(db, "--json", *args)
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    """The DEA, and one amber Caribbean lead of DIPOL's already added."""
    path = tmp_path / "agreements.db"
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(scenario_bundle()))
    assert _run(path, "init")[0] == 0
    for agency, country in (("dipol", "CO"), ("dea", "US")):
        code, _out, err = _run(
            path, "agencies", "add", agency, "--name", agency, "--country", country
        )
        assert code == 0, err
    code, _out, err = _run(
        path,
        "items",
        "add",
        "co-lead",
        "--bundle",
        str(bundle),
        "--title",
        "A go-fast departure window",
        "--category",
        "maritime-interdiction",
        "--region",
        "caribbean",
        "--tlp",
        "amber",
        "--originator",
        "dipol",
    )
    assert code == 0, err
    yield path


def _make(db: Path, *options: str) -> tuple[int, str, str]:
    return _run(
        db, "agreements", "make", "dea", "--purposes", "seizure,arrest", "--tlp-ceiling", "amber",
        *options,
    )  # fmt: skip


def test_make_stores_an_agreement_that_list_and_show_give_back(db: Path) -> None:
    code, out, err = _make(db, "--regions", "caribbean")
    assert code == 0, err
    assert "Made agreement dea-ag-1 for dea" in out and "regions caribbean" in out
    listed = _json(db, "agreements", "list")
    assert [(a["id"], a["partner"], a["status"]) for a in listed] == [("dea-ag-1", "dea", "active")]
    shown = _json(db, "agreements", "show", "dea-ag-1")
    assert shown["purposes"] == ["arrest", "seizure"] and shown["regions"] == ["caribbean"]
    code, out, _err = _run(db, "agreements", "show", "dea-ag-1")
    assert code == 0 and "categories: any" in out


def test_preview_counts_the_backfill_and_stores_nothing(db: Path) -> None:
    code, out, err = _make(db, "--backfill-from", SINCE, "--preview")
    assert code == 0, err
    assert "1 item covered, 2 requests to start" in out and "Nothing was stored." in out
    preview = _json(
        db, "agreements", "make", "dea", "--purposes", "seizure,arrest", "--tlp-ceiling", "amber",
        "--backfill-from", SINCE, "--preview",
    )  # fmt: skip
    assert (preview["items"], preview["requests"]) == (1, 2)
    assert preview["released"] + preview["held"] + preview["denied"] == 2
    assert _json(db, "agreements", "list") == []


def test_make_with_a_backfill_starts_and_prints_the_requests(db: Path) -> None:
    code, out, err = _make(db, "--backfill-from", SINCE)
    assert code == 0, err
    assert "Requests started (2):" in out and "co-lead → dea" in out
    made = _json(db, "agreements", "list")
    assert len(made) == 1


def test_make_as_json_answers_the_agreement_and_the_started_requests(db: Path) -> None:
    answer = _json(
        db, "agreements", "make", "dea", "--purposes", "seizure", "--tlp-ceiling", "red",
        "--id", "dea-maritime", "--backfill-from", SINCE,
    )  # fmt: skip
    assert answer["agreement"]["id"] == "dea-maritime"
    assert [(d["item"], d["purpose"]) for d in answer["started"]] == [("co-lead", "seizure")]


def test_preview_without_a_backfill_time_is_refused(db: Path) -> None:
    code, _out, err = _make(db, "--preview")
    assert code == 2
    assert "--preview shows what --backfill-from would start" in err
    assert "field: backfill_from" in err


def test_an_unknown_tlp_ceiling_is_refused_with_the_markings_there_are(db: Path) -> None:
    code, _out, err = _run(
        db, "agreements", "make", "dea", "--purposes", "seizure", "--tlp-ceiling", "purple"
    )
    assert code == 2
    assert "unknown TLP marking 'purple'" in err and "amber+strict" in err
    assert _json(db, "agreements", "list") == []


def test_an_unknown_partner_is_refused_and_nothing_is_stored(db: Path) -> None:
    code, _out, err = _run(
        db, "--json", "agreements", "make", "dae", "--purposes", "seizure", "--tlp-ceiling", "amber"
    )
    assert code != 0
    error = json.loads(err)["error"]
    assert error["code"] == "agency.not_found" and error["field"] == "partner"
    assert _json(db, "agreements", "list") == []


def test_amend_changes_only_the_terms_given(db: Path) -> None:
    assert _make(db, "--regions", "caribbean")[0] == 0
    code, out, err = _run(
        db, "agreements", "amend", "dea-ag-1", "--reason", "the Pacific too",
        "--regions", "caribbean,pacific",
    )  # fmt: skip
    assert code == 0, err
    assert "version 2" in out
    shown = _json(db, "agreements", "show", "dea-ag-1")
    assert shown["regions"] == ["caribbean", "pacific"]
    assert shown["purposes"] == ["arrest", "seizure"] and shown["reason"] == "the Pacific too"


def test_amend_clears_a_dimension_only_when_asked(db: Path) -> None:
    assert _make(db, "--regions", "caribbean")[0] == 0
    code, _out, err = _run(
        db, "agreements", "amend", "dea-ag-1", "--reason", "any region", "--clear-regions"
    )
    assert code == 0, err
    assert _json(db, "agreements", "show", "dea-ag-1")["regions"] == []


def test_replacing_and_clearing_regions_at_once_is_refused(db: Path) -> None:
    assert _make(db, "--regions", "caribbean")[0] == 0
    code, _out, err = _run(
        db, "agreements", "amend", "dea-ag-1", "--reason", "both",
        "--regions", "pacific", "--clear-regions",
    )  # fmt: skip
    assert code == 2
    assert "--regions and --clear-regions contradict each other" in err


def test_suspend_resume_and_end_each_say_what_they_did(db: Path) -> None:
    assert _make(db)[0] == 0
    code, out, err = _run(db, "agreements", "suspend", "dea-ag-1", "--reason", "audit")
    assert code == 0, err
    assert "Suspended agreement dea-ag-1" in out
    assert _json(db, "agreements", "show", "dea-ag-1")["status"] == "suspended"
    code, out, err = _run(db, "agreements", "resume", "dea-ag-1", "--reason", "audit closed")
    assert code == 0, err
    assert _json(db, "agreements", "show", "dea-ag-1")["status"] == "active"
    code, out, err = _run(db, "agreements", "end", "dea-ag-1", "--reason", "replaced")
    assert code == 0, err
    assert "Ended agreement dea-ag-1" in out
    code, _out, err = _run(db, "agreements", "resume", "dea-ag-1", "--reason", "again")
    assert code == 4 and "conflict.invalid_state" in err


def test_end_needs_a_reason(db: Path) -> None:
    assert _make(db)[0] == 0
    code, _out, err = _run(db, "agreements", "end", "dea-ag-1")
    assert code == 2 and "--reason" in err


def test_show_of_an_unknown_agreement_says_so(db: Path) -> None:
    code, _out, err = _run(db, "agreements", "show", "dea-ag-9")
    assert code == 3 and "agreement.not_found" in err


def test_list_filters_by_partner(db: Path) -> None:
    assert _make(db)[0] == 0
    assert _json(db, "agreements", "list", "--partner", "dipol") == []
    assert len(_json(db, "agreements", "list", "--partner", "dea")) == 1


# -- recall acknowledgement deadlines (issue 21) -------------------------------------------


def test_an_agreements_recall_deadline_is_made_shown_and_amended(db: Path) -> None:
    code, _out, err = _make(db, "--recall-ack-within", "48h")
    assert code == 0, err
    assert _json(db, "agreements", "show", "dea-ag-1")["recall_ack_within"] == "2d"
    code, _out, err = _run(
        db, "agreements", "amend", "dea-ag-1", "--reason", "faster", "--recall-ack-within", "6h"
    )
    assert code == 0, err
    assert _json(db, "agreements", "show", "dea-ag-1")["recall_ack_within"] == "6h"


def test_an_agreement_without_a_recall_deadline_shows_none(db: Path) -> None:
    assert _make(db)[0] == 0
    code, out, _err = _run(db, "agreements", "show", "dea-ag-1")
    assert code == 0 and "recall ack within: no deadline" in out


def test_a_recall_deadline_that_is_not_a_duration_is_refused(db: Path) -> None:
    code, _out, err = _make(db, "--recall-ack-within", "tomorrow")
    assert code == 2
    assert "'tomorrow' is not a duration" in err and "field: recall_ack_within" in err
    assert _json(db, "agreements", "list") == []


def test_enforcing_recall_deadlines_with_none_due_holds_no_one(db: Path) -> None:
    code, out, err = _run(db, "acknowledgements", "enforce")
    assert code == 0, err
    assert "No recall is past its acknowledgement deadline unheld." in out
