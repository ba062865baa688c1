"""Tests for `compare`: paired runs with common random numbers and their intervals."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import nato_sim
from nato_sim.analysis.compare import (
    MIN_PAIRED_BLOCKS,
    DiffRow,
    paired_block_size,
    t_quantile,
)
from nato_sim.cli import app
from nato_sim.errors import ScenarioError, UsageError

DATA = Path(__file__).parent / "data"
MINIMAL = str(DATA / "minimal.yaml")
ONE = str(DATA / "one-candidate.yaml")
ENV = {"COLUMNS": "100", "NO_COLOR": "1"}
SOFT_STANDING = 0.7**9  # P(the soft objection in one-candidate.yaml never lifts in 10 rounds)


def invoke(*args: str):
    return CliRunner().invoke(app, ["compare", *args], env=ENV)


@pytest.mark.parametrize("block_size", [None, 1000])  # paired intervals, then the fallback
def test_identical_scenarios_differ_by_exactly_zero(block_size):
    result = nato_sim.compare(MINIMAL, trials=3000, rng=5, block_size=block_size)
    assert result.rows
    for row in result.rows:
        assert row.baseline == row.variant
        assert (row.difference, row.low, row.high) == (0.0, 0.0, 0.0)
        assert not row.distinguishable
    assert "exactly 0" in result.method


def test_against_an_equal_copy_is_also_exactly_zero(tmp_path):
    copy = tmp_path / "copy.yaml"
    copy.write_text((DATA / "minimal.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    result = nato_sim.compare(MINIMAL, against=str(copy), trials=2000, rng=3)
    assert all(r.difference == r.low == r.high == 0.0 for r in result.rows)


def test_lifting_the_hard_veto_doubles_the_candidates_chance():
    # P(alpha) = P(veto not raised) * (1 - 0.7^9): 0.5 * (...) in the baseline, 1 * (...) with
    # the veto's chance at 0, so the exact difference is 0.5 * (1 - 0.7^9) = 0.4798.
    result = nato_sim.compare(ONE, ["objections.deu-alpha.chance=0"], trials=8000, rng=11)
    row = result.row("alpha")
    exact = 0.5 * (1 - SOFT_STANDING)
    assert row.low <= exact <= row.high  # a 95% interval; fixed seed
    assert math.isclose(row.variant, 1 - SOFT_STANDING, abs_tol=4 * math.sqrt(0.04 / 8000))
    assert row.distinguishable
    assert row.difference == pytest.approx(row.variant - row.baseline, abs=1e-12)
    assert "paired batch means over 40 blocks" in result.method


def test_rules_are_addressed_by_id_or_position_alike():
    by_id = nato_sim.compare(ONE, ["objections.deu-alpha.lift=0.4"], trials=2000, rng=2)
    by_index = nato_sim.compare(ONE, ["objections.1.lift=0.4"], trials=2000, rng=2)
    assert by_id.rows == by_index.rows
    assert (
        by_id.provenance["variant"]["scenario_hash"]
        == by_index.provenance["variant"]["scenario_hash"]
    )


def test_results_do_not_depend_on_workers():
    args = (MINIMAL, ["objections.tur-alpha.lift=0.6"])
    one = nato_sim.compare(*args, trials=4000, rng=9, workers=1)
    two = nato_sim.compare(*args, trials=4000, rng=9, workers=2)
    assert one.rows == two.rows


def test_fallback_interval_is_used_with_few_blocks_and_covers_the_difference():
    result = nato_sim.compare(
        ONE, ["objections.deu-alpha.chance=0"], trials=4000, rng=1, block_size=1000
    )
    assert "Newcombe" in result.method
    row = result.row("alpha")
    assert row.low <= 0.5 * (1 - SOFT_STANDING) <= row.high


def test_paired_block_size_gives_enough_blocks():
    for trials in (100, 4000, 100_000, 10**7):
        blocks = -(-trials // paired_block_size(trials))
        assert blocks >= MIN_PAIRED_BLOCKS


def test_t_quantile_matches_the_table():
    # Two-sided 95% quantiles from a printed Student t table.
    for df, value in ((9, 2.262), (10, 2.228), (20, 2.086), (39, 2.023), (120, 1.980)):
        assert t_quantile(df) == pytest.approx(value, abs=6e-4)


def test_against_another_scenario_compares_only_what_both_have():
    result = nato_sim.compare(MINIMAL, against=ONE, trials=1000, rng=1)
    keys = [r.key for r in result.rows if r.section == "outcome"]
    assert keys == ["alpha", "extension", "no-decision"]
    # No such candidate in the variant: its figure is kept, not compared with a made-up 0.
    [beta] = [u for u in result.unmatched if u.key == "beta"]
    assert beta.variant is None and beta.baseline == result.baseline.probability("beta")
    assert "in the baseline only" in beta.reason
    with pytest.raises(UsageError, match="'beta' is not compared: in the baseline only"):
        result.row("beta")
    assert any("'Beta' is not compared" in w for w in result.warnings)


def test_a_milestone_or_calendar_on_one_side_only_is_not_compared():
    result = nato_sim.compare("nato-2024", against="nato-2024-spring", trials=2000, rng=1)
    unmatched = {(u.section, u.key): u for u in result.unmatched}
    # The spring scenario starts after the 75th anniversary: nothing is decided by it there.
    anniversary = unmatched[("milestone", "NATO 75th anniversary (4 Apr)")]
    assert anniversary.baseline > 0.1 and anniversary.variant is None
    assert ("outcome", "iohannis") in unmatched and ("outcome", "von-der-leyen") in unmatched
    # Rounds of two different calendars are not the same rounds.
    timing = unmatched[("timing", "expected_round")]
    assert "different calendars" in timing.reason
    assert all(r.section != "timing" for r in result.rows)
    data = result.to_dict()
    assert {u["key"] for u in data["unmatched"]} == {k for _, k in unmatched}
    assert not any(r["key"] in {"iohannis", "von-der-leyen"} for r in data["rows"])


def test_cli_shows_n_a_and_warns_for_figures_on_one_side_only():
    result = invoke(
        "nato-2024", "--against", "nato-2024-spring", "-n", "2000", "-s", "1", "-w", "1"
    )
    assert result.exit_code == 0, result.output
    iohannis = next(line for line in result.stdout.splitlines() if "Klaus Iohannis" in line)
    assert [cell.strip() for cell in iohannis.split("│")[2:6]] == ["n/a", "0.0%", "n/a", ""]
    assert "warning: 'Klaus Iohannis' is not compared: in the variant only" in result.stderr
    assert "warning: 'decided by NATO 75th anniversary (4 Apr)' is not compared" in (result.stderr)
    assert "count rounds on different calendars" in result.stderr
    # Nothing absent on one side is starred as a difference.
    for line in result.stdout.splitlines():
        if "n/a" in line:
            assert "*" not in line


def test_a_difference_that_rounds_to_zero_is_not_starred():
    row = DiffRow("outcome", "a", "A", 0.5, 0.5004, 0.0004, 0.0001, 0.0007)
    assert row.distinguishable and not row.marked
    assert DiffRow("outcome", "a", "A", 0.5, 0.501, 0.001, 0.0005, 0.0015).marked
    timing = DiffRow("timing", "expected_round", "r", 3.0, 3.004, 0.004, 0.001, 0.007)
    assert timing.distinguishable and not timing.marked


def test_bad_inputs_raise_before_running():
    with pytest.raises(UsageError, match="did you mean 'tur-alpha'"):
        nato_sim.compare(MINIMAL, ["objections.tur-alfa.lift=0.5"], trials=100, rng=1)
    with pytest.raises(ScenarioError, match="expected a probability in"):
        nato_sim.compare(MINIMAL, ["objections.tur-alpha.lift=1.5"], trials=100, rng=1)
    with pytest.raises(UsageError, match="trials must be"):
        nato_sim.compare(MINIMAL, trials=0)


def test_cli_table_marks_distinguishable_rows():
    result = invoke(
        ONE,
        "--set",
        "objections.deu-alpha.chance=0",
        "--trials",
        "4000",
        "--seed",
        "3",
        "--workers",
        "1",
    )
    assert result.exit_code == 0, result.output
    alpha = next(line for line in result.stdout.splitlines() if line.startswith("│ Alpha"))
    assert alpha.split("│")[4].strip().endswith("pp*")  # the difference, starred
    assert "paired batch means" in result.stdout
    assert (
        "replay: nato-sim compare " + ONE + " --set objections.deu-alpha.chance=0 "
        "--trials 4000 --seed 3"
    ) in " ".join(result.stdout.split())


def test_cli_json_carries_provenance(tmp_path):
    out = tmp_path / "cmp.json"
    result = invoke(
        MINIMAL,
        "--set",
        "objections.tur-alpha.lift=0.6",
        "-n",
        "2000",
        "-s",
        "4",
        "-w",
        "1",
        "--format",
        "json",
        "--output",
        str(out),
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    prov = data["provenance"]
    assert prov["seed"] == 4 and prov["trials"] == 2000
    assert prov["variant"]["overrides"] == ["objections.tur-alpha.lift=0.6"]
    assert prov["baseline"]["overrides"] == []
    assert {"version", "numpy", "bit_generator", "block_size", "method"} <= set(prov)
    assert {r["key"] for r in data["rows"]} >= {"alpha", "beta", "extension", "summit"}


def test_cli_csv_has_one_row_per_figure():
    result = invoke(MINIMAL, "-n", "500", "-s", "1", "-w", "1", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("section,key,name,baseline,variant,difference,low,high")
    assert len(lines) == 1 + 4 + 1 + 1  # outcomes, the milestone, the expected round


def test_cli_errors_are_clean():
    bad_path = invoke(MINIMAL, "--set", "objections.tur-alpha.lfit=0.5", "-s", "1")
    assert bad_path.exit_code == 2
    assert "did you mean 'lift'?" in bad_path.stderr
    out_of_range = invoke(MINIMAL, "--set", "objections.tur-alpha.lift=2", "-s", "1")
    assert out_of_range.exit_code == 3
    assert "expected a probability in [0, 1], got 2" in out_of_range.stderr
    bad_plot = invoke(MINIMAL, "--plot", "out.pdf", "-s", "1")
    assert bad_plot.exit_code == 2 and "must end in .png or .svg" in bad_plot.stderr
