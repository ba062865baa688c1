"""Tests for hindsight: parameters citing documents dated after the scenario's as_of.

tests/data/hindsight/ holds three claim documents (1 February, 28 February and 20 March
2009) and two cases as of 20 February 2009: `later.yaml` cites the two later documents
outside its outcome; `clean.yaml` only in its outcome, which is allowed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from nato_sim.analysis.backtest import load_cases, run_backtest
from nato_sim.cli import app
from nato_sim.scenario.dates import PartialDate
from nato_sim.scenario.hindsight import (
    hindsight_warnings,
    is_later,
    later_citations,
    later_parameters,
)
from nato_sim.scenario.loader import claims_for, load

HINDSIGHT = Path(__file__).parent / "data" / "hindsight"
CASES = HINDSIGHT / "cases"
LATER = CASES / "later.yaml"
CLEAN = CASES / "clean.yaml"
ENV = {"COLUMNS": "100", "NO_COLOR": "1"}
OBJECTION = ["objections[tur-alpha].members", "objections[tur-alpha].candidates"]
OBJECTION.append("objections[tur-alpha].lift")
CALENDAR = ["decision.rounds", "decision.calendar.start", "decision.calendar.round_days"]
CALENDAR.append("decision.on_deadline")


def test_is_later_compares_with_the_last_day_of_a_month_or_year():
    assert is_later(dt.date(2009, 2, 21), dt.date(2009, 2, 20))
    assert not is_later(dt.date(2009, 2, 20), dt.date(2009, 2, 20))
    assert not is_later(dt.date(2009, 2, 28), PartialDate(2009, 2))
    assert is_later(dt.date(2009, 3, 1), PartialDate(2009, 2))
    assert not is_later(dt.date(2009, 12, 31), PartialDate(2009))
    assert is_later(dt.date(2010, 1, 1), PartialDate(2009))


def test_later_citations_outside_the_outcome_are_found_in_file_order():
    scenario = load(LATER)
    found = later_citations(scenario, claims_for(LATER))
    assert [(c.parameter, c.claim, c.date) for c in found] == [
        ("objections[0].source[0]", "test.hindsight.concession", dt.date(2009, 3, 20)),
        ("decision.source[0]", "test.hindsight.rounds", dt.date(2009, 2, 28)),
    ]
    assert later_parameters(scenario, claims_for(LATER)) == OBJECTION + CALENDAR


def test_a_scenario_citing_later_documents_only_in_its_outcome_is_clean():
    scenario = load(CLEAN)
    assert scenario.outcome is not None and scenario.outcome.source == ["test.hindsight.appointed"]
    assert later_citations(scenario, claims_for(CLEAN)) == []
    assert later_parameters(scenario, claims_for(CLEAN)) == []


def test_a_month_as_of_counts_as_its_last_day():
    # The 28 February document is not after "2009-02"; the 20 March one is.
    scenario = load(LATER, ["as_of=2009-02"])
    assert [c.claim for c in later_citations(scenario, claims_for(LATER))] == [
        "test.hindsight.concession"
    ]
    assert later_parameters(scenario, claims_for(LATER)) == OBJECTION


def test_without_as_of_nothing_is_hindsight():
    scenario = load(LATER).model_copy(update={"as_of": None})
    assert later_citations(scenario, claims_for(LATER)) == []
    assert later_parameters(scenario, claims_for(LATER)) == []


def test_warnings_name_file_line_column_path_claim_and_date():
    warnings = hindsight_warnings(load(LATER), claims_for(LATER), "later.yaml", LATER)
    assert [str(w) for w in warnings] == [
        "later.yaml:24:14: objections[0].source[0]: hindsight: claim "
        "'test.hindsight.concession' is from a document dated 2009-03-20, after as_of "
        "2009-02-20",
        "later.yaml:30:11: decision.source[0]: hindsight: claim 'test.hindsight.rounds' is "
        "from a document dated 2009-02-28, after as_of 2009-02-20",
    ]


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args), env=ENV)


def test_validate_warns_on_stderr_and_keeps_verdict_and_exit_code():
    result = _invoke("validate", str(LATER), str(CLEAN))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"ok      {LATER}: 3 members, 2 candidates, 2 objection rules",
        f"ok      {CLEAN}: 3 members, 2 candidates, 2 objection rules",
    ]
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"warning: {LATER}:24:14: objections[0].source[0]: hindsight:")
    assert "'test.hindsight.concession'" in lines[0] and "2009-03-20" in lines[0]
    assert lines[1].startswith(f"warning: {LATER}:30:11: decision.source[0]: hindsight:")


def test_validate_with_set_as_of_checks_the_overridden_date():
    result = _invoke("validate", str(LATER), "--set", "as_of=2009-02")
    assert result.exit_code == 0
    assert len(result.stderr.splitlines()) == 1
    assert "after as_of 2009-02" in result.stderr


def test_validate_still_fails_an_invalid_file_with_exit_3():
    result = _invoke("validate", str(LATER), "--set", "as_of=2009-13")
    assert result.exit_code == 3
    assert "month 13 is not between 1 and 12" in result.stdout


def test_backtest_counts_parameters_resting_on_later_claims():
    report = run_backtest([CASES], trials=500, seed=1)
    by_name = {Path(c.file).name: c for c in report.cases}
    assert len(by_name["later.yaml"].hindsight) == 7
    assert by_name["clean.yaml"].hindsight == ()
    data = report.to_dict()
    counts = {Path(c["file"]).name: c["hindsight"]["parameters"] for c in data["cases"]}
    assert counts == {"clean.yaml": 0, "later.yaml": 7}
    assert data["excluded"] == [] and data["provenance"]["strict"] is False


def test_strict_leaves_out_cases_with_hindsight_and_says_so():
    report = run_backtest([CASES], trials=500, seed=1, strict=True)
    assert [Path(c.file).name for c in report.cases] == ["clean.yaml"]
    assert [Path(e.file).name for e in report.excluded] == ["later.yaml"]
    (excluded,) = report.to_dict()["excluded"]
    assert excluded["reason"] == "hindsight" and excluded["hindsight"]["parameters"] == 7

    result = _invoke("backtest", str(CASES), "--strict", "--trials", "500")
    assert result.exit_code == 0, result.output
    assert "--strict: 1 case with parameters resting on claims dated after" in result.stdout
    assert "left out" in result.stdout
    json_out = _invoke("backtest", str(CASES), "--strict", "-n", "500", "-f", "json").stdout
    assert json.loads(json_out)["n_cases"] == 1


def test_load_cases_skips_the_seeds_folder_and_records_hindsight():
    cases = load_cases([HINDSIGHT])  # the seeds/ folder inside holds claims, not cases
    assert [(Path(c.file).name, len(c.later)) for c in cases] == [
        ("clean.yaml", 0),
        ("later.yaml", 7),
    ]
