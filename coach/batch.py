"""Scoring many calls: one job per file, spread over worker processes.

Each worker builds the spaCy pipeline and loads the rubric once (pool
initializer; `load_rubric` caches per process), then reads, scores and renders the files it is given. A file
that fails becomes an outcome carrying its one-line error, so a batch always
runs to the end; the caller decides how to report.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from coach.errors import CoachError
from coach.llm.jobs import LLMJob, grade_with_job
from coach.readers import read_path
from coach.readers.roles import require_named_sellers
from coach.render import OutputFormat, render
from coach.rubric.choice import bundled_by_call_type, bundled_rubric
from coach.rubric.schema import Rubric, load_rubric
from coach.scorecard import CallType, Verdict
from coach.scoring import score_call
from coach.text.lines import get_analyser
from coach.text.nlp import get_nlp


class ScoreJob(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: Path
    sellers: tuple[str, ...] = ()
    roles_file: Path | None = None
    rubric: Path | None = None  # the user's --rubric; None: the call-type gate picks one per call
    format: OutputFormat = OutputFormat.json
    color: bool = False
    width: int = 100
    llm: LLMJob | None = None  # set when the LLM grades too; None leaves scorecards heuristic-only
    call_type: CallType | None = None  # the user's --call-type; None lets the classifier decide


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


def rubric_titles(rubric: Rubric) -> dict[str, str]:
    return {item.id: item.title for item in rubric.items}


def warm_up(rubric: Path | None) -> None:
    """Pool initializer: pay for the pipeline and the rubric once per process, not once per file."""
    try:
        get_nlp()
        # the compiled patterns too, not on the first file: every rubric the gate may pick
        models = [load_rubric(rubric)] if rubric is not None else list(bundled_by_call_type().values())
        for model in {id(m): m for m in models}.values():
            get_analyser(model)
    except CoachError:
        pass  # each job reports it, naming the file


def _init_worker(rubric: Path | None) -> None:
    warm_up(rubric)
    # What a worker has built so far lives as long as it does: keep it out of the
    # collector's full passes (and, after a fork, off the pages those passes would copy).
    gc.freeze()


def score_file(job: ScoreJob, on_window: Callable[[int, int], None] | None = None) -> ScoreOutcome:
    try:
        explicit = load_rubric(job.rubric) if job.rubric is not None else None
        transcript = read_path(job.path, sellers=job.sellers, roles_file=job.roles_file)
        require_named_sellers(transcript, job.sellers)
        card = score_call(transcript, explicit, call_type=job.call_type)
        rubric = explicit or bundled_rubric(card.rubric.id) or load_rubric()
        if job.llm is not None and card.call_type is not CallType.not_sales:  # nothing to grade on a meeting
            card = grade_with_job(job.llm, transcript, card, rubric, on_window=on_window)
        output = render(
            job.format, card, transcript, titles=rubric_titles(rubric), color=job.color, width=job.width
        )
    except CoachError as exc:
        return ScoreOutcome(path=job.path, error=_naming(exc.one_line(), job.path))
    except Exception as exc:  # a bug on one call must not sink the batch; say so plainly
        detail = " ".join(str(exc).split())[:200]
        return ScoreOutcome(path=job.path, error=f"{job.path}: internal error ({type(exc).__name__}: {detail})")
    return ScoreOutcome(
        path=job.path,
        output=output,
        score=card.score,
        fails=sum(1 for i in card.items if i.verdict is Verdict.fail),
    )


def _naming(message: str, path: Path) -> str:
    return message if str(path) in message or path.name in message else f"{path}: {message}"


def default_workers() -> int:
    return max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def run(
    jobs: Sequence[ScoreJob], *, workers: int | None = None, on_window: Callable[[int, int], None] | None = None
) -> Iterator[ScoreOutcome]:
    """Outcomes in the order of `jobs`, as they complete; one process when there is one job or one worker.

    `on_window` follows each call's LLM requests, in the one-process case only
    (worker processes report per call, through the outcomes).
    """
    workers = default_workers() if workers is None else workers
    if not jobs:
        return
    if workers <= 1 or len(jobs) == 1:
        warm_up(jobs[0].rubric)
        yield from (score_file(job, on_window) for job in jobs)
        return
    # Small chunks: when one worker takes the last chunk the other idles until it is done,
    # so a chunk of 16 60-minute calls (~0.7 s) left ~0.5-0.9 s of one core unused at the
    # end of a batch; 4 leaves ~0.25 s, for one more job hand-off per 4 calls (~0.1 ms).
    chunksize = max(1, min(4, len(jobs) // (workers * 4)))
    done = 0
    try:
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(jobs[0].rubric,)) as pool:
            for outcome in pool.map(score_file, jobs, chunksize=chunksize):
                done += 1
                yield outcome
    except BrokenProcessPool:
        for job in jobs[done:]:
            yield ScoreOutcome(path=job.path, error=f"{job.path}: not scored: a worker process died")
