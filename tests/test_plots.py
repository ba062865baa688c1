"""Tests for the figures: valid PNG and SVG files, written atomically, clear errors."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

import nato_sim
from nato_sim.cli import app
from nato_sim.errors import UsageError
from nato_sim.output.figures import check_plot_path, save_figure
from nato_sim.results.figures import run_figure, save_run_plot

DATA = Path(__file__).parent / "data"
MINIMAL = str(DATA / "minimal.yaml")
ENV = {"COLUMNS": "100", "NO_COLOR": "1"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def results():
    return nato_sim.simulate(nato_sim.load(MINIMAL), 2000, 1)


def assert_png(path: Path) -> None:
    from matplotlib.image import imread

    assert path.read_bytes()[:8] == PNG_SIGNATURE
    height, width, _ = imread(path).shape
    assert width > 600 and height > 300
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def assert_svg(path: Path) -> None:
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_run_plot_png_and_svg(tmp_path, results):
    save_run_plot(results, tmp_path / "run.png")
    save_run_plot(results, tmp_path / "run.svg")
    assert_png(tmp_path / "run.png")
    assert_svg(tmp_path / "run.svg")


def test_run_figure_marks_milestones_inside_the_timing_panel(results):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = run_figure(results)
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    outcome_ax, timing_ax = figure.axes
    labels = [t for t in timing_ax.texts if t.get_text().startswith("summit")]
    (milestone,) = results.milestones
    assert len(labels) == 1
    assert labels[0].get_text() == f"summit: {100 * milestone.probability:.0f}%"
    box = timing_ax.get_window_extent(renderer)
    extent = labels[0].get_window_extent(renderer)
    assert box.x0 <= extent.x0 and extent.x1 <= box.x1
    assert box.y0 <= extent.y0 and extent.y1 <= box.y1
    names = [t.get_text() for t in outcome_ax.get_yticklabels()]
    assert sorted(names) == sorted(o.name for o in results.outcomes)


def test_analysis_figures_are_valid_images(tmp_path):
    comparison = nato_sim.compare(MINIMAL, ["objections.tur-alpha.lift=0.6"], trials=800, rng=1)
    explanation = nato_sim.explain(MINIMAL, trials=400, rng=1)
    line = nato_sim.sweep(MINIMAL, ["objections.tur-alpha.lift=0:1:3"], trials=200, rng=1)
    grid = nato_sim.sweep(
        MINIMAL, ["objections.tur-alpha.lift=0:1:3", "decision.rounds=2:4:3"], trials=200, rng=1
    )
    for name, figure in (
        ("compare", comparison.plot()),
        ("explain", explanation.plot()),
        ("line", line.plot()),
        ("grid", grid.plot("alpha")),
    ):
        save_figure(figure, tmp_path / f"{name}.png")
        assert_png(tmp_path / f"{name}.png")
    save_figure(grid.plot(), tmp_path / "grid.svg")
    assert_svg(tmp_path / "grid.svg")


def test_other_extensions_are_refused(tmp_path):
    with pytest.raises(UsageError, match="must end in .png or .svg"):
        check_plot_path(tmp_path / "figure.pdf")
    assert check_plot_path("figure.SVG") == "svg"


def test_missing_matplotlib_gives_an_install_hint(monkeypatch, results, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(UsageError) as error:
        save_run_plot(results, tmp_path / "run.png")
    assert str(error.value) == "plots need matplotlib: pip install 'nato-sim[plot]'"
    assert not (tmp_path / "run.png").exists()
    result = CliRunner().invoke(
        app,
        [
            "sweep",
            MINIMAL,
            "--vary",
            "objections.tur-alpha.lift=0:1:3",
            "--plot",
            str(tmp_path / "s.png"),
        ],
        env=ENV,
    )
    assert result.exit_code == 2 and "pip install 'nato-sim[plot]'" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["run", MINIMAL, "--trials", "500"],
        ["compare", MINIMAL, "--set", "objections.tur-alpha.lift=0.6", "--trials", "500"],
        ["explain", MINIMAL, "--trials", "500"],
        ["sweep", MINIMAL, "--vary", "objections.tur-alpha.lift=0:1:3", "--trials", "200"],
    ],
)
def test_commands_write_plots(tmp_path, command):
    out = tmp_path / "figure.png"
    result = CliRunner().invoke(
        app, [*command, "--seed", "1", "--workers", "1", "--plot", str(out)], env=ENV
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stderr
    assert_png(out)


# What a reader sees: whole labels, labels clear of the curve, titles, units, bands, levels.

LONG_MILESTONE = "NATO 75th anniversary (foreign ministers, 4 April 2024 at NATO headquarters)"


def _drawn(figure):
    """The figure after a draw, so that text extents are known; and its renderer."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    return renderer


def _texts(figure) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in figure.findobj(Text) if t.get_visible() and t.get_text()]


def _assert_nothing_cut(figure) -> None:
    for text in _texts(figure):
        assert "…" not in text and not text.rstrip().endswith("..."), text


def _ticks(axis) -> list[str]:
    """The labels of the ticks shown inside the axis' view."""
    low, high = sorted(axis.get_view_interval())
    return [
        label.get_text()
        for tick, label in zip(axis.get_majorticklocs(), axis.get_ticklabels(), strict=True)
        if low - 1e-9 <= tick <= high + 1e-9 and label.get_text()
    ]


def _curve_span(results, x0: float, x1: float) -> tuple[float, float]:
    """The lowest and highest the drawn curve and its band reach between x0 and x1 (data)."""
    from matplotlib.dates import date2num

    rows = results.rounds
    dated = rows[0].date is not None
    xs = [date2num(r.date) if dated else r.round for r in rows]
    step = xs[-1] - xs[-2] if len(xs) > 1 else 1
    ends = xs[1:] + [xs[-1] + step]
    inside = [r for r, a, b in zip(rows, xs, ends, strict=True) if a <= x1 and b >= x0]
    if not inside:
        return (1.0, 0.0)  # nothing drawn there
    return min(r.low for r in inside), max(r.high for r in inside)


@pytest.mark.parametrize(
    "name", [*__import__("nato_sim.scenario.bundled", fromlist=["x"]).bundled_scenarios()]
)
def test_milestone_labels_are_whole_and_clear_of_the_curve(name):
    results = nato_sim.simulate(name, 2000, 1)
    figure = run_figure(results)
    renderer = _drawn(figure)
    _assert_nothing_cut(figure)
    timing = figure.axes[1]
    labels = [t for t in timing.texts if (t.get_gid() or "").startswith("milestone-label-")]
    assert len(labels) == len(results.milestones)
    box = timing.get_window_extent(renderer)
    for label, m in zip(labels, results.milestones, strict=True):
        assert (
            " ".join(label.get_text().split("\n")) == f"{m.milestone}: {100 * m.probability:.0f}%"
        )
        extent = label.get_window_extent(renderer)
        assert box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1, m.milestone
        assert box.y0 - 1 <= extent.y0 and extent.y1 <= box.y1 + 1, m.milestone
        (x0, y0), (x1, y1) = timing.transData.inverted().transform(
            [[extent.x0, extent.y0], [extent.x1, extent.y1]]
        )
        low, high = _curve_span(results, x0, x1)
        assert y1 < low or y0 > high, (m.milestone, (y0, y1), (low, high))


def test_a_long_milestone_name_is_wrapped_not_cut():
    results = nato_sim.simulate(
        "nato-2024", 2000, 1, overrides=[f"milestones.0.name={LONG_MILESTONE}"]
    )
    figure = run_figure(results)
    _drawn(figure)
    _assert_nothing_cut(figure)
    (label,) = [
        t
        for t in figure.axes[1].texts
        if (t.get_gid() or "").startswith("milestone-label-")
        and t.get_text().startswith("NATO 75th")
    ]
    assert "\n" in label.get_text()
    assert " ".join(label.get_text().split("\n")).startswith(LONG_MILESTONE + ": ")


@pytest.fixture(scope="module")
def analyses_2024():
    comparison = nato_sim.compare("nato-2024", "objections.tur-rutte.lift=0.6", trials=4000, rng=1)
    explanation = nato_sim.explain("nato-2024", trials=2000, rng=1)
    line = nato_sim.sweep("nato-2024", "objections.hun-rutte.lift=0:0.5:4", trials=1000, rng=1)
    grid = nato_sim.sweep(
        "nato-2024",
        ["objections.tur-rutte.lift=0:0.5:3", "objections.hun-rutte.chance=0:1:3"],
        trials=500,
        rng=1,
    )
    return comparison, explanation, line, grid


def test_titles_use_the_scenario_title(results, analyses_2024):
    title = nato_sim.load("nato-2024").title

    def heading(figure) -> str:
        return " ".join(figure.get_suptitle().split("\n"))

    assert heading(run_figure(results)) == "Minimal test scenario"
    for item in analyses_2024:
        assert heading(item.plot()).startswith(title)


def test_every_probability_axis_is_in_percent(results, analyses_2024):
    comparison, explanation, line, grid = analyses_2024
    run = run_figure(results)
    _drawn(run)
    outcome, timing = run.axes
    assert _ticks(outcome.xaxis) and all(t.endswith("%") for t in _ticks(outcome.xaxis))
    assert _ticks(timing.yaxis) and all(t.endswith("%") for t in _ticks(timing.yaxis))
    for item in (comparison, explanation):
        figure = item.plot()
        _drawn(figure)
        levels, change = figure.axes
        assert _ticks(levels.xaxis) and all(t.endswith("%") for t in _ticks(levels.xaxis))
        assert _ticks(change.xaxis) and all(t.endswith(" pp") for t in _ticks(change.xaxis))
    figure = line.plot()
    _drawn(figure)
    assert all(t.endswith("%") for t in _ticks(figure.axes[0].yaxis))
    figure = grid.plot()
    _drawn(figure)
    heat, bar = figure.axes
    assert bar.get_ylim() == (0.0, 100.0)
    assert _ticks(bar.yaxis) and all(t.endswith("%") for t in _ticks(bar.yaxis))


def test_the_heat_map_cells_are_in_the_colour_bar_unit(analyses_2024):
    grid = analyses_2024[3]
    figure = grid.plot("rutte")
    heat, _ = figure.axes
    p, _, _ = grid.grid("rutte")
    (image,) = heat.get_images()
    assert list(image.get_array().ravel()) == pytest.approx(list((100 * p).ravel()))
    cells = {
        (round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in heat.texts
    }
    for (i, j), text in cells.items():
        assert text == f"{100 * p[i, j]:.0f}%"
    assert len(cells) == p.size


def test_sweep_interval_bands_are_drawn_for_every_line(analyses_2024):
    from matplotlib.collections import LineCollection, PolyCollection

    line = analyses_2024[2]
    figure = line.plot()
    ax = figure.axes[0]
    shown = [o for o in line.outcomes if line.grid(o)[0].max() > 0]
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    bars = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(bands) == len(shown) and len(bars) == len(shown)
    for band, bar, outcome in zip(bands, bars, shown, strict=True):
        assert band.get_alpha() >= 0.25
        _, low, high = line.grid(outcome)
        ys = band.get_paths()[0].vertices[:, 1]
        assert ys.min() == pytest.approx(low.min()) and ys.max() == pytest.approx(high.max())
        segments = bar.get_segments()
        assert [s[0][1] for s in segments] == pytest.approx(list(low))
        assert [s[1][1] for s in segments] == pytest.approx(list(high))


def test_the_comparison_shows_both_levels_and_the_difference(analyses_2024):
    comparison = analyses_2024[0]
    figure = comparison.plot()
    levels, change = figure.axes
    rows = [r for r in comparison.rows if r.section != "timing"]
    drawn = {
        marker: sorted(
            x for line in levels.lines if line.get_marker() == marker for x in line.get_xdata()
        )
        for marker in ("o", "D")
    }
    assert drawn["o"] == pytest.approx(sorted(r.baseline for r in rows))
    assert drawn["D"] == pytest.approx(sorted(r.variant for r in rows))
    differences = sorted(
        x for line in change.lines if line.get_marker() == "o" for x in line.get_xdata()
    )
    assert differences == pytest.approx(sorted(r.difference for r in rows))
    legend = [t.get_text() for t in levels.get_legend().get_texts()]
    assert legend[0] == "baseline" and "objections.tur-rutte.lift=0.6" in legend[1]
    _drawn(figure)
    _assert_nothing_cut(figure)


def test_rule_labels_name_members_and_candidates(analyses_2024):
    explanation = analyses_2024[1]
    figure = explanation.plot()
    _drawn(figure)
    labels = [" ".join(t.get_text().split("\n")) for t in figure.axes[0].get_yticklabels()]
    assert "hun-rutte: Hungary → Mark Rutte" in labels
    _assert_nothing_cut(figure)


def test_figures_on_one_side_only_show_their_level_and_no_difference():
    comparison = nato_sim.compare("nato-2024", against="nato-2024-spring", trials=2000, rng=1)
    unmatched = [u for u in comparison.unmatched if u.section != "timing"]
    assert {u.name for u in unmatched} >= {"Ursula von der Leyen", "Klaus Iohannis"}
    figure = comparison.plot()
    _drawn(figure)
    levels, change = figure.axes
    names = [" ".join(t.get_text().split("\n")) for t in levels.get_yticklabels()]
    for u in unmatched:
        assert u.name in names
    notes = [t for t in change.texts if t.get_text().startswith("n/a")]
    assert len(notes) == len(unmatched)
    compared = [r for r in comparison.rows if r.section != "timing"]
    drawn = [x for line in change.lines if line.get_marker() == "o" for x in line.get_xdata()]
    assert len(drawn) == len(compared)
    assert "nato-2024-spring" in figure.get_supxlabel()
    _assert_nothing_cut(figure)
