"""The front door for CLIs and services: settings in, a ready `Grader` out.

    with llm_grader(enabled=not no_llm) as grader:
        card = grader.grade(transcript, score_transcript(transcript, rubric), rubric)

Which model, if any, is `coach.llm.choice.choose_llm`'s decision: a configured
endpoint (OPENAI_BASE_URL and/or OPENAI_API_KEY), the embedded model when asked
for by name (started here and stopped on exit), or none: a grader that records
`llm_status: skipped: no LLM configured ...`. If the model
cannot be reached at all, the grader it yields records `llm_status: failed: ...`
on every scorecard and leaves the heuristic verdicts alone. Bad settings are a
`ConfigError` (exit 2), not a silent fallback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from coach.llm.errors import LLMError
from coach.llm.grader import Grader, LLMGrader, SkippedGrader
from coach.llm.choice import LLMChoice, choose_llm
from coach.llm.settings import LLMMode, LLMSettings, load_settings


@contextmanager
def llm_grader(
    settings: LLMSettings | None = None, *, enabled: bool = True, choice: LLMChoice | None = None
) -> Iterator[Grader]:
    settings = settings or load_settings()
    if choice is None:
        choice = choose_llm(settings, None if enabled else LLMMode.off)
    if not choice.grades:
        yield SkippedGrader(choice.reason)
        return
    from coach.llm.client import open_chat_model  # the openai SDK loads only when the LLM is used

    with ExitStack() as stack:
        try:
            model = stack.enter_context(open_chat_model(settings, embedded=choice.use == "embedded"))
        except LLMError as exc:
            yield SkippedGrader(exc.one_line(), failed=True)
            return
        yield LLMGrader(
            model,
            redact_personal=settings.redaction_enabled(model.kind),
            max_output_tokens=settings.max_output_tokens,
            concurrency=settings.concurrency,
        )
