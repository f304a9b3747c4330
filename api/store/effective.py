"""The scorecard everyone sees: the machine's, with the managers' verdicts in place.

A manager's override changes the item's verdict, its advice (the rubric's advice for the
new verdict) and the score (re-weighted with the rubric's weights by the scorer's own
function); the machine's verdict and score stay beside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from coach.advice_slots import fill_card
from coach.rubric.choice import bundled_rubric
from coach.rubric.schema import Rubric
from coach.scorecard import ItemResult, RubricRef, Scorecard, Verdict
from coach.scoring import score_items


@dataclass(frozen=True)
class HumanVerdict:
    verdict: Verdict
    comment: str


def rubric_for(ref: RubricRef) -> Rubric | None:
    """The rubric a stored scorecard was scored with, when the server has it (a bundled one)."""
    return bundled_rubric(ref.id)


def _advice(rubric: Rubric | None, item_id: str, verdict: Verdict) -> str:
    if rubric is None:
        return ""
    try:
        item = rubric.item(item_id)
    except KeyError:
        return ""
    if verdict is Verdict.pass_:
        return item.advice.get("pass", "")
    if verdict is Verdict.fail:
        # The manager did not say which way it failed; the detector's first failure mode is
        # the rubric's general advice for the item.
        modes = item.failure_modes
        return item.advice.get(modes[0], "") if modes else ""
    return ""


def effective_item(result: ItemResult, human: HumanVerdict | None, rubric: Rubric | None) -> ItemResult:
    if human is None or human.verdict is result.verdict:
        return result
    label = human.verdict.value.replace("_", " ")
    return result.model_copy(
        update={
            "verdict": human.verdict,
            "advice": _advice(rubric, result.id, human.verdict),
            "advice_source": "rubric",
            "reason": f"A manager changed the verdict to {label} (the machine said "
            f"{result.verdict.value.replace('_', ' ')}): {human.comment}",
        }
    )


def effective_score(machine: Scorecard, humans: Mapping[str, HumanVerdict]) -> float | None:
    """The score of the effective verdicts; the machine's when nothing was overridden."""
    if not humans:
        return machine.score
    rubric = rubric_for(machine.rubric)
    items = [effective_item(i, humans.get(i.id), rubric) for i in machine.items]
    if rubric is None or any(_unknown(rubric, i.id) for i in items):
        return machine.score  # no weights to re-score with: the machine's number stays
    return score_items(rubric, items)


def _unknown(rubric: Rubric, item_id: str) -> bool:
    try:
        rubric.item(item_id)
    except KeyError:
        return True
    return False


def effective_scorecard(machine: Scorecard, humans: Mapping[str, HumanVerdict]) -> Scorecard:
    """The machine scorecard with each overridden item's verdict, advice and reason replaced, and the score
    recomputed: what the Markdown and HTML downloads draw."""
    if not humans:
        return machine
    rubric = rubric_for(machine.rubric)
    items = [effective_item(i, humans.get(i.id), rubric) for i in machine.items]
    card = machine.model_copy(update={"items": items, "score": effective_score(machine, humans)})
    # The rubric's advice for a manager's verdict names this call's facts, as the machine's does.
    return fill_card(card, rubric.advice_slots) if rubric is not None else card
