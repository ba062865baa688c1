"""Every example under examples/ runs from start to end, so none can silently rot.

The script runs as a plain program; the notebook runs cell by cell in a real Jupyter kernel
(nbclient and ipykernel, in the `test` extra), and what each cell shows is checked: a run
shows its whole report, `.plot()` a picture, with no `%matplotlib inline` anywhere.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KERNEL = "nato-sim-tests"


def test_there_are_examples():
    assert [p.name for p in SCRIPTS] == ["whatif.py"]
    assert [p.name for p in NOTEBOOKS] == ["whatif.ipynb"]


@pytest.mark.parametrize("example", SCRIPTS, ids=lambda p: p.name)
def test_example_runs(example, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg", "COLUMNS": "120"}
    done = subprocess.run(
        [sys.executable, str(example)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "paired batch means" in done.stdout
    assert "tur-rutte" in done.stdout and "hun-rutte" in done.stdout
    for name in ("compare.png", "sweep.png", "grid.png"):
        assert (tmp_path / "figures" / name).read_bytes()[:8] == PNG_SIGNATURE


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _shown(cell) -> dict:
    """The rich value a code cell shows (its `execute_result`), by MIME type."""
    results = [o for o in cell.get("outputs", []) if o["output_type"] == "execute_result"]
    assert len(results) <= 1
    return dict(results[0]["data"]) if results else {}


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook after a real kernel ran every cell, in a fresh folder."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    folder = tmp_path_factory.mktemp("notebook")
    # A kernel of this very interpreter, whatever other kernels the machine has installed.
    specs = tmp_path_factory.mktemp("jupyter")
    spec = specs / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"})
    )
    notebook = nbformat.read(NOTEBOOKS[0], as_version=4)
    saved = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(specs)
    try:
        client = nbclient.NotebookClient(
            notebook,
            timeout=600,
            kernel_name=KERNEL,
            resources={"metadata": {"path": str(folder)}},
        )
        client.execute()
    finally:
        if saved is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = saved
    return notebook, folder


def test_the_notebook_is_saved_without_outputs():
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(NOTEBOOKS[0], as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert not any("%matplotlib" in _source(c) or "pyplot" in _source(c) for c in code)


def test_the_notebook_runs_without_errors(executed):
    notebook, folder = executed
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o["output_type"] == "error"]
        assert not errors, (_source(cell), errors)
        streams = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stderr")
        assert "Traceback" not in streams
    assert (folder / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_run_shows_its_whole_report(executed):
    notebook, _ = executed
    (cell,) = [c for c in notebook.cells if _source(c).rstrip().endswith("\nresults")]
    html = _shown(cell)["text/html"]
    assert "is the most likely next Secretary General" in html
    for table in ("Outcomes", "Timing", "Milestones", "Blockers", "Objection rules"):
        assert f"<caption>{table}<br>" in html
    assert "NATO Secretary General 2024" in html and "Mark Rutte" in html


def test_plot_as_the_last_line_shows_a_picture(executed):
    notebook, _ = executed
    cells = [c for c in notebook.cells if _source(c).rstrip().endswith(".plot()")]
    assert len(cells) == 4
    for cell in cells:
        shown = _shown(cell)
        png = base64.b64decode(shown["image/png"])
        assert png[:8] == PNG_SIGNATURE
        assert "Figure size" in shown["text/plain"]
        # Shown once: as the cell's value, not also as a display of its own.
        assert not [o for o in cell.outputs if o["output_type"] == "display_data"]


def test_analyses_show_their_tables(executed):
    notebook, _ = executed
    for name, text in (
        ("comparison", "objections.tur-rutte.lift=0.6"),
        ("explanation", "hun-rutte"),
    ):
        (cell,) = [c for c in notebook.cells if _source(c).rstrip().endswith(f"\n{name}")]
        html = _shown(cell)["text/html"]
        assert "<table>" in html and text in html
