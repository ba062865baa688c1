"""Tests for the notebook API: tidy DataFrames, the HTML report, figures, and what
`simulate` and the analyses take."""

from __future__ import annotations

import io
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
        assert "<table>" in html and "</table>" in html
        assert "<script" not in html
    assert "Alpha" in analyses[0]._repr_html_()
    assert "deu-beta" in analyses[2]._repr_html_()


def test_a_run_shows_its_whole_report_in_html(analyses):
    results = analyses[0]
    html = results._repr_html_()
    from nato_sim.results.headline import headline

    assert html.startswith('<div class="nato-sim-report">') and html.endswith("</div>")
    assert headline(results).replace("'", "&#x27;") in html
    assert "Minimal test scenario" in html and "min_support" in html  # title, assumptions
    captions = [
        part.split("</caption>")[0].split("<br>")[0] for part in html.split("<caption>")[1:]
    ]
    assert captions == [
        "The settings that drive the model",
        "Outcomes",
        "Timing",
        "Milestones",
        "Blockers",
        "Objection rules",
    ]
    for row in results.outcomes:
        assert f"<td>{row.name}</td>" in html
    assert "summit" in html and "Türkiye" in html  # a milestone, a blocker by name
    assert "replay: nato-sim run" in html


def test_the_html_captions_list_the_overrides():
    overrides = ["objections.tur-alpha.lift=0.6", "dynamics.bandwagon=0.5"]
    results = nato_sim.simulate(MINIMAL, 500, 1, overrides=overrides)
    html = results._repr_html_()
    captions = html.split("<caption>")[2:]  # the tables of figures, after the assumptions
    assert len(captions) == 5
    for caption in captions:
        small = caption.split("</caption>")[0]
        assert "with objections.tur-alpha.lift=0.6, dynamics.bandwagon=0.5" in small
        assert results.provenance["scenario_hash"] in small


def test_html_escapes_what_the_scenario_says():
    results = nato_sim.simulate(
        MINIMAL, 300, 1, overrides=["candidates.alpha.name=<b>Alpha & Co</b>"]
    )
    html = results._repr_html_()
    assert "&lt;b&gt;Alpha &amp; Co&lt;/b&gt;" in html and "<b>Alpha" not in html


def test_simulate_takes_a_name_a_path_or_a_scenario():
    by_path = nato_sim.simulate(MINIMAL, 400, 3)
    by_scenario = nato_sim.simulate(nato_sim.load(MINIMAL), 400, 3)
    assert by_path.outcomes == by_scenario.outcomes
    assert by_path.provenance["scenario"] == MINIMAL
    by_name = nato_sim.simulate("nato-2024", 400, 3)
    assert by_name.provenance["scenario"] == "nato-2024"
    assert by_name.outcomes == nato_sim.simulate(nato_sim.load("nato-2024"), 400, 3).outcomes


def test_one_override_may_be_given_as_one_string():
    text = "objections.tur-alpha.lift=0.6"
    one = nato_sim.simulate(MINIMAL, 400, 3, overrides=text)
    listed = nato_sim.simulate(MINIMAL, 400, 3, overrides=[text])
    loaded = nato_sim.simulate(nato_sim.load(MINIMAL, [text]), 400, 3)
    assert one.provenance["overrides"] == [text]
    assert one.outcomes == listed.outcomes == loaded.outcomes
    assert one.outcomes != nato_sim.simulate(MINIMAL, 400, 3).outcomes
    comparison = nato_sim.compare(MINIMAL, text, trials=400, rng=3)
    assert comparison.provenance["variant"]["overrides"] == [text]
    assert nato_sim.explain(MINIMAL, text, trials=200, rng=3).provenance["overrides"] == [text]
    sweep = nato_sim.sweep(MINIMAL, "dynamics.bandwagon=0:1:2", text, trials=200, rng=3)
    assert sweep.provenance["overrides"] == [text]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ("objections.tur-alpha.lift", r"expected PATH=VALUE"),
        (5, r"overrides must be a list of 'path=value' strings.*got int 5"),
        (b"objections.tur-alpha.lift=0.6", r"got bytes"),
        (["objections.tur-alpha.lift=0.6", 3], r"each override must be a 'path=value' string"),
        ("objections.nobody.lift=0.6", r"nobody"),
    ],
)
def test_bad_overrides_are_refused_with_a_clear_message(overrides, message):
    with pytest.raises(UsageError, match=message):
        nato_sim.simulate(MINIMAL, 100, 1, overrides=overrides)


def test_plot_returns_a_matplotlib_figure_a_notebook_shows(analyses):
    from matplotlib.figure import Figure
    from matplotlib.image import imread

    for item in analyses:
        figure = item.plot()
        assert isinstance(figure, Figure)
        # IPython asks any value for `_repr_png_`: the figure shows with no backend set.
        png = figure._repr_png_()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        height, width, _ = imread(io.BytesIO(png)).shape
        assert width > 400 and height > 200


def test_missing_pandas_gives_an_install_hint(monkeypatch, analyses):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(UsageError, match=r"pip install 'nato-sim\[pandas\]'"):
        analyses[0].to_pandas()
    assert "<table>" in analyses[0]._repr_html_()  # HTML needs no pandas
