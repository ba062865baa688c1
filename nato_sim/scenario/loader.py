"""Loading a scenario: find the file, read it, apply overrides, validate, check references."""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from nato_sim.errors import Problem, ScenarioError
from nato_sim.scenario.bundled import bundled_scenarios, seeds_dir
from nato_sim.scenario.claims import Claim, load_claims
from nato_sim.scenario.crossref import check_references
from nato_sim.scenario.overrides import Override, apply_overrides, parse_override
from nato_sim.scenario.schema import Scenario
from nato_sim.scenario.yamlsource import ParsedYaml, parse_yaml, problems_from_validation


def resolve(source: str | Path) -> Path:
    """The file a path or bundled scenario name stands for.

    Raises:
        ScenarioError: neither a readable file nor a bundled name.
    """
    path = Path(source)
    if path.is_file():
        return path
    bundled = bundled_scenarios()
    name = str(source).removesuffix(".yaml")
    if name in bundled:
        return bundled[name]
    close = difflib.get_close_matches(name, list(bundled), n=1)
    hint = f"did you mean {close[0]!r}?" if close else "`nato-sim scenarios` lists the bundled ones"
    if path.is_dir():
        what = "is a folder, not a file"
    elif path.suffix or len(path.parts) > 1:
        what = "no such file"  # written as a path, so a bundled name was not meant
    else:
        what = "is neither a file nor a bundled scenario"
    raise ScenarioError([Problem(str(source), what, hint=hint)])


def load(source: str | Path, overrides: Sequence[str | Override] = ()) -> Scenario:
    """Read, override and validate a scenario file or bundled scenario.

    Args:
        source: a path, or the name of a bundled scenario such as ``"nato-2024"``.
        overrides: ``"path=value"`` strings (as for ``--set``) applied before validation.

    Returns:
        The validated scenario; its ``origin`` and ``overrides`` say where it came from.

    Raises:
        ScenarioError: the file is missing or invalid (all problems at once).
        UsageError: an override is malformed or names no field.
    """
    path = resolve(source)
    try:
        text = path.read_bytes()
    except OSError as error:
        raise ScenarioError(
            [Problem(str(path), f"cannot read the file: {error.strerror}")]
        ) from None
    doc = parse_yaml(text, str(source) if Path(source).is_file() else str(path))
    parsed = [o if isinstance(o, Override) else parse_override(o) for o in overrides]
    scenario = validate(doc, parsed, claims_for(path))
    scenario._origin = str(source)
    scenario._overrides = tuple(o.text for o in parsed)
    return scenario


def with_overrides(scenario: Scenario, overrides: Sequence[str | Override]) -> Scenario:
    """A copy of a scenario with `path=value` overrides applied and validated again."""
    parsed = [o if isinstance(o, Override) else parse_override(o) for o in overrides]
    data = scenario.model_dump(mode="python", exclude_none=True)
    doc = ParsedYaml(file="(scenario)", data=data, positions={}, booleans={})
    result = validate(doc, parsed, None)
    result._origin = scenario._origin
    result._overrides = scenario._overrides + tuple(o.text for o in parsed)
    return result


def validate(
    doc: ParsedYaml, overrides: list[Override], claims: dict[str, Claim] | None
) -> Scenario:
    """Validate parsed data; every problem is located in the file or in the override."""
    data, overridden = apply_overrides(doc.data, overrides)

    def locate(path: tuple, message: str, hint: str | None, at_key: bool = False) -> Problem:
        for key_path, text in overridden.items():
            # Inside what an override set, or above what it created (a new entry).
            created = path not in doc.positions and key_path[: len(path)] == path
            if path[: len(key_path)] == key_path or created:
                return Problem(f"--set {text}", message, path=path, hint=hint)
        line, column = doc.location(path)
        if at_key:
            line, column = doc.key_positions.get(path, (line, column))
        return Problem(doc.file, message, line, column, path, hint)

    # Reference problems are found on the raw data, so they come out together with the
    # type and range problems instead of only once those are fixed.
    problems = [
        locate(*finding)
        for finding in check_references(data, None if claims is None else set(claims))
    ]
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        found = problems_from_validation(
            error,
            ParsedYaml(file=doc.file, data=data, positions=doc.positions, booleans=doc.booleans),
        )
        problems += [locate(p.path, p.message, p.hint) if p.path else p for p in found]
    if problems:
        raise ScenarioError(_in_file_order(problems)) from None
    return scenario


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    """Problems sorted by line and column; those without a position (overrides) last."""
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0, p.column or 0))


def scenario_hash(scenario: Scenario) -> str:
    """A short hash of the validated content: equal content, equal hash."""
    canonical = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def claims_for(path: Path) -> dict[str, Claim]:
    """The bundled claims plus those of a `seeds/` folder beside or above the file."""
    folders = [seeds_dir().resolve()]
    for parent in list(path.resolve().parents)[:3]:
        candidate = (parent / "seeds").resolve()
        if candidate.is_dir() and candidate not in folders:
            folders.append(candidate)
    return _claims(tuple(folders))


@functools.lru_cache(maxsize=8)
def _claims(folders: tuple[Path, ...]) -> dict[str, Claim]:
    return load_claims(list(folders))
