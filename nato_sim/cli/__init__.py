"""The `nato-sim` command line: each command parses, makes one library call, renders."""

from nato_sim.cli.app import app, main

# Importing the command modules registers their commands on `app`.
from nato_sim.cli import run as _run  # noqa: E402,F401
from nato_sim.cli import scenario as _scenario  # noqa: E402,F401

__all__ = ["app", "main"]
