"""The code stays clean: ruff's lint and format, and mypy on the package.

Each runs as the development install has it (the `test` extra); the settings are in
pyproject.toml. A failure prints what the tool said.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["nato_sim", "tests", "benchmarks", "examples"]


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


@pytest.mark.parametrize(
    "command", [("ruff", "check", *SOURCES), ("ruff", "format", "--check", *SOURCES)]
)
def test_ruff(command):
    done = _run(*command)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy():
    done = _run("mypy")
    assert done.returncode == 0, done.stdout + done.stderr
