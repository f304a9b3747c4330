"""LLM failures, one class per way a call can end badly.

They are `CoachError`s so a CLI prints one line, but the grader never lets
them escape a scoring run: it records `llm_status: failed: ...` and keeps the
heuristic scorecard.
"""

from __future__ import annotations

from coach.errors import CoachError


class LLMError(CoachError):
    """Base class for anything that went wrong talking to a model.

    A request can fail after replies that were paid for (a reply that did not
    validate, then its repair re-ask timing out): the structured-reply loop
    records what was spent on the error so the scorecard's reproducibility
    block can show it.
    """

    spent_prompt_tokens: int = 0
    spent_completion_tokens: int = 0
    earlier_requests: int = 0  # answered requests before the one that failed

    def short_reason(self) -> str:
        return self.message

    @property
    def requests_made(self) -> int:
        return self.earlier_requests + int(getattr(self, "attempts", 0))


class LLMUnavailableError(LLMError):
    """The endpoint did not answer usefully after the configured retries."""

    def __init__(self, message: str, *, kind: str, attempts: int, source: str | None = None):
        self.kind = kind  # timeout | connection | rate_limited | server_error | status
        self.attempts = attempts
        super().__init__(message, source=source)

    def short_reason(self) -> str:
        return f"{self.kind} after {self.attempts} attempt(s)"


class StructuredOutputError(LLMError):
    """The model's reply did not validate against the schema, even after the repair re-ask."""

    def __init__(self, message: str, *, attempts: int, last_output: str, source: str | None = None):
        self.attempts = attempts
        self.last_output = last_output
        super().__init__(message, source=source)

    def short_reason(self) -> str:
        return f"invalid structured output after {self.attempts} attempt(s)"


class EmbeddedServerError(LLMError):
    """The bundled model server could not be found, verified or started."""
