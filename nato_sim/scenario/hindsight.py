"""Hindsight: parameters of a scenario dated `as_of` that cite documents dated after it.

A scenario written as of a date may rest only on what was published by then. Each claim
it cites comes from a document with a date (seeds/*.yaml); a citation of a document dated
after `as_of` is hindsight. Citations inside `outcome:` are exempt: the outcome is what
happened, known only later. A month or a year `as_of` counts as its last day, so that only
documents certainly published after it are flagged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nato_sim.errors import Problem, ScenarioError, format_path
from nato_sim.scenario.claims import Claim, read_input
from nato_sim.scenario.dates import PartialDate, date_text, last_day
from nato_sim.scenario.loader import claims_for, resolve
from nato_sim.scenario.schema import Scenario
from nato_sim.scenario.sources import sourced_parameters
from nato_sim.scenario.yamlsource import ParsedYaml, parse_yaml

KeyPath = tuple[str | int, ...]
EXEMPT = ("outcome", "notes")  # top-level keys whose citations are not inputs of the model


@dataclass(frozen=True)
class LaterCitation:
    """A citation of a claim from a document dated after the scenario's `as_of`."""

    path: KeyPath  # where the claim id sits in the file: (..., "source", j)
    claim: str
    date: dt.date  # the document's date
    seeds_file: str

    @property
    def parameter(self) -> str:
        """The key path as text: `support.candidates.rasmussen.source[2]`."""
        return format_path(self.path)


def is_later(document_date: dt.date, as_of: dt.date | PartialDate) -> bool:
    """True when the document is dated after every day `as_of` may stand for."""
    return document_date > last_day(as_of)


def _citations(value: Any, path: KeyPath) -> Iterator[tuple[KeyPath, str]]:
    """Every (key path, claim id) of dumped scenario data, in file order."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "source" and isinstance(item, list):
                for j, claim in enumerate(item):
                    if isinstance(claim, str):
                        yield (*path, "source", j), claim
            else:
                yield from _citations(item, (*path, key))
    elif isinstance(value, list):
        for j, item in enumerate(value):
            yield from _citations(item, (*path, j))


def later_citations(scenario: Scenario, claims: dict[str, Claim]) -> list[LaterCitation]:
    """Every citation outside `outcome` of a claim dated after `as_of`, in file order.

    None without `as_of`. Claims that no seeds file holds are left to validation.
    """
    if scenario.as_of is None:
        return []
    data = scenario.model_dump(mode="json")
    found = []
    for key, value in data.items():
        if key in EXEMPT:
            continue
        for path, claim_id in _citations(value, (key,)):
            claim = claims.get(claim_id)
            if claim is not None and is_later(claim.document.date, scenario.as_of):
                found.append(LaterCitation(path, claim_id, claim.document.date, claim.file))
    return found


def later_parameters(scenario: Scenario, claims: dict[str, Claim]) -> list[str]:
    """The parameters (as `nato-sim sources` names them) resting on a later claim.

    A parameter rests on the nearest `source` around it (docs/format.md); one that cites
    several later claims is listed once. Parameters of `outcome` are exempt.
    """
    if scenario.as_of is None:
        return []
    as_of = scenario.as_of
    names: dict[str, None] = {}
    for row in sourced_parameters(scenario, claims):
        if row.parameter.split(".")[0].split("[")[0] in EXEMPT:
            continue
        claim = claims.get(row.claim)
        if claim is not None and is_later(claim.document.date, as_of):
            names.setdefault(row.parameter)
    return list(names)


def hindsight_warnings(
    scenario: Scenario, claims: dict[str, Claim], file: str, path: Path | None = None
) -> list[Problem]:
    """One located message per later citation, in file order, for `nato-sim validate`.

    Args:
        scenario: the validated scenario.
        claims: the claims it may cite.
        file: the name to show.
        path: the file to read positions (line and column) from; None leaves them out.
    """
    citations = later_citations(scenario, claims)
    if not citations or scenario.as_of is None:
        return []
    positions = _positions(path) if path is not None else None
    warnings = []
    for citation in citations:
        line, column = positions.location(citation.path) if positions else (None, None)
        message = (
            f"hindsight: claim {citation.claim!r} is from a document dated "
            f"{citation.date.isoformat()}, after as_of {date_text(scenario.as_of)}"
        )
        warnings.append(Problem(file, message, line, column, citation.path))
    return warnings


def file_warnings(source: str | Path, scenario: Scenario) -> list[Problem]:
    """The hindsight warnings of a scenario loaded from a file or bundled name.

    The file is named as the loader names it in problems: as given when it is a file,
    else by its path. Its claims are those `load` checked it against.
    """
    path = resolve(source)
    shown = str(source) if Path(source).is_file() else str(path)
    return hindsight_warnings(scenario, claims_for(path), shown, path)


def _positions(path: Path) -> ParsedYaml | None:
    """The parsed file, for the positions of its keys; None when it cannot be read again."""
    try:
        return parse_yaml(read_input(path), str(path))
    except ScenarioError:
        return None
