"""Claims: the sourced facts that scenario parameters cite, kept in `seeds/*.yaml`.

Each seeds file describes one document (title, publisher, date) and lists short paraphrases
of what it says, each with an id. A scenario cites claims by id in its `source` fields.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError

from nato_sim.errors import Problem, ScenarioError
from nato_sim.scenario.schema import ClaimId, Model


class Document(Model):
    """Where a group of claims comes from."""

    title: str
    publisher: str | None = None
    date: dt.date
    kind: str = Field(description="commentary, official record, news report, reference work")
    locator: str | None = Field(None, description="how to find it: an archive name, a record id")


class ClaimEntry(Model):
    """One paraphrased claim."""

    id: ClaimId
    says: Annotated[str, Field(min_length=1)]


class SeedsFile(Model):
    """A whole `seeds/*.yaml` file."""

    document: Document
    claims: Annotated[list[ClaimEntry], Field(min_length=1)]


@dataclass(frozen=True)
class Claim:
    """A claim with the document it comes from."""

    id: str
    says: str
    document: Document
    file: str


def load_claims(folders: list[Path]) -> dict[str, Claim]:
    """Read every `*.yaml` in the folders; raise ScenarioError on any bad file or repeated id."""
    from nato_sim.scenario.yamlsource import parse_yaml, problems_from_validation

    claims: dict[str, Claim] = {}
    problems: list[Problem] = []
    for folder in folders:
        for path in sorted(folder.glob("*.yaml")):
            doc = parse_yaml(path.read_bytes(), str(path))
            try:
                seeds = SeedsFile.model_validate(doc.data)
            except ValidationError as error:
                problems.extend(problems_from_validation(error, doc, SeedsFile))
                continue
            for index, entry in enumerate(seeds.claims):
                if entry.id in claims:
                    line, column = doc.location(("claims", index, "id"))
                    problems.append(
                        Problem(
                            str(path),
                            f"claim id {entry.id!r} is already used in {claims[entry.id].file}",
                            line,
                            column,
                            ("claims", index, "id"),
                        )
                    )
                    continue
                claims[entry.id] = Claim(entry.id, entry.says, seeds.document, str(path))
    if problems:
        raise ScenarioError(problems)
    return claims
