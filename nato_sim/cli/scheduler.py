"""`--scheduler ADDRESS`: run a command's trials on a running Dask cluster (docs/scaling.md)."""

from __future__ import annotations

from typing import Annotated

import typer

SchedulerOption = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="Run the trials on a running Dask scheduler, e.g. tls://10.0.0.5:8786, instead "
        "of local processes (needs the 'dask' extra; see docs/scaling.md). The results are "
        "the same, bit for bit; --workers is then the cluster's.",
    ),
]
