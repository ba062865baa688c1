"""Every example under examples/ runs from start to end, so none can silently rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


def test_there_are_examples():
    assert [p.name for p in EXAMPLES] == ["whatif.py"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
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
        assert (tmp_path / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
