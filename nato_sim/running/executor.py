"""Executors: where the tasks of a run go (blocks of trials, sweep points, evaluations).

An executor takes tasks, `function(*args)`, each of which may read the state the executor
was opened with through `worker_state()`, and hands back their results in the order asked
for. There are two:

- `WorkerPool` (:mod:`nato_sim.running.workers`): processes on this machine, the default;
- `DaskExecutor`: the workers of a running ``dask.distributed`` scheduler, used by every
  `WorkerPool` opened inside ``with using_scheduler(ADDRESS):`` (the ``--scheduler``
  option). Dask is imported only then (the ``dask`` extra).

A task's result depends only on its arguments and that state (a block of trials draws from
its own streams), so a run gives the same result, bit for bit, whichever worker ran which
task; a task that Dask runs again after losing a worker gives the same result again. To be
sure of it, a cluster is used only when every worker runs the same code as this process
(the same engine sources, numpy and Python), which each task checks again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import platform
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from nato_sim.errors import UsageError, WorkerError

# How long to wait for a scheduler to answer, and for it to have a worker.
CONNECT_SECONDS = 10.0
_PACKAGE = Path(__file__).resolve().parent.parent


class Executor(Protocol):
    """Runs tasks and hands back their results; `close` stops what is left."""

    def submit(self, function: Callable[..., Any], *args: Any) -> Any:
        """Queue `function(*args)`; returns a handle for `result`."""
        ...

    def result(self, handle: Any) -> Any:
        """The task's result (its exception re-raised); a WorkerError if its worker was lost."""
        ...

    def close(self, *, finished: bool) -> None:
        """Wait for idle workers if `finished`, else cancel and stop what still runs."""
        ...


@functools.cache
def code_fingerprint() -> str:
    """What must be the same on every worker for results to be bit-identical: a hash of the
    sources of the engine and the seeding, as they were when this process first asked, with
    the numpy and Python versions."""
    import numpy

    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.glob("engine/*.py")) + [_PACKAGE / "running" / "seeding.py"]:
        digest.update(str(path.relative_to(_PACKAGE)).encode())
        digest.update(path.read_bytes())
    digest.update(f"numpy {numpy.__version__} python {platform.python_version()}".encode())
    return digest.hexdigest()[:16]


def _environment() -> tuple[str, str, str, str]:
    """This process's nato-sim version, numpy, Python and code fingerprint."""
    import numpy

    from nato_sim._version import __version__

    return __version__, numpy.__version__, platform.python_version(), code_fingerprint()


class CodeMismatch(RuntimeError):
    """A Dask worker runs other code than the process that asked for the task."""


_TASK = threading.local()


def task_state(default: Any = None) -> Any:
    """The state of the Dask task running in this thread; `default` outside one."""
    return getattr(_TASK, "state", default)


def _remote_call(fingerprint: str, function: Callable[..., Any], state: Any, *args: Any) -> Any:
    """Run one task on a Dask worker, with its executor's state for `worker_state()`."""
    if code_fingerprint() != fingerprint:
        raise CodeMismatch(
            f"a Dask worker runs other code ({_describe(_environment())}) than the process "
            f"that sent it the task (fingerprint {fingerprint}); its results would not be "
            "bit-identical. Install the same nato-sim and numpy on every worker"
        )
    _TASK.state = state
    # A run inside the task (a sweep point) runs in this worker, whatever context the
    # worker's threads were started from.
    token = _ACTIVE.set(None)
    try:
        return function(*args)
    finally:
        _ACTIVE.reset(token)
        del _TASK.state


@dataclass
class Cluster:
    """A connection to a Dask scheduler: its client, and whether closing it is ours to do."""

    client: Any
    address: str
    owned: bool

    def threads(self) -> int:
        """How many tasks its workers run at once now (at least 1)."""
        return max(1, sum(self.client.nthreads().values()))


_ACTIVE: ContextVar[Cluster | None] = ContextVar("nato_sim_cluster", default=None)


def active_cluster() -> Cluster | None:
    """The cluster of the enclosing `using_scheduler`, or None: tasks run on this machine."""
    return _ACTIVE.get()


def _distributed():
    try:
        import distributed
    except ImportError:
        raise UsageError(
            "--scheduler needs dask.distributed: pip install 'nato-sim[dask]'"
        ) from None
    return distributed


def _describe(environment: tuple[str, str, str, str]) -> str:
    version, numpy, python, fingerprint = environment
    return f"nato-sim {version}, numpy {numpy}, Python {python}, code {fingerprint}"


def connect(scheduler: Any, timeout: float = CONNECT_SECONDS) -> Cluster:
    """A connection to a running scheduler whose workers run this process's code.

    Args:
        scheduler: its address (``tls://host:8786``, ``tcp://...``, ``host:8786``), read
            with dask's configuration (TLS files, ``Security``), or a connected
            ``distributed.Client``, which is used as it is and left open.
        timeout: seconds to wait for the scheduler, and then for a first worker.

    Raises:
        UsageError: dask.distributed is not installed, the scheduler cannot be reached or
            has no worker, or a worker runs other code; all before any task is sent.
    """
    distributed = _distributed()
    if isinstance(scheduler, distributed.Client):
        client, owned = scheduler, False
        address = str(getattr(client.scheduler, "address", None) or "the client's scheduler")
    elif isinstance(scheduler, str) and scheduler.strip():
        address = scheduler.strip()
        _check_address(address)
        try:
            client = distributed.Client(address, timeout=timeout, set_as_default=False)
        except (OSError, ValueError, TypeError) as error:
            raise UsageError(
                f"--scheduler {address!r}: cannot reach a Dask scheduler there ({error}); is "
                "it running, and are its address and TLS settings right? (docs/scaling.md)"
            ) from None
        owned = True
    else:
        raise UsageError(
            "scheduler must be the address of a running Dask scheduler, such as "
            f"'tls://10.0.0.5:8786', or a distributed.Client; got {scheduler!r}"
        )
    try:
        _check_workers(client, address, timeout)
    except BaseException:
        if owned:
            client.close()
        raise
    return Cluster(client, address, owned)


def _check_address(address: str) -> None:
    """Refuse an address Dask cannot read before a client is made for it."""
    from distributed.comm.addressing import parse_address, parse_host_port

    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):
            parse_host_port(location)
    except ValueError as error:
        raise UsageError(
            f"--scheduler {address!r}: not a scheduler address ({error}); expected "
            "tls://HOST:PORT, tcp://HOST:PORT or HOST:PORT"
        ) from None


def _check_workers(client: Any, address: str, timeout: float) -> None:
    """Wait for a worker; refuse workers whose code differs from ours."""
    try:
        client.wait_for_workers(1, timeout=timeout)
    except (OSError, TimeoutError):
        raise UsageError(
            f"--scheduler {address!r}: the scheduler has no worker after {timeout:g} s; "
            "start some with `dask worker ADDRESS` (docs/scaling.md)"
        ) from None
    ours = _environment()
    theirs = client.run(_environment)
    different = {worker: env for worker, env in theirs.items() if tuple(env) != ours}
    if different:
        lines = "; ".join(f"{w}: {_describe(tuple(e))}" for w, e in sorted(different.items()))
        raise UsageError(
            f"--scheduler {address!r}: {len(different)} of {len(theirs)} workers run other "
            f"code than this machine ({_describe(ours)}), so results would not be "
            f"bit-identical: {lines}. Install the same nato-sim and numpy on every worker, "
            "and restart the workers after changing the code"
        )


@contextlib.contextmanager
def using_scheduler(
    scheduler: Any, *, timeout: float = CONNECT_SECONDS
) -> Iterator[Cluster | None]:
    """Run the tasks of every run inside the block on a Dask cluster; None: on this machine.

    The results are those of the same run on this machine, bit for bit. The connection is
    made (and checked, see `connect`) on entering, and closed on leaving unless a
    ``distributed.Client`` was passed.

    Example::

        with nato_sim.using_scheduler("tls://10.0.0.5:8786"):
            results = nato_sim.simulate("nato-2024", trials=10_000_000, rng=1, workers=None)
    """
    if scheduler is None:
        yield None
        return
    cluster = connect(scheduler, timeout)
    token = _ACTIVE.set(cluster)
    # A client of our own is ours to keep quiet: a scheduler or connection lost is reported
    # once, as a WorkerError, not also as the client's log of tracebacks.
    quiet = _quiet_client_log() if cluster.owned else contextlib.nullcontext()
    try:
        with quiet:
            yield cluster
    finally:
        _ACTIVE.reset(token)
        if cluster.owned:
            with _quiet_client_log():
                cluster.client.close()


@contextlib.contextmanager
def _quiet_client_log() -> Iterator[None]:
    import logging

    logger = logging.getLogger("distributed.client")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


class DaskExecutor:
    """Tasks on the workers of a Dask cluster (see `Executor`).

    The state (a compiled scenario, a plan of evaluations: kilobytes) goes with every task:
    any worker can run any task, with no copy to fetch first or to lose with a worker. Dask
    runs a task again when its worker dies (up to its ``allowed-failures`` setting); only
    past that is the loss a `WorkerError`.
    """

    def __init__(self, cluster: Cluster, state: Any) -> None:
        self._client = cluster.client
        self._address = cluster.address
        self._fingerprint = code_fingerprint()
        self._state = state
        self._pending: set = set()

    def submit(self, function: Callable[..., Any], *args: Any) -> Any:
        """Queue `function(*args)` on the cluster."""
        future = self._client.submit(
            _remote_call, self._fingerprint, function, self._state, *args, pure=False
        )
        self._pending.add(future)
        return future

    def result(self, handle: Any) -> Any:
        """The task's result; a WorkerError when the cluster could not run it."""
        distributed = _distributed()
        try:
            return handle.result()
        except distributed.scheduler.KilledWorker as error:
            raise WorkerError(
                f"Dask workers died running the same task too often ({error}); a worker "
                "that runs out of memory does so"
            ) from None
        except CodeMismatch as error:
            raise WorkerError(str(error)) from None
        except distributed.client.FutureCancelledError:
            raise WorkerError(
                f"lost the Dask scheduler at {self._address}, or it cancelled the tasks (was it "
                "stopped or restarted?)"
            ) from None
        except OSError as error:
            raise WorkerError(f"lost the Dask scheduler at {self._address}: {error}") from None
        finally:
            self._pending.discard(handle)

    def close(self, *, finished: bool) -> None:
        """Cancel the tasks not collected yet (none when `finished`)."""
        try:
            if self._pending:
                self._client.cancel(list(self._pending))
        except Exception:  # noqa: BLE001 - closing after a lost connection: nothing to free
            pass
        self._pending.clear()
