"""Role-play scenarios as data: `rubrics/scenarios/*.yaml`, validated by pydantic.

A scenario is everything the director and the actor need to play one
customer: the persona, what the rep is told before the call, the hidden facts
(each released only by its discovery question or by asking who signs), the
objections, a scripted line for every move (the fallback when the model's
reply is unusable) and what a good outcome looks like. Errors name the file
and the field path, like rubric errors.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coach.datafiles import read_yaml, validate
from coach.errors import RubricError
from coach.resources import data_dir
from coach.scorecard import Motion, Trigger

SCENARIO_FOLDER = "scenarios"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Difficulty(StrEnum):
    easy = "easy"
    medium = "medium"
    hard = "hard"


class Persona(_Model):
    name: str = Field(min_length=1)
    title: str = Field(min_length=1)
    company: str = Field(min_length=1)
    temperament: str = Field(min_length=1)
    difficulty: Difficulty


class HiddenFact(_Model):
    """Something the customer knows and says only when asked the matching question."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    unlock: Literal["q1", "q2", "q3", "sponsor"]  # discovery question 1/2/3, or "who signs?"
    says: str = Field(min_length=1)  # the scripted reveal
    keywords: list[str] = Field(min_length=1)  # an LLM reveal must mention one of these


class Objection(_Model):
    id: Literal["product_first", "never_say", "demo_too_early", "second_ask", "pushed_in_escalation"]
    says: list[str] = Field(min_length=1)


class Lines(_Model):
    """Scripted customer lines per move; a list gives variants, picked with the session seed."""

    greeting: list[str] = Field(min_length=1)  # the customer's first line
    signal_reaction: list[str] = Field(min_length=1)  # the rep opened on a signal
    answer: list[str] = Field(min_length=1)  # small talk or anything else
    soft_no: list[str] = Field(min_length=1)  # after a commercial ask: "let me think"
    info_request: list[str] = Field(min_length=1)  # the "just send me some information" brush-off
    accept_meeting: list[str] = Field(min_length=1)
    end: list[str] = Field(min_length=1)  # the customer closes the call
    end_cold: list[str] = Field(min_length=1)  # the customer ends it after being pushed
    back_off_thanks: list[str] = Field(default_factory=lambda: ["Thanks for understanding. Let's talk once this is behind us."])
    info_sent: list[str] = Field(default_factory=lambda: ["Great, I'll look out for your email."])  # the rep just agreed to send
    reopened: list[str] = Field(default_factory=lambda: ["Fair enough. Ask away."])  # the rep re-opened after a brush-off


class Scenario(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    motion: Motion
    trigger: Trigger
    persona: Persona
    rep_brief: str = Field(min_length=1)  # what the rep knows before the call: the signal, the account
    situation: str = Field(min_length=1)  # what the customer knows (for the actor), never shown to the rep
    workflow: str = Field(min_length=1)  # the adjacent workflow, in the customer's words ("month-end matching")
    facts: list[HiddenFact] = Field(min_length=1)
    objections: list[Objection] = Field(min_length=1)
    lines: Lines
    good_outcome: str = Field(min_length=1)
    # How this customer behaves.
    escalation: str | None = None  # the customer opens with an open escalation / live renewal: back off
    info_request_on_meeting_ask: bool = False  # a first meeting ask before discovery gets "send me information"
    max_rep_turns: int = Field(default=16, ge=4, le=60)
    focus: list[str] = Field(default_factory=list)  # practice notes (scenarios built from a scorecard)

    @field_validator("facts")
    @classmethod
    def _unique_facts(cls, facts: list[HiddenFact]) -> list[HiddenFact]:
        ids = [f.id for f in facts]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate fact ids {dupes}")
        unlocks = [f.unlock for f in facts]
        twice = sorted({u for u in unlocks if unlocks.count(u) > 1})
        if twice:
            raise ValueError(f"more than one fact unlocked by {twice}")
        return facts

    @model_validator(mode="after")
    def _needs_discovery_facts(self) -> "Scenario":
        missing = [q for q in ("q1", "q2", "q3") if not any(f.unlock == q for f in self.facts)]
        if missing and self.escalation is None:
            raise ValueError(f"facts: no hidden fact for discovery question(s) {missing}")
        kinds = [o.id for o in self.objections]
        if len(set(kinds)) != len(kinds):
            raise ValueError("objections: each objection id may appear once")
        return self

    def fact(self, unlock: str) -> HiddenFact | None:
        return next((f for f in self.facts if f.unlock == unlock), None)

    def objection(self, kind: str) -> list[str]:
        for objection in self.objections:
            if objection.id == kind:
                return objection.says
        return [DEFAULT_OBJECTIONS[kind]]


DEFAULT_OBJECTIONS = {
    "product_first": "Hang on, I thought this was a check-in, not a sales pitch.",
    "never_say": "That sounds like a sales line. What does this have to do with us?",
    "demo_too_early": "Let's not jump to a demo. I don't even know yet whether we need anything.",
    "second_ask": "You already asked me that. I said I need to think about it.",
    "pushed_in_escalation": "Honestly, this is not the moment. We still have the open issue to sort out.",
}


def parse_scenario(data: object, *, source: str) -> Scenario:
    if not isinstance(data, dict):
        raise RubricError("a scenario must be a YAML mapping", source=source)
    return validate(Scenario, data, source=source)


def load_scenario_file(path: Path) -> Scenario:
    data = read_yaml(path, "scenario")
    scenario = parse_scenario(data, source=str(path))
    if scenario.id != path.stem:
        raise RubricError(f"id: {scenario.id!r} must match the file name {path.stem!r}", source=str(path))
    return scenario


def scenario_dir() -> Path:
    return data_dir("rubrics") / SCENARIO_FOLDER


@lru_cache(maxsize=4)
def _load_all(folder: Path, stamp: tuple[tuple[str, int], ...]) -> dict[str, Scenario]:
    return {p.stem: load_scenario_file(p) for p in sorted(folder.glob("*.yaml"))}


def load_scenarios(folder: Path | None = None) -> dict[str, Scenario]:
    """Every scenario in the folder (default: the bundled ones), keyed by id."""
    folder = folder or scenario_dir()
    stamp = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(folder.glob("*.yaml")))
    return dict(_load_all(folder.resolve(), stamp))


def get_scenario(scenario_id: str, folder: Path | None = None) -> Scenario:
    scenarios = load_scenarios(folder)
    if scenario_id not in scenarios:
        known = ", ".join(sorted(scenarios)) or "none"
        raise RubricError(f"unknown scenario {scenario_id!r}; known: {known}", source="scenario")
    return scenarios[scenario_id]
