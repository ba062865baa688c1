"""The package's architecture, kept: dependencies between subpackages point one way.

From the command line down to the scenario and the engine, every import, also those inside
functions and behind `TYPE_CHECKING`, goes to a subpackage at the same level or below it:

    cli > analysis > running > results > engine > scenario > output > errors, _version

So no two subpackages import each other, and a reader can take the layers one at a time.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nato_sim"

# Lowest first. Top-level modules other than these (the public API in __init__, __main__) sit
# above everything.
LAYERS = [
    "_version",
    "errors",
    "output",
    "scenario",
    "engine",
    "results",
    "running",
    "analysis",
    "cli",
]


def _layer(module: str) -> str | None:
    """The subpackage or base module of `nato_sim.x.y...`; None for the package itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every nato_sim module a file imports, anywhere in it, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("nato_sim")]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.level:
                raise AssertionError(f"{path}:{node.lineno}: relative import; use nato_sim.…")
            if node.module == "nato_sim":
                found += [(node.lineno, f"nato_sim.{a.name}") for a in node.names]
            elif node.module.startswith("nato_sim."):
                found.append((node.lineno, node.module))
    return found


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "data" not in p.relative_to(PACKAGE).parts)


def test_every_module_belongs_to_a_layer():
    for path in _modules():
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if len(parts) == 1 and parts[0] in {"__init__", "__main__"}:
            continue
        assert parts[0] in LAYERS, f"{path}: not in a layer of {LAYERS}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path):
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if len(parts) == 1 and parts[0] in {"__init__", "__main__"}:
        return  # the public API and the entry point may use every layer
    own = LAYERS.index(parts[0])
    upward = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {parts[0]} imports {target}"
        for line, target in _imports(path)
        if _layer(target) is None or LAYERS.index(_layer(target)) > own
    ]
    assert not upward, "imports from a layer above:\n" + "\n".join(upward)


def test_the_check_sees_an_import_behind_type_checking(tmp_path):
    # The kind of import the check exists to catch: hidden from the interpreter, not from it.
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from nato_sim.analysis.compare import Comparison\n"
        "def f():\n"
        "    import nato_sim.cli.app\n"
    )
    assert _imports(module) == [(3, "nato_sim.analysis.compare"), (5, "nato_sim.cli.app")]
