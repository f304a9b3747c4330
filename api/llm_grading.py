"""The LLM grader behind the API's scoring jobs, when `COACH_LLM_GRADING` is on.

The heuristic scorecard is stored first, as always; a follow-up job then grades
the call with the grader `coach score` uses and stores the merged scorecard
with its reproducibility block (`api.jobs`). Which model grades is decided by
the same rule as `coach score` (`coach.llm.choice.choose_llm`): the endpoint in
OPENAI_BASE_URL / OPENAI_API_KEY / COACH_LLM_* when one is configured, the
embedded model only when asked for by name (COACH_LLM=embedded; started with
the app and stopped with it), and otherwise none: no follow-up jobs, and the
server logs how to turn it on. A model that cannot be started yields a grader
that records `llm_status: failed: ...` on every scorecard, so the heuristic
scorecards are never held back or lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from api.settings import ApiSettings
from coach.llm.grader import GradedRubric, Grader
from coach.rubric.choice import bundled_rubric
from coach.rubric.schema import load_rubric
from coach.scorecard import RubricRef

log = logging.getLogger("coach.api")

__all__ = ["Grader", "api_grader", "llm_rubric"]


@contextmanager
def api_grader(settings: ApiSettings) -> Iterator[Grader | None]:
    """The app's grader for its lifetime, or None when LLM grading is off."""
    if not settings.llm_grading:
        yield None
        return
    from coach.llm.choice import choose_llm
    from coach.llm.session import llm_grader  # the openai SDK loads only when the LLM is used
    from coach.llm.settings import load_settings

    llm_settings = load_settings()
    choice = choose_llm(llm_settings)
    if not choice.grades:
        log.warning("COACH_LLM_GRADING is on but %s", choice.summary())
        yield None
        return
    with llm_grader(llm_settings, choice=choice) as grader:
        log.info("LLM grading on: %s", type(grader).__name__)
        yield grader


def llm_rubric(ref: RubricRef | None = None) -> GradedRubric:
    """The bundled rubric a stored scorecard was scored with (the call-type gate's pick), whose
    LLM-graded items the grader asks about; the expansion rubric when it is gone or not given."""
    return (bundled_rubric(ref.id) if ref is not None else None) or load_rubric()
