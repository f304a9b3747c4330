"""Conversation cues as data: what marks a call's type and a speaker's side.

`rubrics/call_types.yaml` holds them (regular expressions over lower-cased
text, each with a weight and a reason). The call-type classifier
(`coach.calltype`) and the role heuristic (`coach.readers.roles`) read them; nothing
about which words mean what lives in Python. A bad file fails with one line
naming the file and the field path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from coach.datafiles import load_data_file
from coach.regex_start import find_all, literal_starts, matches_at, parse
from coach.scorecard import CallType

BUNDLED_CUES = "call_types.yaml"
# A cue counts at most this many times per speaker (or per call): repetition is not more evidence.
DEFAULT_CAP = 3
_SENTENCE_END = re.compile(r"[.!?\n]")


# Anchors are looked up by this many first characters: shared by many cues, yet rare enough in text.
_HEAD = 4


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

    @cached_property
    def anchors(self) -> tuple[str, ...] | None:
        """Literal text every match starts with (None: some branch starts with a class, scan it all)."""
        found = literal_starts(parse(self.pattern))
        return tuple(sorted(found)) if found else None

    @cached_property
    def heads(self) -> tuple[str, ...] | None:
        """The anchors cut to their first characters ("what's" -> "what"): found once per text for all cues."""
        if self.anchors is None:
            return None
        return tuple(sorted({anchor[:_HEAD] for anchor in self.anchors}))

    def _matches(self, low: str, found_at: dict[str, list[int]]) -> Iterator[re.Match[str]]:
        # A regex search tries every position of an hour's text (~55,000 characters) with every
        # branch; finding the literal starts with str.find (each word once per text, shared by
        # every cue through `found_at`) and matching only there is many times cheaper.
        heads = self.heads
        if heads is None:
            yield from self.regex.finditer(low)
            return
        starts: set[int] = set()
        for head in heads:
            positions = found_at.get(head)
            if positions is None:
                positions = found_at[head] = find_all(low, head)
            starts.update(positions)
        yield from matches_at(self.regex, low, starts)

    def in_mood(self, low: str, match: re.Match[str]) -> bool:
        if self.mood == "any":
            return True
        end = _SENTENCE_END.search(low, match.end())
        return (end is not None and end[0] == "?") == (self.mood == "question")

    def hits(self, low: str, found_at: dict[str, list[int]] | None = None) -> list[re.Match[str]]:
        """Matches in `low` (lower-cased text) whose sentence has the cue's mood, at most `cap`.

        `found_at`: word -> positions in `low`, shared by the cues read over the same text.
        """
        found = []
        for match in self._matches(low, {} if found_at is None else found_at):
            if not self.in_mood(low, match):
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
    # The call-type cues read this many characters of the call (runs from each quarter of a long
    # one), the side cues each speaker's first `side_scan_chars`: reading an hour's text costs time.
    scan_chars: int = Field(gt=0)
    side_scan_chars: int = Field(gt=0)


class CallTypeData(_Model):
    version: str = Field(min_length=1)
    call_types: CallTypeCues
    thresholds: Thresholds
    # Speaker-side cues for the role heuristic: positive weight = vendor side, negative = buyer side.
    sides: list[Cue] = Field(min_length=1)
    # The call-type gate: which bundled rubric (a file in rubrics/) scores each kind of call
    # when the user names none (`coach.rubric.choice`).
    rubrics: dict[CallType, str] = {}

    @field_validator("rubrics")
    @classmethod
    def _every_type_a_file_name(cls, value: dict[CallType, str]) -> dict[CallType, str]:
        missing = [t.value for t in CallType if t not in value]
        if value and missing:
            raise ValueError(f"names no rubric for call type(s) {missing}: every kind of call needs one")
        for kind, name in value.items():
            if "/" in name or "\\" in name or not name.endswith((".yaml", ".yml")):
                raise ValueError(f"{kind.value}: {name!r} is not a rubric file name in rubrics/ (like expansion_call.yaml)")
        return value


def load_cues(path: str | Path | None = None) -> CallTypeData:
    """Load and validate the cue file; None means the bundled `rubrics/call_types.yaml`."""
    return load_data_file(CallTypeData, path, BUNDLED_CUES, "call-type cue file")
