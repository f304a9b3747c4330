"""LLM grading inside batch worker processes.

`coach score` scores calls in worker processes; the parent decides once how
the LLM is reached (`llm_job`, by `coach.llm.choice`'s rule): a configured
endpoint, the embedded server it starts and stops around the whole batch, or
none (heuristics only, the default). The decision travels to workers as
an `LLMJob` (picklable, no API key: workers read the key from the same
environment or config file), and each worker builds one client per process.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict

from coach.llm.choice import LLMChoice, choose_llm
from coach.llm.errors import LLMError
from coach.llm.grader import GradedRubric, LLMGrader, SkippedGrader
from coach.llm.settings import EndpointKind, LLMMode, LLMSettings, StructuredMode, load_settings
from coach.scorecard import Scorecard
from coach.transcript import Transcript


class LLMJob(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["grade", "skip", "failed"]
    reason: str = ""  # why skipped or failed
    base_url: str | None = None
    model: str | None = None
    kind: EndpointKind | None = None
    temperature: float = 0.0
    seed: int | None = None
    timeout_s: float = 120.0
    retries: int = 2
    structured_mode: StructuredMode = StructuredMode.auto
    context_tokens: int = 8192
    max_output_tokens: int = 2048
    redact_personal: bool = False


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
    """How this batch reaches its model; starts the embedded server for the batch's lifetime if chosen.

    `choice` is `coach.llm.choice.choose_llm`'s decision (made here from the
    settings when not given; `enabled=False` is `--no-llm`). A configuration
    error (`ConfigError`) propagates: the user asked for something we cannot do.
    A model that cannot be started becomes a `failed` job, so every scorecard
    says so and keeps its heuristic verdicts.
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
    common = dict(
        temperature=settings.temperature, seed=settings.seed, timeout_s=settings.timeout_s,
        retries=settings.retries, structured_mode=settings.structured_mode,
        max_output_tokens=settings.max_output_tokens,
    )  # fmt: skip
    kind = settings.endpoint_kind()
    if choice.use == "endpoint":
        from coach.llm.client import open_chat_model

        with open_chat_model(settings):  # validates the settings (model name...) once, up front
            pass
        yield LLMJob(
            mode="grade", base_url=settings.base_url, model=settings.model, kind=kind,
            context_tokens=settings.context_tokens, redact_personal=settings.redaction_enabled(kind), **common,
        )  # fmt: skip
        return
    from coach.llm.embedded import EmbeddedServer

    server = EmbeddedServer(threads=settings.embedded_threads, start_timeout_s=settings.embedded_start_timeout_s)
    try:
        server.start()
    except LLMError as exc:
        yield LLMJob(mode="failed", reason=exc.one_line())
        return
    try:
        yield LLMJob(
            mode="grade", base_url=server.base_url, model=server.model, kind=EndpointKind.embedded,
            context_tokens=server.context_tokens, redact_personal=settings.redaction_enabled(EndpointKind.embedded),
            **{**common, "timeout_s": settings.embedded_timeout_s, "retries": 0},
        )  # fmt: skip
    finally:
        server.stop()


@lru_cache(maxsize=4)
def _grader_for(job: LLMJob) -> LLMGrader:
    from coach.llm.client import OpenAIChatModel
    from coach.llm.tokens import embedded_tokenizer

    settings = load_settings()
    key = settings.api_key.get_secret_value() if settings.api_key and job.kind is not EndpointKind.embedded else None
    assert job.model is not None and job.kind is not None
    model = OpenAIChatModel(
        base_url=job.base_url, api_key=key, model=job.model, kind=job.kind, temperature=job.temperature,
        seed=job.seed, timeout_s=job.timeout_s, retries=job.retries, structured_mode=job.structured_mode,
        context_tokens=job.context_tokens,
        tokenizer=embedded_tokenizer() if job.kind is EndpointKind.embedded else None,
    )  # fmt: skip
    return LLMGrader(model, redact_personal=job.redact_personal, max_output_tokens=job.max_output_tokens)


def grade_with_job(
    job: LLMJob,
    transcript: Transcript,
    scorecard: Scorecard,
    rubric: GradedRubric | None,
    *,
    on_window: Callable[[int, int], None] | None = None,
) -> Scorecard:
    """The scorecard with the LLM's part added; never raises for an LLM failure.

    `on_window(answered, total)` follows the call's requests (progress in a terminal).
    """
    if rubric is None:
        from coach.rubric.schema import load_rubric

        rubric = load_rubric()
    if job.mode == "grade":
        grader = _grader_for(job)
        if on_window is not None:
            grader = dataclasses.replace(grader, on_window=on_window)
        return grader.grade(transcript, scorecard, rubric)
    return SkippedGrader(job.reason, failed=job.mode == "failed").grade(transcript, scorecard, rubric)
