"""Packaging: the wheel carries the bundled data, and the README states the CI test command."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import nato_sim

ROOT = Path(__file__).resolve().parent.parent
TEST_COMMAND_START = 'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]"'


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from the source tree with hatchling, as `pip install` would build it."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    [built] = out.glob("nato_sim-*.whl")
    return built


def test_the_wheel_carries_scenarios_seeds_and_py_typed(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "nato_sim/data/scenarios/nato-2024.yaml" in names
    assert "nato_sim/py.typed" in names
    scenarios = {
        p.relative_to(ROOT / "scenarios").as_posix() for p in (ROOT / "scenarios").rglob("*.yaml")
    }
    seeds = {p.name for p in (ROOT / "seeds").glob("*.yaml")}
    assert seeds
    assert {
        n.removeprefix("nato_sim/data/scenarios/")
        for n in names
        if n.startswith("nato_sim/data/scenarios/")
    } == scenarios
    assert {
        n.removeprefix("nato_sim/data/seeds/")
        for n in names
        if n.startswith("nato_sim/data/seeds/") and n.endswith(".yaml")
    } == seeds
    assert not any(n.startswith("tests/") for n in names)


def test_the_wheel_metadata_has_the_version_and_the_command(wheel):
    archive = zipfile.ZipFile(wheel)
    info = f"nato_sim-{nato_sim.__version__}.dist-info"
    metadata = archive.read(f"{info}/METADATA").decode()
    assert f"\nVersion: {nato_sim.__version__}\n" in metadata
    entry_points = archive.read(f"{info}/entry_points.txt").decode()
    assert "nato-sim = nato_sim.cli:main" in entry_points


def test_the_installed_package_finds_its_bundled_data_from_another_folder(wheel, tmp_path):
    # Unpacked, the wheel is what an installation puts in site-packages.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "COLUMNS": "100", "NO_COLOR": "1"}
    code = (
        "import nato_sim, nato_sim.scenario.bundled as b; print(nato_sim.__file__); "
        "print(b.scenarios_dir()); print(b.seeds_dir())"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code],
        cwd=elsewhere,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.split("\n")
    assert shown[0] == str(site / "nato_sim" / "__init__.py")
    assert shown[1:3] == [
        str(site / "nato_sim" / "data" / "scenarios"),
        str(site / "nato_sim" / "data" / "seeds"),
    ]
    result = subprocess.run(
        [sys.executable, "-m", "nato_sim", "validate", "nato-2024"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok      nato-2024: ")


def test_readme_states_exactly_the_test_command_ci_runs():
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    [command] = [line for line in ci_lines if line.startswith(TEST_COMMAND_START)]
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert command in [line.strip() for line in readme], (
        f"README.md should show the test command CI runs: {command}"
    )
