"""Conversation cues as data: what marks a call's type and a speaker's side.

`rubrics/call_types.yaml` holds them (regular expressions over lower-cased
text, each with a weight and a reason). The call-type classifier
(`coach.calltype`) and the role heuristic (`coach.roles`) read them; nothing
about which words mean what lives in Python. A bad file fails with one line
naming the file and the field path.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from coach.datafiles import load_data_file

BUNDLED_CUES = "call_types.yaml"
# A cue counts at most this many times per speaker (or per call): repetition is not more evidence.
DEFAULT_CAP = 3
_SENTENCE_END = re.compile(r"[.!?\n]")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cue(_Model):
    """One regular expression (matched on lower-cased text) and what a hit means."""

    pattern: str = Field(min_length=1)
    weight: float = 1.0
    reason: str = Field(min_length=1)
    # Only sentences of this kind count: "it's $5000 a month" states a price, "is it $5000?" asks about one.
    mood: Literal["any", "statement", "question"] = "any"
    cap: int = Field(default=DEFAULT_CAP, ge=1)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    def hits(self, low: str) -> list[re.Match[str]]:
        """Matches in `low` (lower-cased text) whose sentence has the cue's mood, at most `cap`."""
        found = []
        for match in self.regex.finditer(low):
            if self.mood != "any":
                end = _SENTENCE_END.search(low, match.end())
                question = end is not None and end[0] == "?"
                if question != (self.mood == "question"):
                    continue
            found.append(match)
            if len(found) >= self.cap:
                break
        return found


class CallTypeCues(_Model):
    """Whole-call cues, counted over every turn whoever says them."""

    existing_customer: list[Cue] = Field(min_length=1)  # an account that already buys: expansion
    prospect: list[Cue] = Field(min_length=1)  # somebody not yet a customer: new logo
    commercial: list[Cue] = Field(min_length=1)  # anything being sold at all: price, plans, demos, contracts
    not_sales: list[Cue] = Field(min_length=1)  # a meeting, committee, interview or support desk


class Thresholds(_Model):
    """How much evidence each decision needs; tuned on the halves described in README."""

    # Sales talk (commercial + existing-customer + prospect weight) per 1,000 words below which a
    # call without a seller/buyer pair has no sales dynamic.
    min_commercial_per_kword: float = Field(gt=0)
    long_call_words: int = Field(gt=0)  # a call this long...
    long_call_min_per_kword: float = Field(gt=0)  # ...needs this much sales talk per 1,000 words whoever talks
    # Meeting cue weight that outweighs the sales talk by this factor (and is at least `min_meeting`) marks not_sales.
    meeting_over_commercial: float = Field(gt=0)
    min_meeting: float = Field(gt=0)
    # Existing-customer vs prospect weight needed to call the type (below: unknown).
    min_type_weight: float = Field(gt=0)
    type_margin: float = Field(ge=0)


class CallTypeData(_Model):
    version: str = Field(min_length=1)
    call_types: CallTypeCues
    thresholds: Thresholds
    # Speaker-side cues for the role heuristic: positive weight = vendor side, negative = buyer side.
    sides: list[Cue] = Field(min_length=1)


def load_cues(path: str | Path | None = None) -> CallTypeData:
    """Load and validate the cue file; None means the bundled `rubrics/call_types.yaml`."""
    return load_data_file(CallTypeData, path, BUNDLED_CUES, "call-type cue file")
