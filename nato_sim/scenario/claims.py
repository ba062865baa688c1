"""Claims: the sourced facts that scenario parameters cite, kept in `seeds/*.yaml`.

Each seeds file describes one document (title, publisher, date) and lists short paraphrases
of what it says, each with an id. A scenario cites claims by id in its `source` fields.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
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


_KINDS = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
    stat.S_IFSOCK: "a socket",
}


def file_kind(mode: int) -> str:
    """What a file of this `st_mode` is, in words: "a folder", "a named pipe", ..."""
    return _KINDS.get(stat.S_IFMT(mode), "not a regular file")


def read_input(path: Path, shown: str | None = None) -> bytes:
    """The bytes of a regular file, read without ever blocking on a named pipe.

    Args:
        path: the file to read; symbolic links are followed.
        shown: how to name the file in a problem (default: `path`).

    Raises:
        ScenarioError: one problem naming the file: missing, unreadable, a symbolic link
            loop, a folder, a named pipe or a device.
    """
    name = str(path) if shown is None else shown
    try:
        # O_NONBLOCK: opening a named pipe for reading would wait for a writer for ever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise ScenarioError([Problem(name, f"cannot read the file: {error.strerror}")]) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ScenarioError([Problem(name, f"is {file_kind(mode)}, not a file")])
        with os.fdopen(os.dup(fd), "rb") as handle:
            return handle.read()
    except OSError as error:
        raise ScenarioError([Problem(name, f"cannot read the file: {error.strerror}")]) from None
    finally:
        os.close(fd)


def claim_files(folder: Path) -> list[Path]:
    """The `*.yaml` entries of a seeds folder, by name; ScenarioError if it cannot be listed."""
    try:
        with os.scandir(folder) as entries:
            names = sorted(entry.name for entry in entries if entry.name.endswith(".yaml"))
    except OSError as error:
        raise ScenarioError(
            [Problem(str(folder), f"cannot read the seeds folder: {error.strerror}")]
        ) from None
    return [folder / name for name in names]


def load_claims(folders: list[Path]) -> dict[str, Claim]:
    """Read every `*.yaml` in the folders; raise ScenarioError on any bad file or repeated id."""
    from nato_sim.scenario.yamlsource import parse_yaml, problems_from_validation

    claims: dict[str, Claim] = {}
    problems: list[Problem] = []
    for folder in folders:
        for path in claim_files(folder):
            try:
                text = read_input(path)
            except ScenarioError as error:
                problems.extend(error.problems)
                continue
            doc = parse_yaml(text, str(path))
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
