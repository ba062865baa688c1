"""Results as JSON or tidy CSV, and files written atomically."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from nato_sim.errors import OutputError
from nato_sim.results import Results

CSV_COLUMNS = ("section", "key", "detail", "value", "low", "high", "count",
               "trials", "seed", "scenario_hash", "version")


def to_json(results: Results) -> str:
    """One JSON document: every figure, provenance and `schema_version`."""
    return json.dumps(results.to_dict(), indent=2, default=str) + "\n"


def tidy_rows(results: Results) -> list[dict]:
    """One row per reported figure, each carrying the run's provenance."""
    prov = results.provenance
    stamp = {"trials": prov["trials"], "seed": prov["seed"],
             "scenario_hash": prov["scenario_hash"], "version": prov["version"]}
    rows = []

    def add(section, key, value, detail="", low="", high="", count=""):
        rows.append({"section": section, "key": key, "detail": detail, "value": value,
                     "low": low, "high": high, "count": count, **stamp})

    for o in results.outcomes:
        add("outcome", o.outcome, o.probability, o.name, o.low, o.high, o.count)
    for r in results.rounds:
        add("decided_by_round", r.round, r.probability_by, r.date or "", r.low, r.high,
            r.decided_in_round)
    add("timing", "mean_round", "" if results.mean_round is None else results.mean_round)
    add("timing", "median_round", "" if results.median_round is None else results.median_round)
    for m in results.milestones:
        add("milestone", m.milestone, m.probability, m.date or f"round {m.last_round}",
            m.low, m.high)
    for b in results.blockers:
        add("blocker", b.candidate, b.share, b.member, count=b.losses)
        add("pivotal", b.candidate, b.pivotal_share, b.member, count=b.losses)
    for rule in results.rules:
        add("rule_raised", rule.rule, rule.probability_raised)
        add("rule_lifted_if_raised", rule.rule, "" if rule.probability_lifted_if_raised is None
            else rule.probability_lifted_if_raised)
        add("rule_median_lift_round", rule.rule,
            "" if rule.median_lift_round is None else rule.median_lift_round)
    return rows


def rows_to_csv(rows: list[dict], columns: tuple[str, ...] | None = None) -> str:
    """CSV text of dict rows, header first."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns or rows[0].keys()),
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def to_csv(results: Results) -> str:
    """Tidy CSV: one row per figure (see `tidy_rows`)."""
    return rows_to_csv(tidy_rows(results), CSV_COLUMNS)


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write a file so that readers see the old content or the new, never half of it."""
    path = Path(path)
    mode = "wb" if isinstance(data, bytes) else "w"
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                   dir=path.parent if str(path.parent) else ".")
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror}") from None
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as handle:
            handle.write(data)
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        os.chmod(tmp, _new_file_mode(path))
        os.replace(tmp, path)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {error.strerror}") from None


def _new_file_mode(path: Path) -> int:
    """The existing file's permissions, else those the umask gives a new file."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
