"""The pipeline's score step as the server runs it: in the calling thread, or in child
processes under a per-call budget. Both runners (`api.jobs`, `api.worker`) and role-play
finish score through one of these.

The scorer is the server's call spec (`ApiSettings.call_spec`: the bundled rubric) scored
by `coach.pipeline.score`, or the scorer named by `COACH_SCORER` ("module:function", a
Transcript in and a Scorecard out) when one is set.

Scoring a 60-minute call is about a CPU-second of Python. In worker threads it competes
for the server's GIL with every request; in niced child processes it runs beside the
server and yields the CPU to request handling. A child receives the spec and the scorer's
name once, when it starts; each call sends the transcript (the stored JSON as it is, parsed
on the child's CPU) and gets the validated scorecard back, pickled, not as JSON to parse
and validate again.
"""

from __future__ import annotations

import importlib
import queue
import resource
import signal
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Protocol

from api.children import ChildPool
from api.settings import ApiSettings
from coach import pipeline
from coach.errors import CoachError, ConfigError
from coach.scorecard import Scorecard
from coach.transcript import Transcript

Scorer = pipeline.Scorer


class ServerScorer(Protocol):
    """What the task functions and role-play finish call."""

    def __call__(self, transcript: Transcript) -> Scorecard: ...

    def score_stored(self, transcript_json: str) -> Scorecard:
        """The stored transcript JSON in, the validated scorecard out."""
        ...


def load_scorer(name: str | None) -> Scorer | None:
    """The `COACH_SCORER` function; None (unset) is the rubric's own checks. A bad name fails at start."""
    if name is None:
        return None
    module_name, _, attr = name.partition(":")
    try:
        scorer = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"cannot load scorer {name!r}: {exc}", source="COACH_SCORER") from None
    if not callable(scorer):
        raise ConfigError(f"scorer {name!r} is not callable", source="COACH_SCORER")
    return scorer


class ThreadScorer:
    """The score step in the calling thread."""

    def __init__(self, spec: pipeline.CallSpec, scorer: Scorer | None = None):
        self.spec = spec
        self.scorer = scorer

    def __call__(self, transcript: Transcript) -> Scorecard:
        return pipeline.score(self.spec, transcript, self.scorer)

    def score_stored(self, transcript_json: str) -> Scorecard:
        return self(Transcript.from_json(transcript_json))


class ScoreBudgetExceeded(CoachError):
    """Scoring one call went past its CPU-time or memory budget (`COACH_SCORE_CPU_S`, `COACH_SCORE_MEMORY_MB`)."""


# What a scorer child serves, set once when it starts.
_child: ThreadScorer | None = None


def _over_cpu(_signum: int, _frame: Any) -> None:
    raise ScoreBudgetExceeded("scoring used more than its CPU-time budget")


def _child_init(spec: pipeline.CallSpec, scorer_name: str | None, memory_mb: int) -> None:
    global _child
    _child = ThreadScorer(spec, load_scorer(scorer_name))
    signal.signal(signal.SIGXCPU, _over_cpu)
    if memory_mb > 0:
        # The address space of the whole child: an allocation past it raises MemoryError in
        # the call that made it, and only that call fails.
        limit = memory_mb * 1024 * 1024
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child_score(transcript: Transcript | str, cpu_s: float) -> Scorecard:
    assert _child is not None, "the child's initializer sets the scorer"
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if cpu_s > 0:
        # SIGXCPU (-> ScoreBudgetExceeded) once this call has used `cpu_s` seconds of CPU.
        limit = int(_cpu_used() + cpu_s) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    try:
        return _child.score_stored(transcript) if isinstance(transcript, str) else _child(transcript)
    except MemoryError:
        raise ScoreBudgetExceeded("scoring used more than its memory budget") from None
    finally:
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))


class ProcessScorer:
    """The score step in child processes, one call at a time each, under a per-call CPU-time and
    memory budget. A child that does not answer within its budget (stuck where SIGXCPU cannot
    interrupt it) is killed; only its own call fails."""

    def __init__(
        self, spec: pipeline.CallSpec, scorer_name: str | None, processes: int, niceness: int = 19, *,
        cpu_s: float = 0, memory_mb: int = 0,
    ):  # fmt: skip
        self.cpu_s = cpu_s
        self.pools = [
            ChildPool(1, niceness=niceness, init=_child_init, init_args=(spec, scorer_name, memory_mb))
            for _ in range(processes)
        ]
        self._free: queue.Queue[ChildPool] = queue.Queue()
        for pool in self.pools:
            self._free.put(pool)

    def __call__(self, transcript: Transcript) -> Scorecard:
        return self._run(transcript)

    def score_stored(self, transcript_json: str) -> Scorecard:
        """A child that dies raises BrokenProcessPool; one past its budget raises ScoreBudgetExceeded."""
        return self._run(transcript_json)

    def _run(self, transcript: Transcript | str) -> Scorecard:
        pool = self._free.get()
        try:
            # CPU time is at most wall time on a niced child, so twice the budget plus the
            # child's start (loading the scorer) is ample before the backstop kill.
            timeout = 2 * self.cpu_s + 60 if self.cpu_s > 0 else None
            try:
                return pool.run(_child_score, transcript, self.cpu_s, timeout=timeout)
            except FutureTimeout:
                pool.kill()
                raise ScoreBudgetExceeded(f"scoring did not finish within {timeout:.0f} s; its process was killed") from None
            except ScoreBudgetExceeded:
                # A child that ran past its budget may keep what it grabbed (freed arenas stay
                # mapped against RLIMIT_AS); a fresh child keeps it from failing the next call.
                pool.kill()
                raise
        finally:
            self._free.put(pool)

    def shutdown(self) -> None:
        for pool in self.pools:
            pool.shutdown()


def make_scorer(
    settings: ApiSettings, spec: pipeline.CallSpec, niceness: int = 19, *, processes: int | None = None
) -> ThreadScorer | ProcessScorer:
    """The server's scorer: in `processes` child processes (default `job_processes`) under the
    per-call budget, niced by default so that a server's requests go first, or in the calling
    thread when there are none. A bad `COACH_SCORER` fails here, at start."""
    configured = load_scorer(settings.scorer)
    processes = settings.job_processes if processes is None else processes
    if processes > 0:
        return ProcessScorer(
            spec, settings.scorer, processes, niceness=niceness, cpu_s=settings.score_cpu_s,
            memory_mb=settings.score_memory_mb,
        )  # fmt: skip
    return ThreadScorer(spec, configured)


def server_scorer(
    settings: ApiSettings, spec: pipeline.CallSpec, given: Scorer | ServerScorer | None = None, niceness: int = 19, *,
    processes: int | None = None,
) -> ServerScorer:
    """`make_scorer`, unless the app was given a scorer (tests): a plain function is scored in the
    calling thread through the pipeline like the configured one would be."""
    if given is None:
        return make_scorer(settings, spec, niceness, processes=processes)
    if isinstance(given, (ThreadScorer, ProcessScorer)):
        return given
    return ThreadScorer(spec, given)  # type: ignore[arg-type]


def shutdown(scorer: ServerScorer) -> None:
    if isinstance(scorer, ProcessScorer):
        scorer.shutdown()
