"""`nato-sim report`: one self-contained HTML page, checked as text and in a real browser.

The browser tests load the page in headless Chromium from the system's packages (`.ci/run`
installs it with apt-get) and read what it rendered: the text of the page and a screenshot.
Where no Chromium is installed they are skipped, saying so.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

import nato_sim
from nato_sim.analysis.report import report_page
from nato_sim.cli import app
from nato_sim.results.headline import headline
from nato_sim.results.report import run_report, source_rows

DATA = Path(__file__).parent / "data"
MINIMAL = str(DATA / "minimal.yaml")
ENV = {"COLUMNS": "100", "NO_COLOR": "1"}
VARIANT = "objections.tur-rutte.lift=0.6"
TRIALS = "3000"
RUN_TABLES = ("Outcomes", "Timing", "Milestones", "Blockers", "Objection rules")


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env=ENV)


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    """The full report of nato-2024: the run, a comparison and the veto impact."""
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = invoke(
        "report",
        "nato-2024",
        "--variant",
        VARIANT,
        "--explain",
        "--trials",
        TRIALS,
        "--seed",
        "7",
        "--workers",
        "1",
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stderr
    return out


@pytest.fixture(scope="module")
def page(page_file) -> str:
    return page_file.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def results():
    """The run the report holds: the same scenario, seed and trials."""
    return nato_sim.simulate("nato-2024", int(TRIALS), 7)


def visible_text(markup: str) -> str:
    """The text of an HTML document, without its tags, style and SVG figures."""
    markup = re.sub(r"<(style|svg)\b.*?</\1>", " ", markup, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def test_the_page_needs_nothing_from_outside(page):
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    lowered = page.lower()
    for tag in (
        "<script",
        "<link",
        "<iframe",
        "<img",
        "<object",
        "<embed",
        "@import",
        "@font-face",
    ):
        assert tag not in lowered, tag
    assert not re.search(r"\bsrc\s*=", lowered)
    assert not re.search(r"url\(\s*['\"]?(?!#)", lowered)  # only references inside the page
    # The only addresses are the SVG namespaces, which are names, not fetched.
    addresses = re.findall(r'(\S*)="?(https?://[^"\s>]+)', page)
    assert addresses and {a for _, a in addresses} <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    assert all(name.startswith("xmlns") for name, _ in addresses)


def test_every_link_and_reference_stays_in_the_page(page):
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "an id is used twice"
    targets = set(re.findall(r'href="#([^"]+)"', page)) | set(re.findall(r"url\(#([^)]+)\)", page))
    assert targets and targets <= set(ids)


def test_the_page_opens_with_the_answer_then_every_table(page, results):
    text = visible_text(page)
    title = nato_sim.load("nato-2024").title
    answer = headline(results)
    assert text.index(title) < text.index(answer) < text.index("Assumptions")
    assert "Mark Rutte is the most likely next Secretary General" in answer
    for caption in RUN_TABLES:
        assert f"<caption>{caption}<br>" in page
    for row in results.outcomes:
        assert row.name in text
    assert "decision.min_support" in text and "dynamics.bandwagon" in text and "horizon" in text
    assert page.count("<svg") == 3  # the run, the comparison, the veto impact


def test_every_sourced_parameter_shows_its_claim_and_document(page, results):
    rows, claims = source_rows(results.scenario)
    text = visible_text(page)
    assert rows
    for row in rows:
        assert row.parameter in text
        assert claims[row.claim].document.title in text
        assert f'href="#s-claim-{row.claim}"' in page
    for claim_id in {r.claim for r in rows}:
        assert f'id="s-claim-{claim_id}"' in page
        assert html.escape(claims[claim_id].says, quote=True) in page


def test_the_comparison_and_the_veto_impact_are_there(page):
    text = visible_text(page)
    assert "Compared with NATO Secretary General 2024" in text and VARIANT in text
    assert "Baseline:" in text and "Variant:" in text
    assert "Sourced parameters the variant overrides" in text
    assert "objections[tur-rutte].lift" in text  # the parameter the variant sets aside
    assert "Whose veto matters most" in text and "Pivotal members" in text
    assert "hun-rutte" in text and "Hungary" in text
    assert "nato-sim report nato-2024 --variant objections.tur-rutte.lift=0.6 --explain" in text


def test_the_same_seed_gives_the_same_page(tmp_path):
    pages = []
    for name in ("a.html", "b.html"):
        out = tmp_path / name
        result = invoke("report", MINIMAL, "-n", "500", "--seed", "3", "-w", "1", "-o", str(out))
        assert result.exit_code == 0, result.output
        pages.append(out.read_text(encoding="utf-8").replace(name, "X"))
    assert pages[0] == pages[1]


def test_without_output_the_page_goes_to_stdout():
    result = invoke("report", MINIMAL, "-n", "500", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert "Minimal test scenario" in result.stdout


def test_against_another_scenario_lists_its_sources(tmp_path):
    out = tmp_path / "r.html"
    result = invoke(
        "report",
        "nato-2024",
        "--against",
        "nato-2024-spring",
        "-n",
        "1000",
        "--seed",
        "1",
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.output
    text = visible_text(out.read_text(encoding="utf-8"))
    assert "Parameters and the claims they rest on (variant)" in text
    assert "(nato-2024-spring)" in text


def test_set_changes_the_scenario_of_the_whole_page(tmp_path):
    out = tmp_path / "r.html"
    result = invoke(
        "report", "nato-2024", "--set", VARIANT, "-n", "1000", "--seed", "1", "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert f"nato-2024 with {VARIANT}" in visible_text(page)
    # The claim behind the file's value is kept, marked as set aside.
    assert "0.6 (set)" in visible_text(page)


def test_mistakes_are_reported_before_anything_runs(tmp_path):
    missing = tmp_path / "no-such-folder" / "r.html"
    result = invoke("report", "nato-2024", "-o", str(missing))
    assert result.exit_code == 4 and "cannot write" in result.stderr and not missing.exists()
    result = invoke("report", "no-such-scenario", "-o", str(tmp_path / "r.html"))
    assert result.exit_code == 3 and not (tmp_path / "r.html").exists()
    result = invoke("report", "nato-2024", "--variant", "objections.nobody.lift=1", "-n", "500")
    assert result.exit_code == 2 and "nobody" in result.stderr
    result = invoke("report", "nato-2024", "--set", "nonsense")
    assert result.exit_code == 2 and "expected PATH=VALUE" in result.stderr


def test_the_run_page_without_matplotlib_says_so(monkeypatch):
    import sys

    results = nato_sim.simulate(MINIMAL, 300, 1)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    page = run_report(results)
    assert "<svg" not in page and "figure left out" in page and "pip install" in page
    assert "<caption>Outcomes<br>" in page


def test_report_page_from_python_has_every_part():
    results = nato_sim.simulate(MINIMAL, 500, 2)
    comparison = nato_sim.compare(MINIMAL, "objections.tur-alpha.lift=0.6", trials=500, rng=2)
    explanation = nato_sim.explain(MINIMAL, trials=400, rng=2)
    page = report_page(results, comparison=comparison, explanation=explanation)
    for anchor in ("headline", "assumptions", "figure", "tables", "sources", "comparison"):
        assert f'id="{anchor}"' in page and f'href="#{anchor}"' in page
    assert 'id="veto-impact"' in page
    assert "No parameter of this scenario cites a claim." in page


# In a real browser ---------------------------------------------------------------------


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


needs_chromium = pytest.mark.skipif(
    chromium() is None,
    reason="no headless Chromium on this machine: .ci/run installs it with apt-get "
    "(apt-get install chromium); the browser checks of the report are skipped",
)


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    browser = chromium()
    assert browser is not None
    command = [
        browser,
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        *args,
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    return subprocess.run(command, capture_output=True, text=True, timeout=180, env=env)


@needs_chromium
def test_chromium_renders_the_answer_and_the_tables(page_file, results, tmp_path):
    done = run_chromium(tmp_path, "--dump-dom", page_file.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    rendered = visible_text(done.stdout)
    assert headline(results) in rendered
    for caption in RUN_TABLES:
        assert caption in rendered
    assert "Pivotal members" in rendered and "Parameters and the claims they rest on" in rendered
    assert done.stdout.count("<svg") == 3


@needs_chromium
def test_chromium_screenshot_is_not_blank(page_file, tmp_path):
    import numpy as np
    from matplotlib.image import imread

    shot = tmp_path / "report.png"
    done = run_chromium(
        tmp_path, f"--screenshot={shot}", "--window-size=1200,2000", page_file.as_uri()
    )
    assert done.returncode == 0, done.stderr[-2000:]
    image = imread(shot)[:, :, :3]
    assert image.shape[:2] == (2000, 1200)
    ink = (image < 0.8).any(axis=2)  # anything darker than a light grey
    assert 0.01 < ink.mean() < 0.6
    # Text at the top (the title and the answer), and the blue of the figure further down.
    assert ink[:300].mean() > 0.005
    blue = (np.abs(image - np.array([0x1F, 0x77, 0xB4]) / 255).max(axis=2) < 0.05).sum()
    assert blue > 500
