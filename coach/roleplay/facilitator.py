"""The facilitator: interrupts sparingly, exactly as in the training's live role-play.

Only three things make it speak: a second commercial ask after the customer
answered softly, a never-say phrase, and a demo or a price before the three
discovery questions. It names the rule and offers a better line; the rest of
the feedback belongs to the scorecard at the end. Its texts are data
(`rubrics/roleplay/facilitator.yaml`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach.errors import RubricError
from coach.resources import data_dir
from coach.roleplay.director import DirectorState
from coach.rubric.schema import Rubric, load_rubric
from coach.text.lines import LineSignals

FACILITATOR_FILE = Path("roleplay") / "facilitator.yaml"
RULE_IDS = ("ask_once", "never_say", "demo_before_discovery", "price_before_discovery")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FacilitatorRule(_Model):
    id: str
    item: str  # the rubric item the rule belongs to
    says: str = Field(min_length=1)
    better: str = Field(min_length=1)


class Hints(_Model):
    """What `/hint` suggests at each point of the play; `{workflow}` is the scenario's workflow."""

    escalation: str
    open_on_signal: str
    reopen: str
    q1: str
    q2: str
    q3: str
    sponsor: str
    diagnostic: str
    time: str
    close: str


class FacilitatorRules(_Model):
    rules: list[FacilitatorRule]
    hints: Hints

    def rule(self, rule_id: str) -> FacilitatorRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise RubricError(f"rules: no rule {rule_id!r}", source=str(FACILITATOR_FILE))


class FacilitatorNote(_Model):
    turn: int  # the rep's turn index in the session transcript
    rule: str  # one of RULE_IDS
    item: str  # rubric item id
    quote: str  # the rep's words that broke it, verbatim
    message: str  # names the rule
    better: str  # a better line


@cache
def load_rules(path: Path | None = None) -> FacilitatorRules:
    path = path or data_dir("rubrics") / FACILITATOR_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        rules = FacilitatorRules.model_validate(data)
    except (OSError, yaml.YAMLError) as exc:
        raise RubricError(f"cannot read facilitator rules: {exc}", source=str(path)) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RubricError(f"{where}: {first['msg']}", source=str(path)) from None
    for wanted in RULE_IDS:
        rules.rule(wanted)
    return rules


def _banned_phrase(rubric: Rubric, phrase_id: str) -> tuple[str, str]:
    item = rubric.find("never_say.v1")
    if item is not None:
        for phrase in getattr(item.detector.params, "phrases", []):
            if phrase.id == phrase_id:
                return phrase.says, phrase.instead
    return phrase_id.replace("_", " "), "Say what you saw in their account and ask about their workflow."


def review(
    signals: LineSignals, state: DirectorState, *, turn: int, workflow: str, rubric: Rubric | None = None
) -> list[FacilitatorNote]:
    """Notes for one rep line, judged against the state *before* the customer answers it."""
    rules = load_rules()
    notes: list[FacilitatorNote] = []

    def note(rule_id: str, quote: str, **values: str) -> None:
        rule = rules.rule(rule_id)
        fill = {"workflow": workflow, **values}
        notes.append(
            FacilitatorNote(
                turn=turn, rule=rule.id, item=rule.item, quote=quote,
                message=" ".join(rule.says.format(**fill).split()), better=" ".join(rule.better.format(**fill).split()),
            )
        )  # fmt: skip

    if signals.commercial_ask and state.soft_answer_pending:
        note("ask_once", signals.commercial_ask[0].sentence)
    if signals.never_say:
        hit = signals.never_say[0]
        says, instead = _banned_phrase(rubric or load_rubric(), hit.label)
        note("never_say", hit.sentence, phrase=says, instead=instead)
    asked = set(state.asked) | set(signals.discovery_questions)
    if not {1, 2, 3} <= asked:
        if signals.demo:
            note("demo_before_discovery", signals.demo[0].sentence)
        elif signals.pricing:
            note("price_before_discovery", signals.pricing[0].sentence)
    return notes
