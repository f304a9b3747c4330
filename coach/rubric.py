"""The rubric as data: schema and loader.

`rubrics/expansion_call.yaml` is the bundled rubric; a team may pass its own
file (more never-say phrases, other weights). Every field is validated here and
a bad file fails with one line naming the file and the field path.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from coach.datafiles import read_yaml, validate
from coach.detectors.params import DetectorConfig
from coach.errors import RubricError
from coach.patterns import Pattern
from coach.resources import data_file

BUNDLED_RUBRIC = "expansion_call.yaml"

PatternList = list[Pattern]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Example(_Model):
    """A snippet in plain `Name: text` lines; speakers listed in `sellers` are the vendor side."""

    call: str = Field(min_length=1)
    sellers: list[str] = ["AE", "CSM"]
    note: str = ""


class Examples(_Model):
    pass_: list[Example] = Field(alias="pass", min_length=1)
    fail: list[Example] = Field(min_length=1)
    not_applicable: list[Example] = []


class Language(_Model):
    """Cross-item language knowledge: how negation, reported speech and questions look."""

    negation: list[str] = Field(min_length=1)  # lowercase tokens that negate what follows
    reporting_verbs: list[str] = Field(min_length=1)  # lemmas: say, tell, claim...
    first_person: list[str] = Field(min_length=1)  # a reporting verb after these is the seller speaking
    question_openers: PatternList = []  # imperative questions without '?': "walk me through"
    question_forms: PatternList = []  # interrogatives that make an unpunctuated (ASR) sentence a question
    fillers: list[str] = []  # hesitation words patterns look past: "would you um like to add"
    proposals: PatternList = []  # statements that still ask: "let's add the seats"
    backchannels: list[str] = Field(min_length=1)  # "mm-hmm", "right": not a real turn
    small_talk: PatternList = []


class MotionCues(_Model):
    upsell: PatternList = Field(min_length=1)
    cross_sell: PatternList = Field(min_length=1)


class TriggerCues(_Model):
    usage_threshold: PatternList = Field(min_length=1)
    exec_sponsor_change: PatternList = Field(min_length=1)
    renewal_window: PatternList = Field(min_length=1)


class Facts(_Model):
    motion: MotionCues
    trigger: TriggerCues


class RubricItem(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    core: bool = False
    weight: float = Field(gt=0)
    grader: Literal["heuristic", "llm", "both"] = "heuristic"
    detector: DetectorConfig
    advice: dict[str, str]
    examples: Examples

    @model_validator(mode="after")
    def _advice_for_every_failure_mode(self) -> "RubricItem":
        missing = [m for m in type(self.detector.params).FAILURE_MODES if not self.advice.get(m, "").strip()]
        if missing:
            raise ValueError(f"advice is missing failure mode(s) {missing} of detector {self.detector.type}")
        return self


class Rubric(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_\-]*$")
    version: str = Field(min_length=1)
    title: str = ""
    description: str = ""
    language: Language
    facts: Facts
    items: list[RubricItem] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_item_ids(self) -> "Rubric":
        ids = [item.id for item in self.items]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate item ids {dupes}")
        return self

    def item(self, item_id: str) -> RubricItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def find(self, detector_type: str) -> RubricItem | None:
        """The first item using a detector type (cross-item signals read their patterns from it)."""
        return next((i for i in self.items if i.detector.type == detector_type), None)


def parse_rubric(data: object, *, source: str) -> Rubric:
    return validate(Rubric, data, source=source)


@lru_cache(maxsize=8)
def _load_cached(path: Path, mtime_ns: int) -> Rubric:
    data = read_yaml(path, "rubric")
    if not isinstance(data, dict):
        raise RubricError("a rubric must be a YAML mapping", source=str(path))
    return parse_rubric(data, source=str(path))


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Load and validate a rubric; None means the bundled expansion-call rubric."""
    resolved = Path(path) if path is not None else data_file("rubrics", BUNDLED_RUBRIC)
    try:
        mtime = resolved.stat().st_mtime_ns
    except OSError as exc:
        raise RubricError(f"cannot read rubric: {exc.strerror}", source=str(resolved)) from None
    return _load_cached(resolved.resolve(), mtime)
