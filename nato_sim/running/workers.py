"""Worker processes that stop when told and never outlive the process that started them.

`WorkerPool` wraps a ProcessPoolExecutor. Closing it early (Ctrl-C, an early stop, an error)
cancels what is queued and terminates the workers instead of waiting for their blocks, so
a hung worker cannot keep the run from stopping; a worker that dies (killed, out of memory)
is reported as a `WorkerError` naming it. Each worker ignores Ctrl-C, which is the parent's
to handle, and dies with its parent. Inside `using_scheduler(...)` a pool sends its tasks to
the Dask cluster instead (:mod:`nato_sim.running.executor`), with the same results.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from nato_sim.errors import WorkerError
from nato_sim.running.executor import DaskExecutor, active_cluster, task_state

# How long terminated workers get to exit before they are killed: they hold nothing that
# needs cleaning up, so this only has to cover a busy machine.
GRACE_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1
_WATCHDOG_SECONDS = 1.0

_STATE: Any = None


def worker_state() -> Any:
    """What the pool handed this worker process when it started (its scenario); in a task
    on a Dask cluster, what its executor was opened with."""
    return task_state(default=_STATE)


def _init(state: Any, parent: int) -> None:
    global _STATE
    _STATE = state
    # Ctrl-C reaches the whole process group; the parent decides what to keep.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """End this worker when `parent` ends, so no worker keeps computing for nobody."""
    if not _kill_me_with_parent():
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    # The parent may have gone before the line above took effect.
    if os.getppid() != parent:
        os._exit(1)


def _kill_me_with_parent() -> bool:
    """Ask Linux to send this process SIGKILL when its parent exits; False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return False
    return prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCHDOG_SECONDS)
    os._exit(1)


class WorkerPool:
    """Processes running tasks, each started with `state` (see `worker_state`).

    Args:
        size: the number of worker processes.
        state: what every worker keeps for its tasks, sent once when it starts.
    """

    def __init__(self, size: int, state: Any) -> None:
        cluster = active_cluster()
        self._remote = DaskExecutor(cluster, state) if cluster is not None else None
        if self._remote is not None:
            return
        self._executor = ProcessPoolExecutor(
            max_workers=size, initializer=_init, initargs=(state, os.getpid())
        )
        self._processes: dict[int, Any] = {}

    @property
    def remote(self) -> bool:
        """True when the tasks go to a Dask cluster (inside `using_scheduler`)."""
        return self._remote is not None

    def submit(self, function, *args) -> Future:
        """Queue `function(*args)` to run in a worker."""
        if self._remote is not None:
            return self._remote.submit(function, *args)
        try:
            # The first submits fork the workers: see `_interrupt_after`.
            with _interrupt_after():
                future = self._executor.submit(function, *args)
        except BrokenProcessPool:  # a worker died since the last submit
            raise WorkerError(self._death()) from None
        # Keep hold of the processes: the executor forgets them when it shuts down, and
        # stopping a hung worker needs them.
        self._processes.update(getattr(self._executor, "_processes", None) or {})
        return future

    def result(self, future: Future) -> Any:
        """The task's result; a WorkerError if a worker process died."""
        if self._remote is not None:
            return self._remote.result(future)
        try:
            return future.result()
        except BrokenProcessPool:
            raise WorkerError(self._death()) from None

    def _death(self) -> str:
        """Which worker died and how, as far as its exit status tells."""
        # The executor terminates the other workers (SIGTERM) once one dies: wait a moment
        # for the exit status of the one that died first.
        deadline = time.monotonic() + GRACE_SECONDS
        while True:
            codes = {pid: p.exitcode for pid, p in self._processes.items()}
            ended = {pid: code for pid, code in codes.items() if code is not None}
            first = any(code != -signal.SIGTERM for code in ended.values())
            if first or len(ended) == len(codes) or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        ordered = sorted(ended.items(), key=lambda item: item[1] == -signal.SIGTERM)
        if not ordered:
            return "a worker process died unexpectedly"
        pid, code = ordered[0]
        if code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
            if code == -signal.SIGKILL:
                how += ", as when the system runs out of memory"
        else:
            how = f"exited with status {code}"
        return f"a worker process died unexpectedly (pid {pid}, {how})"

    def close(self, *, finished: bool) -> None:
        """Shut the pool down: wait for idle workers if `finished`, else stop them now."""
        if self._remote is not None:
            self._remote.close(finished=finished)
            return
        if finished:
            self._executor.shutdown(wait=True)
            return
        # Interrupted inside `submit`, the processes may have started unrecorded.
        self._processes.update(getattr(self._executor, "_processes", None) or {})
        manager = getattr(self._executor, "_executor_manager_thread", None)
        self._executor.shutdown(wait=False, cancel_futures=True)
        stop_processes(list(self._processes.values()))
        # With its workers gone the executor's thread ends at once; letting it finish here
        # keeps it from racing the interpreter's exit handler, which wakes it once more.
        if manager is not None:
            manager.join(GRACE_SECONDS)


@contextlib.contextmanager
def _interrupt_after() -> Iterator[None]:
    """Hold a Ctrl-C back until the block ends, then raise it.

    Python runs handlers around a fork (logging registers some) where an exception is
    reported as ignored and dropped: a Ctrl-C raised there would be lost, and the run go on.
    Only the main thread can set a signal handler; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt


def stop_processes(processes: list, grace: float = GRACE_SECONDS) -> None:
    """Terminate processes, wait up to `grace` seconds, then kill those still there."""
    try:
        for process in processes:
            if process.exitcode is None:
                process.terminate()
        deadline = time.monotonic() + grace
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
    finally:
        # Also on a second Ctrl-C during the wait: a stopped or hung worker ignores
        # SIGTERM, and the executor's exit handler would wait for it for ever.
        for process in processes:
            if process.exitcode is None:
                process.kill()
        for process in processes:
            process.join()
