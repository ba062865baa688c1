"""Per-trial arrays laid out trial-minor: one row per unit, pair, rule or candidate, one
column per trial; a value that does not vary by trial is one column (rows, 1).

Small operations the engine repeats on them, each written the way numpy runs fastest.
"""

from __future__ import annotations

import numpy as np


def table(values: list[np.ndarray | float], n: int) -> np.ndarray:
    """(len, 1) when all values are constant, else (len, n)."""
    if all(np.isscalar(v) for v in values):
        return np.array(values, dtype=float).reshape(-1, 1)
    out = np.empty((len(values), n))
    for row, value in enumerate(values):
        out[row] = value
    return out


def and_rows(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """x &= mask in place, for a mask (rows, trials) or a column (rows, 1); returns x."""
    # numpy combines a column of bools with the rows many times more slowly than two rows.
    if mask.shape[-1] > 1:
        x &= mask
    elif not mask.all():
        x[~mask[:, 0]] = False
    return x


def take(value, rows: np.ndarray):
    """The given trials of a per-trial value; a constant (a float, one column) as it is."""
    if isinstance(value, np.ndarray) and value.shape[-1] > 1:
        return np.take(value, rows, axis=-1)
    return value


def pick(value, rows: np.ndarray | None):
    """`take` of the given trials, or the value as it is for every trial (None)."""
    return value if rows is None else take(value, rows)


def pick_rows(value: np.ndarray, which: slice | np.ndarray, rows: np.ndarray | None):
    """`pick` of some rows of a per-trial value: value[which] at the given trials."""
    # Rows that are a slice are a view: select them first, and gather only those. Others
    # would be copied whole before the gather: gather first.
    if isinstance(which, slice) or rows is None or value.shape[-1] == 1:
        return pick(value[which], rows)
    return take(value, rows)[which]


def put(target: np.ndarray, rows: np.ndarray, values) -> None:
    """target[:, rows] = values."""
    # One row at a time: numpy writes to a list of columns of a 2-D array, and reads from
    # one, several times more slowly than to and from a list of places in each row.
    if np.isscalar(values):
        for row in target:
            row[rows] = values
    else:
        for row, value in zip(target, values, strict=True):
            row[rows] = value


def put_rows(
    target: np.ndarray, which: list[int] | np.ndarray, rows: np.ndarray, values: np.ndarray
) -> None:
    """target[which][:, rows] = values[which]: only the given rows are written."""
    for row in which:
        target[row][rows] = values[row]


def count_rows(mask: np.ndarray) -> np.ndarray:
    """How many True per row, as int64."""
    # Row by row: a count along the last axis of a 2-D array costs several times more.
    return np.array([np.count_nonzero(row) for row in mask], dtype=np.int64)


def any_row(mask: np.ndarray) -> np.ndarray:
    """Whether any row is True, per column."""
    return mask[0] if len(mask) == 1 else np.logical_or.reduce(mask, axis=0)


def first_row(mask: np.ndarray) -> np.ndarray:
    """Index of the first True row in each column (each column has one)."""
    # The index is how many rows above it are all False: a few boolean operations down
    # the short axis. argmax there, or a masked write per row, costs ten to a hundred times
    # more.
    none_yet = ~mask[0]
    first = none_yet.view(np.int8).astype(np.int16)
    for row in mask[1:-1]:
        none_yet &= ~row
        first += none_yet
    return first.astype(np.intp)
