"""Tests for nato_sim.analysis.backtest and `nato-sim backtest`: cases, scores, JSON, CSV, table."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from nato_sim.analysis.backtest import (
    BASELINES,
    DEFAULT_SEED,
    actual_round,
    best_backed_forecast,
    brier,
    expected_backing,
    load_cases,
    log_loss,
    rank,
    run_backtest,
    score,
    uniform_forecast,
)
from nato_sim.analysis.backtest_csv import CSV_COLUMNS
from nato_sim.analysis.scores import Score
from nato_sim.analysis.timing import TimingScore
from nato_sim.cli import app
from nato_sim.cli.backtest import backtest_view
from nato_sim.cli.render import pct
from nato_sim.engine.compiled import compile_scenario
from nato_sim.errors import ScenarioError, UsageError
from nato_sim.output.tables import plain_number as plain
from nato_sim.scenario.bundled import bundled_scenarios
from nato_sim.scenario.crossref import check_references
from nato_sim.scenario.loader import load
from nato_sim.scenario.schema import Scenario

DATA = Path(__file__).parent / "data"
HISTORY_FIXTURES = DATA / "history"
SOFT_VETO = HISTORY_FIXTURES / "soft-veto.yaml"
DEADLOCK = HISTORY_FIXTURES / "deadlock.yaml"
CERTAIN = DATA / "backtest"  # certain-right, certain-wrong and month
MONTH = CERTAIN / "month.yaml"
FLOOR = 6 * math.log(10)  # -ln(1e-6)
BUNDLED_HISTORY = sorted(name for name in bundled_scenarios() if name.startswith("history/"))
ENV = {"COLUMNS": "100", "NO_COLOR": "1"}


# Scoring functions against hand-computed values.

FORECAST = {"a": 0.6, "b": 0.3, "extension": 0.1}


@pytest.mark.parametrize(
    ("actual", "expected_brier", "expected_rank"),
    [
        ("a", 0.4**2 + 0.3**2 + 0.1**2, 1),  # 0.26
        ("b", 0.6**2 + 0.7**2 + 0.1**2, 2),  # 0.86
        ("extension", 0.6**2 + 0.3**2 + 0.9**2, 3),  # 1.26
    ],
)
def test_brier_and_rank_by_hand(actual, expected_brier, expected_rank):
    assert brier(FORECAST, actual) == pytest.approx(expected_brier, abs=1e-12)
    assert rank(FORECAST, actual) == expected_rank


def test_brier_of_the_first_hand_example_is_0_26():
    assert brier(FORECAST, "a") == pytest.approx(0.26, abs=1e-12)


def test_brier_bounds_certain_forecasts():
    assert brier({"a": 1.0, "b": 0.0}, "a") == 0.0
    assert brier({"a": 1.0, "b": 0.0}, "b") == 2.0


def test_log_loss_by_hand_and_floor():
    assert log_loss(0.6) == pytest.approx(0.5108256237659907, abs=1e-12)
    assert log_loss(1.0) == 0.0
    assert math.copysign(1.0, log_loss(1.0)) == 1.0  # +0.0, so JSON never shows -0.0
    assert log_loss(0.0) == pytest.approx(FLOOR, abs=1e-12)
    assert log_loss(1e-9) == pytest.approx(FLOOR, abs=1e-12)


def test_ties_share_the_best_rank():
    forecast = {"a": 0.4, "b": 0.4, "extension": 0.2, "no-decision": 0.0}
    assert rank(forecast, "a") == 1
    assert rank(forecast, "b") == 1
    assert rank(forecast, "extension") == 3
    uniform = {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3, "extension": 0.0, "no-decision": 0.0}
    assert rank(uniform, "no-decision") == 4


def test_score_collects_every_per_case_figure():
    result = score(FORECAST, "b")
    assert result.p_actual == 0.3
    assert result.rank == 2
    assert result.brier == pytest.approx(0.86, abs=1e-12)
    assert result.log_loss == pytest.approx(-math.log(0.3), abs=1e-12)


def test_score_of_an_outcome_not_forecast_is_a_usage_error():
    with pytest.raises(UsageError, match="no outcome 'zed'"):
        score(FORECAST, "zed")


# Baselines on fixtures with known backing.


def test_uniform_forecast_gives_nothing_to_extension():
    forecast = uniform_forecast(compile_scenario(load(DEADLOCK)))
    assert forecast == {"x": 0.5, "y": 0.5, "extension": 0.0, "no-decision": 0.0}


def test_expected_backing_and_best_backed_by_hand():
    compiled = compile_scenario(load(DEADLOCK))
    # x: (2 * 0.9 + 1 * 0.2) / 3 = 2/3; y: (2 * 0.4 + 1 * 0.9) / 3 = 17/30.
    assert expected_backing(compiled) == pytest.approx([2 / 3, 17 / 30], abs=1e-12)
    assert best_backed_forecast(compiled) == {
        "x": 1.0,
        "y": 0.0,
        "extension": 0.0,
        "no-decision": 0.0,
    }


def _scenario(data: dict) -> Scenario:
    base = {"title": "t", "description": "d", "decision": {"rounds": 3}}
    return Scenario.model_validate({**base, **data})


def test_best_backed_uses_means_of_uncertain_values_and_splits_ties():
    scenario = _scenario(
        {
            "members": [
                {"id": "AAA", "name": "A", "weight": {"uniform": [1.0, 3.0]}},  # mean 2
                {"id": "BBB", "name": "B"},
            ],
            "candidates": [
                {"id": "p", "name": "P", "country": "AAA"},
                {"id": "q", "name": "Q", "country": "BBB"},
                {"id": "r", "name": "R", "country": "AAA"},
            ],
            "support": {
                "candidates": {
                    "p": {"members": {"AAA": {"beta": [3.0, 1.0]}}},  # mean 0.75
                    "q": {"members": {"BBB": {"uniform": [0.8, 1.0]}}},  # mean 0.9
                    "r": {"members": {"AAA": 0.75}},
                }
            },
            # A hard veto on the best-backed pair changes nothing: the baseline ignores vetoes.
            "objections": [{"members": "BBB", "candidates": ["p", "r"]}],
        }
    )
    compiled = compile_scenario(scenario)
    # p, r: (2 * 0.75 + 0.5) / 3 = 2/3; q: (2 * 0.5 + 0.9) / 3 = 19/30.
    assert expected_backing(compiled) == pytest.approx([2 / 3, 19 / 30, 2 / 3], abs=1e-12)
    assert best_backed_forecast(compiled) == {
        "p": 0.5,
        "q": 0.0,
        "r": 0.5,
        "extension": 0.0,
        "no-decision": 0.0,
    }


def test_actual_round_counts_round_dates_on_or_before():
    compiled = compile_scenario(load(SOFT_VETO))  # rounds every 7 days from 2009-03-02
    assert actual_round(compiled, dt.date(2009, 3, 1)) == 0
    assert actual_round(compiled, dt.date(2009, 3, 2)) == 1
    assert actual_round(compiled, dt.date(2009, 3, 18)) == 3
    assert actual_round(compiled, dt.date(2010, 1, 1)) == 6
    assert actual_round(compile_scenario(load(DEADLOCK)), dt.date(2023, 7, 4)) is None


# Running cases.


def test_run_backtest_on_fixtures():
    report = run_backtest([HISTORY_FIXTURES], trials=20_000, seed=DEFAULT_SEED)
    by_file = {Path(c.file).name: c for c in report.cases}
    assert sorted(by_file) == ["deadlock.yaml", "soft-veto.yaml"]

    deadlock, soft = by_file["deadlock.yaml"], by_file["soft-veto.yaml"]
    # Two hard vetoes: extension in every trial, exactly.
    assert deadlock.model.p_actual == 1.0 and deadlock.model.brier == 0.0
    assert deadlock.p_decided_by_actual_round is None and deadlock.round is None
    assert deadlock.baselines["uniform"].rank == 3
    assert deadlock.baselines["best_backed"].rank == 2
    # One soft objection, lift 0.5, beta 0: P(alpha) = 1 - 0.5^5 and P(by round 3) = 0.75.
    # Tolerances are about 5 standard errors at 20,000 trials.
    assert soft.round == 3
    assert soft.model.p_actual == pytest.approx(1 - 0.5**5, abs=0.006)
    assert soft.p_decided_by_actual_round == pytest.approx(0.75, abs=0.015)

    summary = report.summary()
    assert summary["uniform"] == pytest.approx(
        {"brier": (0.5 + 1.5) / 2, "log_loss": (math.log(2) + FLOOR) / 2, "mean_p_actual": 0.25}
    )
    assert summary["best_backed"] == pytest.approx(
        {"brier": (0.0 + 2.0) / 2, "log_loss": FLOOR / 2, "mean_p_actual": 0.5}
    )
    assert summary["model"]["mean_p_actual"] == pytest.approx(
        (1.0 + soft.model.p_actual) / 2, abs=1e-12
    )


def test_run_backtest_is_reproducible():
    first = run_backtest([SOFT_VETO], trials=3_000, seed=7).to_dict()
    second = run_backtest([SOFT_VETO], trials=3_000, seed=7).to_dict()
    assert first == second


def test_a_case_without_outcome_names_the_file(tmp_path):
    (tmp_path / "ok.yaml").write_bytes(SOFT_VETO.read_bytes())
    (tmp_path / "bare.yaml").write_bytes((DATA / "minimal.yaml").read_bytes())
    with pytest.raises(ScenarioError) as caught:
        load_cases([tmp_path])
    assert [p.file for p in caught.value.problems] == [str(tmp_path / "bare.yaml")]
    assert "no 'outcome' block" in str(caught.value)


def test_as_of_must_come_before_the_outcome(tmp_path):
    late = tmp_path / "late.yaml"
    late.write_text(
        SOFT_VETO.read_text(encoding="utf-8").replace("as_of: 2009-02-20", "as_of: 2009-04-01"),
        encoding="utf-8",
    )
    with pytest.raises(
        ScenarioError, match="as_of 2009-04-01 is not before the outcome date 2009-03-18"
    ):
        load_cases([late])


def test_an_outcome_the_scenario_cannot_have_is_located(tmp_path):
    case = tmp_path / "acting.yaml"
    case.write_text(
        (CERTAIN / "certain-wrong.yaml")
        .read_text(encoding="utf-8")
        .replace("winner: extension", "winner: acting"),
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as caught:
        load_cases([case])
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.column) == (str(case), 25, 11)
    assert problem.path == ("outcome", "winner")
    assert problem.message == (
        "outcome 'acting' cannot happen in this scenario "
        "(its outcomes: x, y, extension, no-decision)"
    )


def test_acting_and_unnamed_ids_pass_the_cross_reference_check():
    data = yaml.safe_load((CERTAIN / "certain-wrong.yaml").read_text(encoding="utf-8"))
    for winner in ("acting", "extension", "no-decision", "x"):
        data["outcome"]["winner"] = winner
        assert check_references(data, None) == []
    data["outcome"]["winner"] = "z"
    ((path, message, _, _),) = check_references(data, None)
    assert (path, message) == (("outcome", "winner"), "unknown candidate 'z'")


def test_an_empty_folder_is_an_error(tmp_path):
    with pytest.raises(ScenarioError, match=r"no \*.yaml scenario in this folder"):
        load_cases([tmp_path])


@pytest.mark.parametrize("name", BUNDLED_HISTORY)
def test_bundled_history_case_validates_and_runs(name):
    scenario = load(name)
    assert scenario.outcome is not None and scenario.as_of is not None
    assert scenario.as_of < scenario.outcome.date
    report = run_backtest([name], trials=2_000, seed=1)
    (case,) = report.cases
    assert math.isclose(sum(case.probabilities.values()), 1.0, abs_tol=1e-9)
    assert 1 <= case.model.rank <= len(case.probabilities)
    assert 0.0 <= case.model.brier <= 2.0


# The command.


def _invoke(*args: str):
    return CliRunner().invoke(app, ["backtest", *args], env=ENV)


def test_command_json_has_the_documented_shape(tmp_path):
    out = tmp_path / "bt.json"
    result = _invoke(
        str(HISTORY_FIXTURES), "--format", "json", "--trials", "2000", "--output", str(out)
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert set(data) == {
        "schema_version",
        "provenance",
        "cases",
        "excluded",
        "summary",
        "timing_summary",
        "skill",
        "calibration",
        "n_cases",
        "n_races",
    }
    assert data["schema_version"] == 2 and data["n_cases"] == 2 == len(data["cases"])
    assert data["n_races"] == 2 and data["excluded"] == []
    assert {"seed", "trials", "version", "numpy", "bit_generator"} <= set(data["provenance"])
    assert data["provenance"]["seed"] == DEFAULT_SEED and data["provenance"]["trials"] == 2000
    assert data["provenance"]["bootstrap"] == {
        "resamples": 2000,
        "level": 0.95,
        "seed": DEFAULT_SEED,
        "unit": "race",
    }
    scores = {"p_actual", "rank", "brier", "log_loss"}
    timing_scores = {"p_actual", "log_loss", "rps", "crps_days"}
    for case in data["cases"]:
        assert set(case) == {
            "file",
            "title",
            "as_of",
            "race",
            "actual",
            "favourites",
            "model",
            "baselines",
            "timing",
            "hindsight",
            "scenario_hash",
        }
        assert set(case["actual"]) == {"outcome", "name", "kind", "date", "round"}
        assert set(case["model"]) == scores | {"p_decided_by_actual_round", "probabilities"}
        assert set(case["baselines"]) == set(BASELINES)
        assert all(set(b) == scores | {"probabilities"} for b in case["baselines"].values())
        assert set(case["timing"]) == {"rounds", "actual", "end", "model", "baselines"}
        assert set(case["timing"]["model"]) == timing_scores | {
            "median_round",
            "median_date",
            "probabilities",
        }
        assert set(case["timing"]["baselines"]) == {"uniform", "base_rates"}
        assert set(case["hindsight"]) == {"parameters", "names"}
    assert set(data["summary"]) == {"model", *BASELINES}
    for values in data["summary"].values():
        assert set(values) == {"brier", "log_loss", "mean_p_actual"}
    assert set(data["timing_summary"]) == {"model", "uniform", "base_rates"}
    assert set(data["skill"]) == set(BASELINES)
    assert set(data["skill"]["uniform"]) == {
        "brier",
        "log_loss",
        "timing_rps",
        "timing_log_loss",
        "crps_days",
    }
    assert set(data["skill"]["best_backed"]) == {"brier", "log_loss"}
    for metrics in data["skill"].values():
        for s in metrics.values():
            assert set(s) == {"value", "low", "high", "cases", "races"}
    assert len(data["calibration"]) == 10
    assert sum(b["count"] for b in data["calibration"]) == sum(
        len(c["model"]["probabilities"]) for c in data["cases"]
    )


def test_command_csv_carries_every_score():
    result = _invoke(str(CERTAIN), "--format", "csv", "--trials", "1000")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == list(CSV_COLUMNS)
    report = run_backtest([CERTAIN], trials=1000, seed=DEFAULT_SEED).to_dict()
    cases = {c["file"]: c for c in report["cases"]}

    def value(section, case, scorer, metric):
        (row,) = [
            r
            for r in rows
            if (r["section"], r["case"], r["scorer"], r["metric"])
            == (section, case, scorer, metric)
        ]
        return row["value"]

    for name, case in cases.items():
        for scorer in ("model", *BASELINES):
            scores = case["model"] if scorer == "model" else case["baselines"][scorer]
            for metric in ("p_actual", "rank", "brier", "log_loss"):
                assert float(value("case_score", name, scorer, metric)) == plain(scores[metric])
        for scorer in ("model", "uniform", "base_rates"):
            scores = (
                case["timing"]["model"]
                if scorer == "model"
                else case["timing"]["baselines"][scorer]
            )
            for metric in ("p_actual", "log_loss", "rps", "crps_days"):
                assert float(value("case_timing", name, scorer, metric)) == plain(scores[metric])
    for scorer, metrics in report["summary"].items():
        for metric, number in metrics.items():
            assert float(value("summary", "", scorer, metric)) == pytest.approx(number)
    for baseline, metrics in report["skill"].items():
        for metric, s in metrics.items():
            shown = value("skill", "", baseline, metric)
            assert shown == "" if s["value"] is None else float(shown) == pytest.approx(s["value"])
    assert len([r for r in rows if r["section"] == "calibration"]) == 10
    assert {r["seed"] for r in rows} == {str(DEFAULT_SEED)}


# Everything on what happened scores best; nothing on it, worst.


def test_a_certain_right_forecast_scores_perfectly_and_a_certain_wrong_one_worst():
    report = run_backtest([CERTAIN], trials=2000, seed=DEFAULT_SEED)
    by_name = {Path(c.file).name: c for c in report.cases}
    right, wrong = by_name["certain-right.yaml"], by_name["certain-wrong.yaml"]
    assert right.model == Score(p_actual=1.0, rank=1, brier=0.0, log_loss=0.0)
    assert right.timing is not None and wrong.timing is not None
    assert (right.timing.lo, right.timing.hi) == (1, 1)
    assert right.timing.model == TimingScore(1.0, 0.0, 0.0, 0.0)
    assert right.timing.median_date == dt.date(2020, 1, 8)
    # All on X appointed on 8 January; in fact the term was extended (beyond the deadline).
    assert wrong.model == Score(p_actual=0.0, rank=2, brier=2.0, log_loss=pytest.approx(FLOOR))
    assert (wrong.timing.lo, wrong.timing.hi) == (5, 5)
    assert wrong.timing.model.p_actual == 0.0
    assert wrong.timing.model.log_loss == pytest.approx(FLOOR)
    assert wrong.timing.model.rps == 1.0
    assert wrong.timing.model.crps_days == 22.0  # every day from 8 to 29 January
    # The uniform timing baseline: 1/5 on each round and on "none by the deadline".
    assert wrong.timing.baselines["uniform"].p_actual == pytest.approx(0.2)
    # Both other races (certain-right and month) ended in their favourite's appointment: the
    # favourite baseline gives X (2 + 1/2) / (2 + 1) = 5/6 and Y, extension and no decision
    # 1/18 each; "none by the deadline", what happened, gets the base rate of no appointment,
    # (0 + 1/2) / (2 + 1) = 1/6.
    assert wrong.forecasts["favourite"] == pytest.approx(
        {"x": 5 / 6, "y": 1 / 18, "extension": 1 / 18, "no-decision": 1 / 18}
    )
    assert wrong.timing.baselines["base_rates"].p_actual == pytest.approx(1 / 6)


# The table.


@pytest.mark.parametrize("width", [60, 80, 120])
def test_the_table_reads_at_every_width_with_numbers_whole(width, tmp_path, monkeypatch):
    # Run from elsewhere, as a clone anywhere would: names stay relative.
    monkeypatch.chdir(tmp_path)
    report = run_backtest([HISTORY_FIXTURES, CERTAIN], trials=2000, seed=DEFAULT_SEED)
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(backtest_view(report))
    text = console.export_text()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert str(DATA) not in text and str(tmp_path) not in text
    names = [c.file for c in report.cases]
    assert names == [
        "history/deadlock.yaml",
        "history/soft-veto.yaml",
        "backtest/certain-right.yaml",
        "backtest/certain-wrong.yaml",
        "backtest/month.yaml",
    ]
    assert [c.file for c in load_cases([MONTH])] == ["month.yaml"]  # a file: its name
    # Every figure appears whole, on one line, where its row is.
    words = set(text.split())
    for case in report.cases:
        assert case.file in words
        assert pct(case.model.p_actual) in words
        for name in BASELINES:
            assert pct(case.baselines[name].p_actual) in words
        if case.timing is not None:
            assert f"{case.timing.model.rps:.3f}" in words
    for values in report.summary().values():
        assert {f"{values['brier']:.3f}", f"{values['log_loss']:.3f}"} <= words
    for metrics in report.skill().values():
        for s in metrics.values():
            if s.value is not None:
                assert f"{s.value:+.2f}" in words
    for b in report.calibration():
        assert str(b.count) in words


def test_case_names_are_relative_to_the_working_folder_when_inside_it(monkeypatch):
    monkeypatch.chdir(DATA.parent.parent)
    files = [c.file for c in load_cases([HISTORY_FIXTURES.resolve()])]
    assert files == ["tests/data/history/deadlock.yaml", "tests/data/history/soft-veto.yaml"]
    assert [c.file for c in load_cases(["tests/data/history/deadlock.yaml"])] == [
        "tests/data/history/deadlock.yaml"
    ]


def test_command_plot_draws_the_reliability_diagram(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "calibration.png"
    result = _invoke(str(SOFT_VETO), "--trials", "500", "--plot", str(out), "-f", "json")
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"wrote {out}" in result.stderr


def test_command_plot_refuses_a_bad_extension_before_running():
    result = _invoke(str(SOFT_VETO), "--plot", "calibration.pdf")
    assert result.exit_code == 2
    assert "must end in .png or .svg" in result.stderr


def test_command_table_prints_seed_cases_and_summary():
    result = _invoke(str(SOFT_VETO), "--trials", "2000", "--seed", "5")
    assert result.exit_code == 0, result.output
    assert "seed 5" in result.output
    assert "soft-veto.yaml" in result.output
    assert "best-backed wins, vetoes ignored" in result.output


def test_command_case_without_outcome_exits_3_naming_the_file():
    result = _invoke(str(DATA / "minimal.yaml"))
    assert result.exit_code == 3
    assert "minimal.yaml" in result.stderr and "no 'outcome' block" in result.stderr


@pytest.mark.skipif(not BUNDLED_HISTORY, reason="no bundled history/ scenarios")
def test_command_defaults_to_the_bundled_history():
    result = _invoke("--format", "json", "--trials", "1000")
    assert result.exit_code == 0, result.output
    files = {case["file"] for case in json.loads(result.stdout)["cases"]}
    assert files == {f"{name}.yaml" for name in BUNDLED_HISTORY}


def test_set_changes_every_case_and_is_in_the_provenance():
    base = _invoke(str(SOFT_VETO), "--trials", "2000", "--seed", "5", "-f", "json")
    hard = _invoke(
        str(SOFT_VETO),
        "--set",
        "objections.tur-alpha.lift=0",
        "--trials",
        "2000",
        "--seed",
        "5",
        "-f",
        "json",
    )
    assert base.exit_code == hard.exit_code == 0, hard.output
    before, after = json.loads(base.stdout), json.loads(hard.stdout)
    assert after["provenance"]["overrides"] == ["objections.tur-alpha.lift=0"]
    # Turkey's objection made a hard veto: alpha, who won with it soft, is never appointed.
    assert before["cases"][0]["model"]["probabilities"]["alpha"] > 0.5
    assert after["cases"][0]["model"]["probabilities"]["alpha"] == 0.0
    wrong = _invoke(str(SOFT_VETO), "--set", "objections.nobody.lift=0", "--trials", "100")
    assert wrong.exit_code == 2 and "nobody" in wrong.stderr
