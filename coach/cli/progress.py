"""Progress for long runs: calls done, failures and ETA for folders; windows for LLM grading.

Drawn on stderr with rich, and only when stderr is a terminal and `--quiet` was
not given: pipes, files and CI logs get the results and the summary, nothing else.
"""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn


def wanted(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


class RunProgress:
    """A context manager; every method is a no-op when progress is not shown.

        with RunProgress(total=len(files), enabled=wanted(quiet)) as progress:
            progress.call_done(ok=True)
    """

    def __init__(self, *, total: int, enabled: bool, label: str = "calls", console: Console | None = None):
        self.enabled = enabled and total > 0
        self.total = total
        self.failed = 0
        self._progress: Progress | None = None
        self._calls: TaskID | None = None
        self._windows: TaskID | None = None
        self._label = label
        if self.enabled:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console or Console(stderr=True),
                transient=True,
            )

    def __enter__(self) -> "RunProgress":
        if self._progress is not None:
            self._progress.start()
            if self.total > 1:
                self._calls = self._progress.add_task(self._label, total=self.total, failed="")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def call_done(self, *, ok: bool) -> None:
        self.failed += not ok
        if self._progress is not None and self._calls is not None:
            failed = f"{self.failed} failed" if self.failed else ""
            self._progress.update(self._calls, advance=1, failed=failed)

    def window_done(self, done: int, total: int) -> None:
        """LLM grading of the current call: `done` of `total` requests answered."""
        if self._progress is None:
            return
        if self._windows is None:
            self._windows = self._progress.add_task("LLM windows", total=total, failed="")
        self._progress.update(self._windows, completed=done, total=total)
        if done >= total:
            self._progress.remove_task(self._windows)
            self._windows = None

    def print(self, message: str) -> None:
        """A line above the bar (errors as they happen) without breaking it."""
        if self._progress is not None:
            self._progress.console.print(message, markup=False, highlight=False)
        else:
            print(message, file=sys.stderr)
