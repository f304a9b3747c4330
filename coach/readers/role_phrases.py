"""The role heuristic's phrase table as data: `rubrics/role_heuristic.yaml`.

Vendor-voice and buyer-voice rules, the introductions that carry a name, the
greeting and free-mail lists: which words mean which side is data, validated
here (a bad file fails with one line naming the file and field); how the
evidence adds up stays in `coach.readers.roles`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coach.datafiles import load_data_file
from coach.regex_start import find_all

BUNDLED_PHRASES = "role_heuristic.yaml"


@dataclass(frozen=True)
class PhraseRule:
    """A phrase pattern tried only where one of its anchor words starts.

    Scanning every position of a 60-minute call with a dozen alternations costs
    tens of milliseconds; `str.find` on the anchors and an anchored `match`
    costs well under one.
    """

    anchors: tuple[str, ...]  # lower-case text each match starts with
    pattern: re.Pattern[str]
    weight: float = 0.0
    reason: str = ""

    def count(self, text: str, low: str, cap: int = 1_000_000) -> int:
        hits = 0
        for anchor in self.anchors:
            i = low.find(anchor)
            while i != -1:
                if (i == 0 or not low[i - 1].isalnum()) and self.pattern.match(text, i):
                    hits += 1
                    if hits >= cap:
                        return hits
                i = low.find(anchor, i + 1)
        return hits

    def matches(self, text: str, low: str, starts: dict[str, list[int]] | None = None) -> list[re.Match[str]]:
        """Every match, anchor by anchor in text order. `starts`: anchor -> where it starts a
        word in `low`, shared by the rules read over the same text (several share "our ")."""
        found = []
        for anchor in self.anchors:
            at = starts.get(anchor) if starts is not None else None
            if at is None:
                at = _word_starts(low, anchor)
                if starts is not None:
                    starts[anchor] = at
            for i in at:
                match = self.pattern.match(text, i)
                if match:
                    found.append(match)
        return found


def _word_starts(low: str, anchor: str) -> list[int]:
    """Where `anchor` occurs in `low` with no letter or digit right before it."""
    return [i for i in find_all(low, anchor) if i == 0 or not low[i - 1].isalnum()]


class RuleSet:
    """Counts many rules over one text with C-speed searches.

    The rules are grouped by their anchors' first words, and each occurrence of
    one triggers an anchored `match` of just the rules that can start there.
    First words made of letters are found in one walk over the text's words (a
    dict lookup each); the few others ("i'm", "'s") by `str.find` on " word".
    """

    def __init__(self, rules: Sequence[PhraseRule]):
        self.rules = list(rules)
        self.by_first: dict[str, list[int]] = {}
        for k, rule in enumerate(self.rules):
            for anchor in rule.anchors:
                ks = self.by_first.setdefault(anchor.split()[0], [])
                if k not in ks:
                    ks.append(k)
        # first words searched as whole words (" word "): found by the word walk in `count`
        self.by_word = {first: ks for first, ks in self.by_first.items() if first.isalpha()}
        # rule -> the walked words it starts on, to take a capped rule off them
        self.words_of = [[w for w, ks in self.by_word.items() if k in ks] for k in range(len(self.rules))]

    def count(self, text: str, cap: int) -> list[int]:
        # One whitespace split gives both the words walked below and (space-joined and padded)
        # the lower-case text the rules match in, where " word " finds whole words with str.find.
        words = text.lower().split()
        low = " " + " ".join(words) + " "
        hits = [0] * len(self.rules)
        if cap < 1:
            return hits
        rules = self.rules
        # A rule's count is capped, not ordered: walking words in text order and the other
        # first words one by one gives each rule the same min(cap, matches). A rule leaves
        # `live` once capped, and a word with no rule left leaves it too, so the common words
        # ("we", "your") stop costing pattern matches once their rules have counted all they may.
        live = dict(self.by_word)
        start = 1
        for word in words:
            ks = live.get(word)
            if ks is not None:
                for k in ks:
                    if rules[k].pattern.match(low, start):
                        hits[k] += 1
                        if hits[k] >= cap:
                            self._retire(live, k)
            start += len(word) + 1
        vocab = set(words)
        for first, ks in self.by_first.items():
            if first in self.by_word or first not in vocab:
                continue
            needle = f" {first} " if " " not in first and first.isalpha() else f" {first}"
            i = low.find(needle)
            while i != -1:
                start = i + 1
                capped = True
                for k in ks:
                    if hits[k] < cap and rules[k].pattern.match(low, start):
                        hits[k] += 1
                    capped = capped and hits[k] >= cap
                if capped:  # every rule on this word has counted all it may: the rest of the text changes nothing
                    break
                i = low.find(needle, start)
        return hits

    def _retire(self, live: dict[str, list[int]], k: int) -> None:
        """Drop capped rule `k` from the words it starts on (new lists: a caller may be iterating the old one)."""
        for word in self.words_of[k]:
            ks = live.get(word)
            if ks is not None:
                rest = [j for j in ks if j != k]
                if rest:
                    live[word] = rest
                else:
                    del live[word]


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _checked(pattern: str) -> str:
    try:
        _compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return pattern


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Phrase(_Model):
    """A regular expression (case-insensitive) tried only where one of its anchors starts."""

    anchors: list[str] = Field(min_length=1)  # lower-case text every match begins with
    pattern: str = Field(min_length=1)

    @field_validator("anchors")
    @classmethod
    def _lower_case(cls, value: list[str]) -> list[str]:
        for anchor in value:
            if not anchor or anchor != anchor.lower():
                raise ValueError(f"anchor {anchor!r} must be non-empty lower-case text (it is found in lower-cased text)")
        return value

    _compiles = field_validator("pattern")(classmethod(lambda cls, value: _checked(value)))

    def rule(self, weight: float = 0.0, reason: str = "") -> PhraseRule:
        return PhraseRule(tuple(self.anchors), _compile(self.pattern), weight, reason)


class VoiceRule(Phrase):
    """Seller (weight > 0) or customer (weight < 0) evidence each time a speaker says it."""

    id: str | None = None  # the rule the heuristic also reads on its own (`discovery`)
    weight: float
    reason: str = Field(min_length=1)


class Introductions(_Model):
    """Who introduces whom; each pattern's group 1 (where it has one) is the introduced name."""

    seller_intro: Phrase
    colleague_after: Phrase
    seller_title_after: Phrase
    seller_title_before: Phrase
    customer_title_after: Phrase
    customer_title_before: Phrase

    @model_validator(mode="after")
    def _names_captured(self) -> "Introductions":
        for name in ("seller_intro", "seller_title_before", "customer_title_after"):
            if _compile(getattr(self, name).pattern).groups < 1:
                raise ValueError(f"{name}.pattern must capture the introduced name as group 1")
        return self


class RolePhrases(_Model):
    version: str = Field(min_length=1)
    free_mail_domains: list[str] = Field(min_length=1)
    voice: list[VoiceRule] = Field(min_length=1)
    addressed: Phrase  # a question to "you": whoever speaks next answers the seller
    introductions: Introductions
    greeting: str = Field(min_length=1)
    name_before: str = Field(min_length=1)

    _compiles = field_validator("greeting", "name_before")(classmethod(lambda cls, value: _checked(value)))

    @model_validator(mode="after")
    def _has_discovery(self) -> "RolePhrases":
        if sum(1 for rule in self.voice if rule.id == "discovery") != 1:
            raise ValueError("voice: exactly one rule must have `id: discovery` (who asks the discovery questions)")
        if _compile(self.name_before).groups < 1:
            raise ValueError("name_before must capture the name as group 1")
        return self

    # Compiled once per loaded file (load_data_file caches the model until the file changes).
    @cached_property
    def voice_rules(self) -> list[PhraseRule]:
        return [rule.rule(rule.weight, rule.reason) for rule in self.voice]

    @cached_property
    def voice_set(self) -> RuleSet:
        return RuleSet(self.voice_rules)

    @cached_property
    def discovery(self) -> PhraseRule:
        return next(rule for spec, rule in zip(self.voice, self.voice_rules) if spec.id == "discovery")

    @cached_property
    def addressed_rule(self) -> PhraseRule:
        return self.addressed.rule()

    @cached_property
    def intro_rules(self) -> dict[str, PhraseRule]:
        return {name: getattr(self.introductions, name).rule() for name in Introductions.model_fields}

    @cached_property
    def greeting_regex(self) -> re.Pattern[str]:
        return _compile(self.greeting)

    @cached_property
    def name_before_regex(self) -> re.Pattern[str]:
        return _compile(self.name_before)

    @cached_property
    def free_mail(self) -> frozenset[str]:
        return frozenset(self.free_mail_domains)


def load_role_phrases(path: str | Path | None = None) -> RolePhrases:
    """Load and validate the phrase table; None means the bundled `rubrics/role_heuristic.yaml`."""
    return load_data_file(RolePhrases, path, BUNDLED_PHRASES, "role heuristic file")
