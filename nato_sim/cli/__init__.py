"""The `nato-sim` command line: each command parses, makes one library call, renders."""

# isort: skip_file
import sys

try:
    from nato_sim.cli.app import app, main

    # Importing the command modules registers their commands on `app`, in this order in --help.
    from nato_sim.cli import run as _run  # noqa: E402,F401
    from nato_sim.cli import analysis as _analysis  # noqa: E402,F401
    from nato_sim.cli import backtest as _backtest  # noqa: E402,F401
    from nato_sim.cli import scenario as _scenario  # noqa: E402,F401
except KeyboardInterrupt:
    # Ctrl-C while the tool is still loading numpy and the rest: nothing was computed, so
    # there is nothing to keep and no traceback to show.
    sys.stderr.write("interrupted\n")
    raise SystemExit(130) from None

__all__ = ["app", "main"]
