"""Tests for the notebook API: tidy DataFrames, HTML tables and figures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import nato_sim
from nato_sim.errors import UsageError

DATA = Path(__file__).parent / "data"
MINIMAL = str(DATA / "minimal.yaml")
PROVENANCE = {"seed", "trials", "version"}


@pytest.fixture(scope="module")
def analyses():
    results = nato_sim.simulate(nato_sim.load(MINIMAL), 1000, 4)
    comparison = nato_sim.compare(MINIMAL, ["objections.tur-alpha.lift=0.6"], trials=800, rng=4)
    explanation = nato_sim.explain(MINIMAL, trials=400, rng=4)
    grid = nato_sim.sweep(
        MINIMAL, ["objections.tur-alpha.lift=0:1:3", "decision.rounds=2:3:2"], trials=200, rng=4
    )
    return results, comparison, explanation, grid


def test_the_analysis_functions_are_public():
    for name in ("compare", "explain", "sweep", "Comparison", "Explanation", "Sweep"):
        assert name in nato_sim.__all__ and hasattr(nato_sim, name)


def test_results_frame_has_one_row_per_outcome(analyses):
    results = analyses[0]
    frame = results.to_pandas()
    assert list(frame["outcome"]) == ["alpha", "beta", "extension", "no-decision"]
    assert frame["probability"].sum() == pytest.approx(1.0)
    assert PROVENANCE | {"scenario_hash", "low", "high", "count"} <= set(frame.columns)
    assert set(frame["seed"]) == {4} and set(frame["trials"]) == {1000}


def test_comparison_frame_matches_its_rows(analyses):
    comparison = analyses[1]
    frame = comparison.to_pandas()
    assert len(frame) == len(comparison.rows)
    alpha = frame[frame["key"] == "alpha"].iloc[0]
    row = comparison.row("alpha")
    assert (alpha["baseline"], alpha["variant"], alpha["difference"]) == (
        row.baseline,
        row.variant,
        row.difference,
    )
    assert alpha["variant_overrides"] == "objections.tur-alpha.lift=0.6"
    assert PROVENANCE | {"baseline_hash", "variant_hash", "distinguishable"} <= set(frame.columns)


def test_explanation_frame_has_one_row_per_rule(analyses):
    frame = analyses[2].to_pandas()
    assert sorted(frame["rule"]) == ["deu-beta", "tur-alpha"]
    assert PROVENANCE | {"candidate_change", "winner_change", "round_change"} <= set(frame.columns)


def test_sweep_frame_is_tidy(analyses):
    grid = analyses[3]
    frame = grid.to_pandas()
    assert len(frame) == 3 * 2 * 4  # grid points x outcomes
    assert {"objections.tur-alpha.lift", "decision.rounds", "outcome", "probability"} <= set(
        frame.columns
    )
    sums = frame.groupby(["objections.tur-alpha.lift", "decision.rounds"])["probability"].sum()
    assert sums.to_numpy() == pytest.approx(1.0)
    assert len(set(frame["scenario_hash"])) == 6  # each point's own scenario


def test_html_tables_are_escaped_tables(analyses):
    for item in analyses:
        html = item._repr_html_()
        assert html.startswith("<table>") and "</table>" in html
        assert "<script" not in html
    assert "Alpha" in analyses[0]._repr_html_()
    assert "deu-beta" in analyses[2]._repr_html_()


def test_plot_returns_a_matplotlib_figure(analyses):
    from matplotlib.figure import Figure

    for item in analyses:
        assert isinstance(item.plot(), Figure)


def test_missing_pandas_gives_an_install_hint(monkeypatch, analyses):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(UsageError, match=r"pip install 'nato-sim\[pandas\]'"):
        analyses[0].to_pandas()
    assert analyses[0]._repr_html_().startswith("<table>")  # HTML needs no pandas
