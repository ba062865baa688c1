"""The `nato-sim` command line: each command parses, makes one library call, renders."""

# isort: skip_file
import os
import signal
import sys


def _interrupted_while_loading(signum, frame):
    # Nothing is computed yet, so nothing is kept: leave at once. Raising KeyboardInterrupt
    # here instead would unwind through the import machinery, which can swallow it in a
    # callback or leave the interpreter to end by the signal rather than with our status.
    sys.stderr.write("interrupted\n")
    sys.stderr.flush()
    os._exit(130)


# Ctrl-C while the tool is still loading numpy and the rest: no traceback, exit 130.
signal.signal(signal.SIGINT, _interrupted_while_loading)

from nato_sim.cli.app import app, main  # noqa: E402

# Importing the command modules registers their commands on `app`, in this order in --help.
from nato_sim.cli import run as _run  # noqa: E402,F401
from nato_sim.cli import analysis as _analysis  # noqa: E402,F401
from nato_sim.cli import backtest as _backtest  # noqa: E402,F401
from nato_sim.cli import timeline as _timeline  # noqa: E402,F401
from nato_sim.cli import sensitivity as _sensitivity  # noqa: E402,F401
from nato_sim.cli import report as _report  # noqa: E402,F401
from nato_sim.cli import scenario as _scenario  # noqa: E402,F401
from nato_sim.cli import show as _show  # noqa: E402,F401

# From here on Ctrl-C is a KeyboardInterrupt, which each command turns into its partial
# results and exit 130.
signal.signal(signal.SIGINT, signal.default_int_handler)

__all__ = ["app", "main"]
