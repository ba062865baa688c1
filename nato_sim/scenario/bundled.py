"""Where the bundled scenarios and claims live, installed or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # nato_sim/


def _data_dir(name: str) -> Path:
    # A wheel carries the folders inside the package (see pyproject's force-include);
    # a source checkout or editable install has them beside the package.
    installed = _PACKAGE / "data" / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


def scenarios_dir() -> Path:
    """The folder of bundled scenarios."""
    return _data_dir("scenarios")


def seeds_dir() -> Path:
    """The folder of bundled claims."""
    return _data_dir("seeds")


def bundled_scenarios() -> dict[str, Path]:
    """Every bundled scenario by name: `nato-2024`, `history/nato-2009`, ..."""
    root = scenarios_dir()
    found = {}
    for path in sorted(root.rglob("*.yaml")):
        found[path.relative_to(root).with_suffix("").as_posix()] = path
    return found
