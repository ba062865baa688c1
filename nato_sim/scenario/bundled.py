"""Where the bundled scenarios and claims live, installed or in a source checkout."""

from __future__ import annotations

import os
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


def bundled_name(path: str | Path) -> str | None:
    """The name of the bundled scenario at `path` (`history/nato-2009`), or None when `path`
    is not one: the name to show, where a path inside the installed package would mean
    nothing to a reader."""
    # os.path.realpath, not Path.resolve: on a symbolic link loop the latter raises
    # RuntimeError before Python 3.13.
    root = Path(os.path.realpath(scenarios_dir()))
    try:
        inside = Path(os.path.realpath(path)).relative_to(root)
    except ValueError:
        return None
    if inside.suffix != ".yaml":
        return None
    return inside.with_suffix("").as_posix()
