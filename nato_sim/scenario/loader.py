"""Loading a scenario: find the file, read it, apply overrides, validate, check references."""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from pydantic import ValidationError

from nato_sim.errors import Problem, ScenarioError, UsageError
from nato_sim.scenario.bundled import bundled_name, bundled_scenarios, seeds_dir
from nato_sim.scenario.claims import Claim, file_kind, load_claims, read_input
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
    kind = _special_kind(path)
    if kind is not None:
        raise ScenarioError([Problem(str(source), f"is {kind}, not a file")])
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


def shown_name(source: str | os.PathLike, path: Path) -> str:
    """How problems name the file `source` resolved to: a bundled scenario by its name
    (`history/nato-2009`) unless given by a relative path, never by a path inside the
    installed package; any other file as given."""
    given = Path(source)
    if not given.is_file() or given.is_absolute():
        name = bundled_name(path)
        if name is not None:
            return name
    return str(source) if given.is_file() else str(path)


def _special_kind(path: Path) -> str | None:
    """What `path` is when it exists but is neither a regular file nor a folder, else None."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return file_kind(mode)


def check_source(source: object) -> str | Path:
    """`source` if it can name a scenario file (a str or a path); UsageError otherwise."""
    if isinstance(source, (str, os.PathLike)) and not isinstance(source, bytes):
        return source  # type: ignore[return-value]
    raise UsageError(
        "a scenario is a bundled scenario name such as 'nato-2024', the path of a scenario "
        f"file or a Scenario from nato_sim.load(); got {_describe(source)}"
    )


def _describe(value: object) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}" if value is not None else "None"


def parse_overrides(overrides: object) -> list[Override]:
    """Overrides as given to the API: ``"path=value"`` strings or Overrides.

    One string is taken as one override, not as a sequence of characters; None as none.

    Raises:
        UsageError: not a string or a sequence of strings, or a malformed override.
    """
    if overrides is None:
        return []
    if isinstance(overrides, (str, Override)):
        overrides = [overrides]
    if not isinstance(overrides, Iterable) or isinstance(overrides, (bytes, bytearray, Mapping)):
        raise UsageError(
            "overrides must be a list of 'path=value' strings, e.g. "
            f"['objections.tur-rutte.lift=0.6']; got {_describe(overrides)}"
        )
    parsed = []
    for item in overrides:
        if isinstance(item, Override):
            parsed.append(item)
        elif isinstance(item, str):
            parsed.append(parse_override(item))
        else:
            raise UsageError(f"each override must be a 'path=value' string, got {_describe(item)}")
    return parsed


def load(
    source: Scenario | str | Path, overrides: str | Sequence[str | Override] | None = ()
) -> Scenario:
    """Read, override and validate a scenario file or bundled scenario.

    Args:
        source: a path, or the name of a bundled scenario such as ``"nato-2024"``; a
            Scenario already loaded is taken as it is (with the overrides applied).
        overrides: ``"path=value"`` strings (as for ``--set``) applied before validation;
            a single string is one override.

    Returns:
        The validated scenario; its ``origin`` and ``overrides`` say where it came from.

    Raises:
        ScenarioError: the file is missing or invalid (all problems at once).
        UsageError: the source is not a name or path, or an override is malformed or
            names no field.
    """
    parsed = parse_overrides(overrides)
    if isinstance(source, Scenario):
        return with_overrides(source, parsed) if parsed else source
    path = resolve(check_source(source))
    shown = shown_name(source, path)
    text = read_input(path, shown)
    doc = parse_yaml(text, shown)
    scenario = validate(doc, parsed, claims_for(path))
    scenario._origin = str(source)
    scenario._overrides = tuple(o.text for o in parsed)
    return scenario


def as_scenario(source: Scenario | str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """A loaded scenario (path, bundled name or Scenario) with overrides applied."""
    return load(source, overrides)


def with_overrides(scenario: Scenario, overrides: Sequence[str | Override]) -> Scenario:
    """A copy of a scenario with `path=value` overrides applied and validated again."""
    if not isinstance(scenario, Scenario):
        raise UsageError(f"with_overrides takes a Scenario, got {_describe(scenario)}")
    parsed = parse_overrides(overrides)
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
        # A rule about a mapping's keys taken together (`rounds` or `deadline`) broken by an
        # override that set one of them: the last such override, not the file, is at fault.
        inside = [text for key_path, text in overridden.items() if key_path[:-1] == path]
        if inside:
            return Problem(f"--set {inside[-1]}", message, path=path, hint=hint)
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
    # os.path.realpath, not Path.resolve: on a symbolic link loop the latter raises
    # RuntimeError before Python 3.13.
    folders = [Path(os.path.realpath(seeds_dir()))]
    for parent in list(Path(os.path.realpath(path)).parents)[:3]:
        candidate = Path(os.path.realpath(parent / "seeds"))
        if candidate.is_dir() and candidate not in folders:
            folders.append(candidate)
    return _claims(tuple(folders))


@functools.lru_cache(maxsize=8)
def _claims(folders: tuple[Path, ...]) -> dict[str, Claim]:
    return load_claims(list(folders))
