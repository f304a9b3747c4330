"""The front door for CLIs and services: settings in, a ready `Grader` out.

    with llm_grader(enabled=not no_llm) as grader:
        card = grader.grade(transcript, score_transcript(transcript, rubric), rubric)

With an endpoint configured (OPENAI_BASE_URL and/or OPENAI_API_KEY) it uses
that; otherwise it starts the embedded model and stops it on exit. If the model
cannot be reached at all, the grader it yields records `llm_status: failed: ...`
on every scorecard and leaves the heuristic verdicts alone. Bad settings are a
`ConfigError` (exit 2), not a silent fallback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from coach.llm.errors import LLMError
from coach.llm.grader import Grader, LLMGrader, SkippedGrader
from coach.llm.settings import LLMSettings, load_settings


@contextmanager
def llm_grader(settings: LLMSettings | None = None, *, enabled: bool = True) -> Iterator[Grader]:
    if not enabled:
        yield SkippedGrader("--no-llm")
        return
    settings = settings or load_settings()
    from coach.llm.client import open_chat_model  # the openai SDK loads only when the LLM is used

    with ExitStack() as stack:
        try:
            model = stack.enter_context(open_chat_model(settings))
        except LLMError as exc:
            yield SkippedGrader(exc.one_line(), failed=True)
            return
        yield LLMGrader(
            model,
            redact_personal=settings.redaction_enabled(model.kind),
            max_output_tokens=settings.max_output_tokens,
            concurrency=settings.concurrency,
        )
