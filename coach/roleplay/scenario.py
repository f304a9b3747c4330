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
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from coach.datafiles import M, read_yaml, validate
from coach.errors import RubricError
from coach.resources import data_dir
from coach.scorecard import Motion, Trigger

SCENARIO_FOLDER = "scenarios"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Difficulty(StrEnum):
    easy = "easy"
    normal = "normal"
    hard = "hard"


def _difficulty(value: object) -> object:
    # Sessions stored before the levels were renamed say "medium".
    return "normal" if value == "medium" else value


DifficultyField = Annotated[Difficulty, BeforeValidator(_difficulty)]


class Persona(_Model):
    name: str = Field(min_length=1)
    title: str = Field(min_length=1)
    company: str = Field(min_length=1)
    temperament: str = Field(min_length=1)
    difficulty: DifficultyField  # the level the scenario is played at unless the rep picks another


class HiddenFact(_Model):
    """Something the customer knows and says only when asked the matching question."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    unlock: Literal["q1", "q2", "q3", "sponsor"]  # discovery question 1/2/3, or "who signs?"
    says: str = Field(min_length=1)  # the scripted reveal
    keywords: list[str] = Field(min_length=1)  # an LLM reveal must mention one of these


ObjectionKind = Literal["product_first", "never_say", "demo_too_early", "second_ask", "pushed_in_escalation"]
OBJECTION_KINDS: tuple[str, ...] = ObjectionKind.__args__  # type: ignore[attr-defined]
# Several variants per move, so the customer never says the same line twice in a row.
Variants = Annotated[list[str], Field(min_length=2)]
_WHEN_SLOT = "{when}"


class Objection(_Model):
    id: ObjectionKind
    says: Variants


class Lines(_Model):
    """Scripted customer lines per move; the session seed picks a variant, never the one just said.

    Groups left out of a scenario come from `rubrics/roleplay/customer.yaml`.
    """

    greeting: list[str] = Field(min_length=1)  # the customer's first line
    signal_reaction: Variants  # the rep opened on a signal
    answer: Variants  # small talk or anything else
    soft_no: Variants  # after a commercial ask: "let me think"
    info_request: Variants  # the "just send me some information" brush-off
    accept_meeting: Variants  # agrees to a meeting; a time is still to be set
    accept_time: Variants  # agrees to the day or time the rep proposed: "{when} works."
    end: Variants  # the customer closes the call after an agreed next step
    end_cold: Variants  # the customer ends it after being pushed
    goodbye: Variants  # the rep said goodbye without a next step
    back_off_thanks: Variants
    info_sent: Variants  # the rep just agreed to send
    reopened: Variants  # the rep re-opened after a brush-off
    guarded: Variants  # a cooled customer at a hard level does not tell yet
    problem_update: Variants  # the rep asked about the customer's open problem
    no_time: Variants  # a cooled customer will not set a time

    @model_validator(mode="after")
    def _slots(self) -> "Lines":
        for name, options in self:
            for line in options:
                rest = line.replace(_WHEN_SLOT, "") if name == "accept_time" else line
                if "{" in rest or "}" in rest:
                    raise ValueError(f"{name}: {line!r} has a placeholder other than {_WHEN_SLOT} in accept_time")
        if not all(_WHEN_SLOT in line for line in self.accept_time):
            raise ValueError(f"accept_time: every line repeats the proposed time with {_WHEN_SLOT}")
        return self


class Level(_Model):
    """How hard the customer is to win: see `rubrics/roleplay/difficulty.yaml`."""

    patience: int = Field(ge=0, le=10)
    never_say_strikes: int = Field(ge=1, le=10)
    guarded_when_cool: bool
    brush_off_early_meeting_ask: bool
    reveal: Literal["full", "brief"]


class LevelOverride(_Model):
    patience: int | None = Field(default=None, ge=0, le=10)
    never_say_strikes: int | None = Field(default=None, ge=1, le=10)
    guarded_when_cool: bool | None = None
    brush_off_early_meeting_ask: bool | None = None
    reveal: Literal["full", "brief"] | None = None


class CustomerDefaults(_Model):
    objections: dict[ObjectionKind, Variants]
    lines: dict[str, Variants]

    @model_validator(mode="after")
    def _complete(self) -> "CustomerDefaults":
        missing = [k for k in OBJECTION_KINDS if k not in self.objections]
        if missing:
            raise ValueError(f"objections: no lines for {missing}")
        unknown = sorted(set(self.lines) - set(Lines.model_fields))
        if unknown:
            raise ValueError(f"lines: unknown line groups {unknown}")
        return self


class Levels(_Model):
    levels: dict[Difficulty, Level]

    @model_validator(mode="after")
    def _every_level(self) -> "Levels":
        missing = [d.value for d in Difficulty if d not in self.levels]
        if missing:
            raise ValueError(f"levels: missing {missing}")
        return self


def roleplay_data(model: type[M], name: str) -> M:
    """One of the shared role-play data files (`rubrics/roleplay/<name>.yaml`), validated."""
    path = data_dir("rubrics") / "roleplay" / f"{name}.yaml"
    return validate(model, read_yaml(path, f"role-play {name} data"), source=str(path))


@lru_cache(maxsize=1)
def customer_defaults() -> CustomerDefaults:
    return roleplay_data(CustomerDefaults, "customer")


@lru_cache(maxsize=1)
def difficulty_levels() -> Levels:
    return roleplay_data(Levels, "difficulty")


class StockNames(_Model):
    """The scenario's stock parties as its text spells them, so a practice built from a real call
    can put that call's parties in their place (or neutral wording where the call named none)."""

    customer_company: list[str] = Field(default_factory=list)  # every spelling, e.g. [Northwind Logistics, Northwind]
    product: list[str] = Field(default_factory=list)  # the product the rep brings, with its article: "the reconciliation module"
    seller_company: list[str] = Field(default_factory=list)  # how the text names the rep's company: "the vendor"


class NeutralWords(_Model):
    rep: str = Field(min_length=1)  # in what the rep reads: the title, the brief, the good outcome
    customer: str = Field(min_length=1)  # in what the customer knows and says


class PartyWording(_Model):
    """What a practice scenario says for a stock party the real call never named
    (`rubrics/roleplay/parties.yaml`); a party left out keeps the scenario's own words."""

    neutral: dict[Literal["customer_company", "product", "seller_company"], NeutralWords]


@lru_cache(maxsize=1)
def party_wording() -> PartyWording:
    return roleplay_data(PartyWording, "parties")


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
    levels: dict[DifficultyField, LevelOverride] = Field(default_factory=dict)  # per-level changes to the shared levels
    # How this customer behaves.
    escalation: str | None = None  # the customer opens with an open escalation / live renewal: back off
    info_request_on_meeting_ask: bool = False  # a first meeting ask before discovery gets "send me information"
    max_rep_turns: int = Field(default=16, ge=4, le=60)
    focus: list[str] = Field(default_factory=list)  # practice notes (scenarios built from a scorecard)
    names: StockNames = Field(default_factory=StockNames)

    @model_validator(mode="before")
    @classmethod
    def _shared_lines(cls, data: object) -> object:
        """Fill the line groups and objections a scenario leaves out from the shared customer defaults."""
        if not isinstance(data, dict):
            return data
        defaults = customer_defaults()
        data = dict(data)
        lines = data.get("lines")
        if isinstance(lines, dict):
            data["lines"] = {**defaults.lines, **lines}
        objections = data.get("objections", [])
        if isinstance(objections, list):
            given = {o.get("id") for o in objections if isinstance(o, dict)}
            data["objections"] = [*objections, *({"id": k, "says": v} for k, v in defaults.objections.items() if k not in given)]
        return data

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

    def texts(self) -> dict[str, str]:
        """Every piece of prose in the scenario, keyed by where it is (the names check and the practice swap read these)."""
        found = {"title": self.title, "persona.company": self.persona.company, "rep_brief": self.rep_brief,
                 "situation": self.situation, "workflow": self.workflow, "good_outcome": self.good_outcome}  # fmt: skip
        found.update({f"facts.{f.id}": f.says for f in self.facts})
        found.update({f"objections.{o.id}[{i}]": line for o in self.objections for i, line in enumerate(o.says)})
        found.update({f"lines.{k}[{i}]": line for k, lines in self.lines.model_dump().items() for i, line in enumerate(lines)})
        return found

    @model_validator(mode="after")
    def _names_are_in_the_text(self) -> "Scenario":
        text = "\n".join(self.texts().values()).lower()
        for party, spellings in self.names.model_dump().items():
            for spelling in spellings:
                if spelling.lower() not in text:
                    raise ValueError(f"names.{party}: {spelling!r} is not in the scenario's text")
        if self.names.customer_company and self.persona.company not in self.names.customer_company:
            raise ValueError("names.customer_company: must list persona.company")
        return self

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
        raise KeyError(kind)  # the shared defaults fill every kind at validation

    def level(self, difficulty: Difficulty | None = None) -> Level:
        """The customer's behaviour at a level (default: the persona's)."""
        difficulty = difficulty or self.persona.difficulty
        base = difficulty_levels().levels[difficulty]
        override = self.levels.get(difficulty)
        if override is None:
            return base
        return base.model_copy(update=override.model_dump(exclude_none=True))


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
