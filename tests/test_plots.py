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
