"""The front door for CLIs and services: settings in, a ready `Grader` out.

    with llm_job(choice, settings=settings) as job:   # once per run, in the process that owns it
        grader = job.grader()                          # in every process that grades (cached there)
        card = pipeline.grade(spec, transcript, card, grader)

    with llm_grader(enabled=not no_llm) as grader:     # the same, in one process
        ...

Which model, if any, is `coach.llm.choice.choose_llm`'s decision: a configured endpoint
(OPENAI_BASE_URL and/or OPENAI_API_KEY), the embedded model when asked for by name (started
here for the run's lifetime and stopped after it), or none: a grader that records
`llm_status: skipped: ...`. If the embedded model cannot be started, the grader records
`llm_status: failed: ...` on every scorecard and leaves the heuristic verdicts alone. Bad
settings are a `ConfigError` (exit 2), not a silent fallback.

The decision is an `LLMJob`: the run's one `LLMSettings` and the endpoint it resolved to. It
is picklable, so `coach score`'s worker processes receive it once and build their grader
from it exactly as the API's server builds its own (`LLMJob.grader`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from pydantic import BaseModel, ConfigDict

from coach.llm.choice import LLMChoice, choose_llm
from coach.llm.errors import LLMError
from coach.llm.grader import GradedRubric, Grader, LLMGrader, SkippedGrader
from coach.llm.settings import Endpoint, LLMMode, LLMSettings, load_settings


class LLMJob(BaseModel):
    """How a run reaches its model (or why it does not)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["grade", "skip", "failed"]
    reason: str = ""  # why skipped or failed
    settings: LLMSettings | None = None  # set when grading: timeouts, retries, redaction, the key
    endpoint: Endpoint | None = None  # set when grading: the configured endpoint or the embedded server

    def grader(self, on_window: Callable[[int, int], None] | None = None) -> Grader:
        """This process's grader for the run (built once per process; `on_window` follows one call's requests)."""
        if self.mode != "grade":
            return SkippedGrader(self.reason, failed=self.mode == "failed")
        grader = _built_grader(self)
        return dataclasses.replace(grader, on_window=on_window) if on_window is not None else grader


# One grader (one HTTP client) per run and process; a worker process serves one run.
_graders: list[tuple[LLMJob, LLMGrader]] = []


def _built_grader(job: LLMJob) -> LLMGrader:
    for known, grader in _graders:
        if known == job:
            return grader
    from coach.llm.client import chat_model  # the openai SDK loads only when the LLM is used

    assert job.settings is not None and job.endpoint is not None
    settings = job.settings
    grader = LLMGrader(
        chat_model(settings, job.endpoint),
        redact_personal=settings.redaction_enabled(job.endpoint.kind),
        max_output_tokens=settings.max_output_tokens,
        concurrency=settings.concurrency,
    )
    _graders[:] = [*_graders[-3:], (job, grader)]
    return grader


def _has_llm_items(rubric: GradedRubric | None) -> bool:
    if rubric is None:
        return True  # the scorer's bundled default: assume it may
    return any(item.grader in ("llm", "both") for item in rubric.items)


@contextmanager
def llm_job(
    choice: LLMChoice | None = None,
    *,
    enabled: bool = True,
    rubric: GradedRubric | None = None,
    settings: LLMSettings | None = None,
) -> Iterator[LLMJob]:
    """How this run reaches its model; starts the embedded server for the run's lifetime if chosen.

    `choice` is `choose_llm`'s decision (made here from the settings when not given;
    `enabled=False` is `--no-llm`). A configuration error (`ConfigError`) propagates: the user
    asked for something we cannot do. A model that cannot be started becomes a `failed` job,
    so every scorecard says so and keeps its heuristic verdicts.
    """
    settings = settings or load_settings()
    if choice is None:
        choice = choose_llm(settings, None if enabled else LLMMode.off)
    if not choice.grades:
        yield LLMJob(mode="skip", reason=choice.reason)
        return
    if not _has_llm_items(rubric):
        yield LLMJob(mode="skip", reason="no LLM-graded items")
        return
    if choice.use == "endpoint":
        yield LLMJob(mode="grade", settings=settings, endpoint=settings.configured_endpoint())
        return
    from coach.llm.embedded import EmbeddedServer

    server = EmbeddedServer(threads=settings.embedded_threads, start_timeout_s=settings.embedded_start_timeout_s)
    try:
        server.start()
    except LLMError as exc:
        yield LLMJob(mode="failed", reason=exc.one_line())
        return
    try:
        yield LLMJob(mode="grade", settings=settings, endpoint=server.endpoint)
    finally:
        server.stop()


@contextmanager
def llm_grader(
    settings: LLMSettings | None = None, *, enabled: bool = True, choice: LLMChoice | None = None
) -> Iterator[Grader]:
    """`llm_job(...).grader()` for a run that grades in this process only (the API's server)."""
    with llm_job(choice, enabled=enabled, settings=settings) as job:
        yield job.grader()


__all__ = ["LLMJob", "llm_grader", "llm_job"]
