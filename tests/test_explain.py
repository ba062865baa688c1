"""Tests for `explain`: each objection rule taken away in turn, and the pivotal members."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import nato_sim
from nato_sim.analysis.explain import without_rule
from nato_sim.cli import app
from nato_sim.scenario.loader import load, scenario_hash

DATA = Path(__file__).parent / "data"
ONE = str(DATA / "one-candidate.yaml")
CHAINED = str(DATA / "chained.yaml")
ENV = {"COLUMNS": "120", "NO_COLOR": "1"}
SOFT_LIFTED = 1 - 0.7**9  # P(the soft objection in one-candidate.yaml lifts within 10 rounds)
TRIALS = 20_000


def within(value: float, exact: float, trials: int = TRIALS) -> bool:
    """Within 4 binomial standard errors of the exact probability."""
    return abs(value - exact) <= 4 * math.sqrt(max(exact * (1 - exact), 1e-4) / trials)


@pytest.fixture(scope="module")
def one():
    return nato_sim.explain(ONE, trials=TRIALS, rng=21)


def test_removing_the_hard_veto_moves_the_candidate_to_its_exact_probability(one):
    deu = next(r for r in one.rules if r.rule == "deu-alpha")
    assert deu.candidate == "alpha"
    assert within(deu.candidate_change.baseline, 0.5 * SOFT_LIFTED)
    assert within(deu.candidate_change.variant, SOFT_LIFTED)
    assert deu.candidate_change.distinguishable


def test_removing_the_soft_objection_leaves_only_the_hard_veto(one):
    # Without Türkiye, alpha wins in round 1 unless Germany's veto (chance 0.5) is raised.
    tur = next(r for r in one.rules if r.rule == "tur-alpha")
    assert within(tur.candidate_change.variant, 0.5)
    # Alpha then wins in round 1 or never (counted at R + 1 = 11): the mean round is exactly
    # 11 - 10 P(alpha), and 6 in expectation (standard deviation 5 per trial).
    assert tur.round_change.variant == pytest.approx(11 - 10 * tur.candidate_change.variant)
    assert abs(tur.round_change.variant - 6) <= 4 * 5 / math.sqrt(TRIALS)


def test_rules_are_sorted_by_impact_and_impact_is_total_variation(one):
    assert [r.rule for r in one.rules] == ["deu-alpha", "tur-alpha"]
    for rule in one.rules:
        outcomes = [c for c in rule.changes if c.section == "outcome"]
        assert rule.impact == pytest.approx(0.5 * sum(abs(c.difference) for c in outcomes))
    assert one.winner == "extension"  # 1 - 0.5 * 0.96 = 0.52 > P(alpha)


def test_pivotal_members_match_the_closed_form(one):
    # Germany is the sole blocker when its veto is raised and Türkiye's has lifted; Türkiye
    # when Germany's is not raised and its own never lifts.
    rows = {p.member: p for p in one.pivotal}
    assert within(rows["DEU"].sole_blocker_trials, 0.5 * SOFT_LIFTED)
    assert within(rows["TUR"].sole_blocker_trials, 0.5 * (1 - SOFT_LIFTED))
    assert [p.member for p in one.pivotal] == ["DEU", "TUR"]
    deu = next(r for r in one.rules if r.rule == "deu-alpha")
    assert deu.sole_blocker == rows["DEU"].sole_blocker_trials


def test_a_rule_is_taken_away_by_setting_its_chance_to_zero():
    scenario = load(CHAINED)
    for index in (0, 1):
        variant = without_rule(scenario, index)
        assert len(variant.objections) == 2
        assert variant.objections[index].chance == 0.0
        assert variant.objections[1 - index] == scenario.objections[1 - index]
        assert scenario_hash(variant) != scenario_hash(scenario)


def test_chained_vetoes_resolve_exactly():
    # tur-alpha at chance 0 counts as lifted, so Germany's veto goes before round 2: alpha
    # always wins, in round 2. Without Germany's rule Türkiye's hard veto still blocks.
    result = nato_sim.explain(CHAINED, trials=500, rng=1)
    tur, deu = result.rules
    assert tur.rule == "tur-alpha"
    assert (tur.candidate_change.baseline, tur.candidate_change.variant) == (0.0, 1.0)
    assert (tur.round_change.baseline, tur.round_change.variant) == (6.0, 2.0)
    assert (deu.rule, deu.candidate_change.variant) == ("deu-alpha", 0.0)
    assert deu.impact == 0.0
    assert all(p.sole_blocker == 0.0 and p.still_objecting == 1.0 for p in result.pivotal)


def test_no_rules_gives_an_empty_table(tmp_path):
    text = (DATA / "one-candidate.yaml").read_text(encoding="utf-8")
    bare = tmp_path / "bare.yaml"
    bare.write_text(text.split("objections:")[0] + "decision:\n  rounds: 3\n", encoding="utf-8")
    result = nato_sim.explain(str(bare), trials=100, rng=1)
    assert result.rules == [] and result.pivotal == []


def test_cli_table_answers_whose_veto_matters_most():
    result = CliRunner().invoke(app, ["explain", ONE, "-n", "4000", "-s", "3", "-w", "1"], env=ENV)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    rule_rows = [
        line for line in lines if line.startswith("│ deu-alpha") or line.startswith("│ tur-alpha")
    ]
    assert rule_rows[0].startswith("│ deu-alpha")  # the larger impact first
    assert "Pivotal members" in result.stdout
    assert "a trial with no appointment counted at R + 1" in " ".join(result.stdout.split())
    # The two shares of the sole blocker are named apart: of the losses, of all trials.
    wide = CliRunner().invoke(
        app, ["explain", ONE, "-n", "4000", "-s", "3", "-w", "1"], env={**ENV, "COLUMNS": "200"}
    )
    pivotal = wide.stdout.split("Pivotal members")[1].splitlines()
    headers = [cell.strip() for cell in pivotal[2].split("┃")[1:-1]]
    assert headers == [
        "member",
        "candidate",
        "still objecting, share of losses",
        "sole blocker, share of losses",
        "sole blocker, share of all trials",
    ]


def test_cli_json_and_csv():
    as_json = CliRunner().invoke(
        app, ["explain", CHAINED, "-n", "300", "-s", "2", "-w", "1", "-f", "json"], env=ENV
    )
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["provenance"]["seed"] == 2 and data["winner"] == "extension"
    assert [r["rule"] for r in data["rules"]] == ["tur-alpha", "deu-alpha"]
    assert {p["member"] for p in data["pivotal"]} == {"TUR", "DEU"}
    as_csv = CliRunner().invoke(
        app, ["explain", CHAINED, "-n", "300", "-s", "2", "-w", "1", "-f", "csv"], env=ENV
    )
    header, *rows = as_csv.stdout.strip().splitlines()
    assert header.startswith("rule,members,candidates,impact")
    assert len(rows) == 2 and rows[0].startswith("tur-alpha,TUR,alpha,1.0")
