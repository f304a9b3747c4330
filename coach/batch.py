"""Scoring many calls: the pipeline (`coach.pipeline`) on each file, spread over worker processes.

What the run shares (`BatchRun`: the call spec with its rubric, the LLM job, how to render)
goes to each worker once, when it starts; each job is then one path. A worker builds the
spaCy pipeline and compiles the rubric's patterns once, then reads, scores, grades and
renders the files it is given. A file that fails becomes an outcome carrying its one-line
error, so a batch always runs to the end; the caller decides how to report.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from coach import pipeline
from coach.errors import CoachError
from coach.llm.session import LLMJob
from coach.render import OutputFormat, render, render_json
from coach.rubric.choice import bundled_by_call_type
from coach.scorecard import Verdict
from coach.text.lines import get_analyser
from coach.text.nlp import get_nlp


class BatchRun(BaseModel):
    """What every call of one `coach score` run shares."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    spec: pipeline.CallSpec
    llm: LLMJob | None = None  # set when the LLM grades too; None leaves scorecards heuristic-only
    format: OutputFormat = OutputFormat.json
    color: bool = False
    width: int = 100
    compact: bool = False  # JSON on one line (several scorecards on stdout: JSON Lines)


class ScoreOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: Path
    output: str | None = None
    error: str | None = None  # one line, already naming the file
    score: float | None = None
    fails: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


def warm_up(run: BatchRun) -> None:
    """Pay for the pipeline and the rubric's compiled patterns once per process, not once per file."""
    try:
        get_nlp()
        if run.spec.rubric_from == "gate":  # every rubric the gate may pick, not on the first file
            for model in {id(m): m for m in bundled_by_call_type().values()}.values():
                get_analyser(model)
        else:
            get_analyser(run.spec.rubric)
    except CoachError:
        pass  # each call reports it, naming the file


# The run a worker process serves, set once by the pool's initializer.
_run: BatchRun | None = None


def _init_worker(run: BatchRun) -> None:
    global _run
    _run = run
    warm_up(run)
    # What a worker has built so far lives as long as it does: keep it out of the
    # collector's full passes (and, after a fork, off the pages those passes would copy).
    gc.freeze()


def _score_in_worker(path: Path) -> ScoreOutcome:
    assert _run is not None, "the pool initializer sets the run"
    return score_file(_run, path)


def score_file(run: BatchRun, path: Path, on_window: Callable[[int, int], None] | None = None) -> ScoreOutcome:
    try:
        grader = run.llm.grader(on_window) if run.llm is not None else None
        transcript, card = pipeline.read_and_score(run.spec, path, grader)
        if run.format is OutputFormat.json:
            output = render_json(card, indent=None if run.compact else 2)
        else:
            output = render(run.format, card, transcript, color=run.color, width=run.width)
    except CoachError as exc:
        return ScoreOutcome(path=path, error=_naming(exc.one_line(), path))
    except Exception as exc:  # a bug on one call must not sink the batch; say so plainly
        detail = " ".join(str(exc).split())[:200]
        return ScoreOutcome(path=path, error=f"{path}: internal error ({type(exc).__name__}: {detail})")
    return ScoreOutcome(
        path=path,
        output=output,
        score=card.score,
        fails=sum(1 for i in card.items if i.verdict is Verdict.fail),
    )


def _naming(message: str, path: Path) -> str:
    return message if str(path) in message or path.name in message else f"{path}: {message}"


def default_workers() -> int:
    return max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def run(
    batch: BatchRun,
    paths: Sequence[Path],
    *,
    workers: int | None = None,
    on_window: Callable[[int, int], None] | None = None,
) -> Iterator[ScoreOutcome]:
    """Outcomes in the order of `paths`, as they complete; one process when there is one path or one worker.

    `on_window` follows each call's LLM requests, in the one-process case only
    (worker processes report per call, through the outcomes).
    """
    workers = default_workers() if workers is None else workers
    if not paths:
        return
    if workers <= 1 or len(paths) == 1:
        warm_up(batch)
        yield from (score_file(batch, path, on_window) for path in paths)
        return
    # Small chunks: when one worker takes the last chunk the other idles until it is done,
    # so a chunk of 16 60-minute calls (~0.7 s) left ~0.5-0.9 s of one core unused at the
    # end of a batch; 4 leaves ~0.25 s, for one more job hand-off per 4 calls (~0.1 ms).
    chunksize = max(1, min(4, len(paths) // (workers * 4)))
    done = 0
    try:
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(batch,)) as pool:
            for outcome in pool.map(_score_in_worker, paths, chunksize=chunksize):
                done += 1
                yield outcome
    except BrokenProcessPool:
        for path in paths[done:]:
            yield ScoreOutcome(path=path, error=f"{path}: not scored: a worker process died")
