"""Child process pools of the server: the upload reader's and the scorer's.

Both hold Python CPU work away from the server process (whose one GIL serves
every request) and must never outlive it: a SIGKILLed server takes its
children with it, so a restarted server finds no orphan still working.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any


def child_pids(pid: int) -> list[int]:
    """The pids of `pid`'s child processes (Linux /proc): for the tests and benchmarks that
    check or measure the server's children."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def die_with_parent(parent_pid: int) -> None:
    """In a child: be killed when the parent dies, even by SIGKILL (Linux), instead of working on as an orphan."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:  # the parent died while this process was starting
        os._exit(1)


def _child_setup(niceness: int, parent_pid: int, init: Callable[..., None] | None, init_args: tuple[Any, ...]) -> None:
    die_with_parent(parent_pid)
    if niceness:
        os.nice(niceness)
    if init is not None:
        init(*init_args)
    # What the child has imported and built lives as long as it does; without the freeze every
    # full collection walks it again (measured: a 60-minute call's read took 13 ms, 10 frozen).
    gc.collect()
    gc.freeze()


class ChildPool:
    """A process pool that replaces itself when a child dies (killed, out of memory)."""

    def __init__(
        self, processes: int, *, niceness: int = 0,
        init: Callable[..., None] | None = None, init_args: tuple[Any, ...] = (),
    ):  # fmt: skip
        self.processes = processes
        self._initargs = (niceness, os.getpid(), init, init_args)
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # "spawn": forking a process that runs threads can copy a held lock into the child.
        return ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_child_setup,
            initargs=self._initargs,
        )

    def run(self, fn: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
        """`fn(*args)` in a child; its exception is raised here. A dead child raises BrokenProcessPool
        once (the caller's retry gets a fresh pool); no answer within `timeout` raises TimeoutError
        (the caller decides whether to `kill`)."""
        pool = self._pool
        future: Future[Any] = pool.submit(fn, *args)
        try:
            return future.result(timeout)
        except BrokenProcessPool:
            with self._lock:
                if self._pool is pool:
                    self._pool = self._new_pool()
            raise

    def kill(self) -> None:
        """SIGKILL every child (one stuck in C code, deaf to signals) and start a fresh pool."""
        with self._lock:
            pool, self._pool = self._pool, self._new_pool()
        for process in list(getattr(pool, "_processes", {}).values()):  # the executor keeps no public handle
            process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    def warm(self) -> None:
        """Start every child now rather than on the first request that needs one."""
        futures = [self._pool.submit(os.getpid) for _ in range(self.processes)]
        for future in futures:
            future.result()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
