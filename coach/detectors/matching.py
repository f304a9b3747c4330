"""A fast matcher for the rubric's token patterns.

The patterns are spaCy Matcher patterns (`coach.patterns` compiles them), but a
rubric has about a thousand of them, many with `{0,N}` wildcards; spaCy's
Matcher checks every pattern's first token at every token and spends most of a
60-minute call's budget there. Here each pattern is indexed under its rarest
required word, so a sentence only tries the few patterns whose anchor it
contains, and matches never cross a sentence boundary.

Supported token specs are exactly what `coach.patterns` emits: LOWER / LEMMA
(value or IN list or LOWER REGEX), LIKE_NUM, `{}` (any token), OP "?" and
OP "{0,N}".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy
from spacy.attrs import IDX, IS_ALPHA, IS_SPACE, IS_STOP, LEMMA, LENGTH, LIKE_NUM, LOWER, SENT_START
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.strings import hash_string
from spacy.tokens import Doc

# One to_array call per doc gives everything the matcher and the call metrics need,
# without creating a Token object per token.
ATTRS = [LOWER, LEMMA, LIKE_NUM, SENT_START, IS_ALPHA, IS_STOP, IDX, LENGTH, IS_SPACE]

_LOWER, _LEMMA, _NUM, _ANY, _REGEX, _WILD = range(6)


@dataclass(slots=True)
class DocArrays:
    """Per-token attribute ids of one doc, read once with `Doc.to_array`."""

    lowers: list[int]
    lemmas: list[int]
    nums: list[int]
    bounds: list[tuple[int, int]]  # sentence (start, end) token indices
    chars: list[tuple[int, int]]  # each sentence's (start, end) character offsets, trailing spaces excluded
    alpha: int  # counts for the call metrics and the language check
    stop: int
    words: int

    @classmethod
    def of(cls, doc: Doc) -> "DocArrays":
        return cls.many([doc])[0]

    @classmethod
    def many(cls, docs: list[Doc]) -> list["DocArrays"]:
        """The arrays of a whole call at once: one `tolist` instead of one per turn."""
        if not docs:
            return []
        sizes = [len(doc) for doc in docs]
        table = numpy.concatenate([doc.to_array(ATTRS).reshape(-1, len(ATTRS)) for doc in docs])
        lowers, lemmas, nums, sent_starts, _, _, idx, length, space = table.T.tolist()
        alpha, stop, num = table[:, 4].astype(bool), table[:, 5].astype(bool), table[:, 2].astype(bool)
        cuts = numpy.cumsum([0, *sizes])
        nonempty = [i for i, n in enumerate(sizes) if n]
        per_doc = {i: (0, 0, 0) for i in range(len(docs))}
        if nonempty:
            starts_idx = cuts[:-1][nonempty]
            counts = zip(
                numpy.add.reduceat(alpha, starts_idx).tolist(),
                numpy.add.reduceat(alpha & stop, starts_idx).tolist(),
                numpy.add.reduceat(alpha | num, starts_idx).tolist(),
            )
            per_doc.update(zip(nonempty, counts))
        out = []
        for i, (begin, end) in enumerate(zip(cuts[:-1].tolist(), cuts[1:].tolist())):
            starts = [j - begin for j in range(begin, end) if sent_starts[j] == 1]
            if not starts or starts[0] != 0:
                starts.insert(0, 0)
            size = end - begin
            bounds = [(a, b) for a, b in zip(starts, starts[1:] + [size]) if b > a] if size else []
            chars = []
            for a, b in bounds:
                last = begin + b - 1
                while last > begin + a and space[last]:
                    last -= 1
                chars.append((idx[begin + a], idx[last] + length[last]))
            a, st, w = per_doc[i]
            out.append(cls(lowers[begin:end], lemmas[begin:end], nums[begin:end], bounds, chars, a, st, w))
        return out


@dataclass(frozen=True, slots=True)
class Slot:
    kind: int
    values: frozenset[int] | None = None  # string hashes, compared with token attribute ids
    words: frozenset[str] | None = None
    regex: re.Pattern[str] | None = None
    optional: bool = False
    wild: int = 0


@dataclass(frozen=True, slots=True)
class Compiled:
    key: str
    slots: tuple[Slot, ...]
    # required word slots: a sentence lacking any of them cannot match (checked before matching)
    required_lower: tuple[frozenset[int], ...] = ()
    required_lemma: tuple[frozenset[int], ...] = ()
    simple: bool = False  # fixed length, no optional or wildcard token: matched without backtracking


def _slot(spec: dict[str, Any]) -> Slot:
    op = spec.get("OP", "")
    if op.startswith("{"):
        return Slot(_WILD, wild=int(op[1:-1].split(",")[1]))
    optional = op == "?"
    if spec.get("LIKE_NUM"):
        return Slot(_NUM, optional=optional)
    for attr, kind in (("LOWER", _LOWER), ("LEMMA", _LEMMA)):
        if attr in spec:
            value = spec[attr]
            if isinstance(value, dict) and "REGEX" in value:
                return Slot(_REGEX, regex=re.compile(value["REGEX"]), optional=optional)
            words = value["IN"] if isinstance(value, dict) else [value]
            return Slot(kind, values=frozenset(hash_string(w) for w in words), words=frozenset(words), optional=optional)
    return Slot(_ANY, optional=optional)


# Words too common in sales calls to make good anchors, though spaCy does not list them as stop words.
_COMMON = frozenset(
    "like want let new add get go make know think need say time work team thing way look see use good great "
    "right yeah okay ok so just really month year week day quarter open mid session call one sure".split()
)


def _anchor(slots: tuple[Slot, ...]) -> Slot | None:
    """The required word slot least likely to occur: content words first, then fewest choices."""
    required = [s for s in slots if s.kind in (_LOWER, _LEMMA) and not s.optional]
    if not required:
        return None

    def commonness(slot: Slot) -> tuple[bool, bool, bool, int]:
        words = slot.words or frozenset()
        punctuation = any(not any(ch.isalnum() for ch in w) for w in words)  # ".", "-", "?"
        return (punctuation, any(w in STOP_WORDS for w in words), any(w in _COMMON for w in words), len(words))

    return min(required, key=commonness)


AUDIENCES = ("seller", "customer")


class FastMatcher:
    def __init__(self) -> None:
        # one anchor index per audience: a seller line never tries customer-only patterns
        self._indexes: dict[str | None, tuple[dict[int, list[Compiled]], dict[int, list[Compiled]], list[Compiled]]] = {
            audience: ({}, {}, []) for audience in (None, *AUDIENCES)
        }

    def add(self, key: str, patterns: Iterable[list[dict[str, Any]]], audience: str | None = None) -> None:
        """Add patterns under a key; `audience` "seller"/"customer" limits them to that side's lines."""
        for pattern in patterns:
            slots = tuple(_slot(spec) for spec in pattern)
            compiled = Compiled(
                key,
                slots,
                tuple(s.values for s in slots if s.kind == _LOWER and not s.optional and s.values),
                tuple(s.values for s in slots if s.kind == _LEMMA and not s.optional and s.values),
                simple=all(not s.optional and s.kind != _WILD for s in slots),
            )
            anchor = _anchor(slots)
            for side in (None, *AUDIENCES):
                if audience is not None and side is not None and side != audience:
                    continue
                lower_index, lemma_index, always = self._indexes[side]
                if anchor is None:
                    always.append(compiled)
                    continue
                index = lower_index if anchor.kind == _LOWER else lemma_index
                for word in anchor.values or ():
                    index.setdefault(word, []).append(compiled)

    def __call__(
        self, doc: Doc, arrays: DocArrays | None = None, audience: str | None = None
    ) -> dict[str, list[tuple[int, int]]]:
        arrays = arrays or DocArrays.of(doc)
        lowers, lemmas, nums, bounds = arrays.lowers, arrays.lemmas, arrays.nums, arrays.bounds
        lower_index, lemma_index, always = self._indexes[audience]
        strings = doc.vocab.strings
        found: dict[str, list[tuple[int, int]]] = {}
        for start, end in bounds:
            lower_set = set(lowers[start:end])
            lemma_set = set(lemmas[start:end])
            seen: set[int] = set()
            for word_set, index in ((lower_set, lower_index), (lemma_set, lemma_index)):
                for word in word_set:
                    for compiled in index.get(word, ()):
                        uid = id(compiled)
                        if uid in seen:
                            continue
                        seen.add(uid)
                        if not _present(compiled, lower_set, lemma_set):
                            continue
                        self._run(compiled, start, end, lowers, lemmas, nums, strings, found)
            for compiled in always:
                self._run(compiled, start, end, lowers, lemmas, nums, strings, found)
        for spans in found.values():
            spans.sort()
        return found

    @staticmethod
    def _run(
        compiled: Compiled,
        start: int,
        end: int,
        lowers: list[int],
        lemmas: list[int],
        nums: list[int],
        strings: Any,
        found: dict[str, list[tuple[int, int]]],
    ) -> None:
        slots = compiled.slots
        size = len(slots)
        for i in _starts(slots[0], start, end, lowers, lemmas):
            if compiled.simple:
                if i + size > end or not _fixed(slots, i, lowers, lemmas, nums, strings):
                    continue
                stop = i + size
            else:
                stop = _match(slots, 0, i, end, lowers, lemmas, nums, strings)
            if stop > i:
                spans = found.setdefault(compiled.key, [])
                if (i, stop) not in spans:
                    spans.append((i, stop))


def _present(compiled: Compiled, lower_set: set[int], lemma_set: set[int]) -> bool:
    """Every required word slot has one of its words somewhere in the sentence."""
    for values in compiled.required_lower:
        if values.isdisjoint(lower_set):
            return False
    for values in compiled.required_lemma:
        if values.isdisjoint(lemma_set):
            return False
    return True


def _fixed(slots: tuple[Slot, ...], i: int, lowers: list[int], lemmas: list[int], nums: list[int], strings: Any) -> bool:
    """A fixed-length pattern (no optional or wildcard token) matches at token i."""
    for slot in slots:
        kind = slot.kind
        if kind == _LOWER:
            if lowers[i] not in slot.values:  # type: ignore[operator]
                return False
        elif kind == _LEMMA:
            if lemmas[i] not in slot.values:  # type: ignore[operator]
                return False
        elif not _ok(slot, i, lowers, lemmas, nums, strings):
            return False
        i += 1
    return True


def _starts(first: Slot, start: int, end: int, lowers: list[int], lemmas: list[int]) -> Iterable[int]:
    if first.optional or first.values is None:
        return range(start, end)
    values = first.values
    column = lowers if first.kind == _LOWER else lemmas
    return [i for i in range(start, end) if column[i] in values]


def _ok(slot: Slot, i: int, lowers: list[int], lemmas: list[int], nums: list[int], strings: Any) -> bool:
    kind = slot.kind
    if kind == _LOWER:
        return lowers[i] in slot.values  # type: ignore[operator]
    if kind == _LEMMA:
        return lemmas[i] in slot.values  # type: ignore[operator]
    if kind == _NUM:
        return bool(nums[i])
    if kind == _REGEX:
        return slot.regex.search(strings[lowers[i]]) is not None  # type: ignore[union-attr]
    return True


def _match(
    slots: tuple[Slot, ...], s: int, i: int, end: int, lowers: list[int], lemmas: list[int], nums: list[int], strings: Any
) -> int:
    """End token of the shortest match of slots[s:] starting at token i, or -1."""
    if s == len(slots):
        return i
    slot = slots[s]
    if slot.kind == _WILD:
        for skip in range(min(slot.wild, end - i) + 1):
            stop = _match(slots, s + 1, i + skip, end, lowers, lemmas, nums, strings)
            if stop >= 0:
                return stop
        return -1
    if i < end and _ok(slot, i, lowers, lemmas, nums, strings):
        stop = _match(slots, s + 1, i + 1, end, lowers, lemmas, nums, strings)
        if stop >= 0:
            return stop
    if slot.optional:
        return _match(slots, s + 1, i, end, lowers, lemmas, nums, strings)
    return -1
