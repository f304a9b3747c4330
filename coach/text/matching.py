"""A fast matcher for the rubric's token patterns.

The patterns are spaCy Matcher patterns (`coach.rubric.patterns` compiles them), but a
rubric has about a thousand of them, many with `{0,N}` wildcards; spaCy's
Matcher checks every pattern's first token at every token and spends most of a
60-minute call's budget there. Here each pattern is indexed under the pairs of
words two of its adjacent slots allow ("i 'll show": ('ll, show)), or when it
has no such slots under its rarest required word, so a sentence only tries the
few patterns whose pair or anchor word it contains (found by intersecting the
sentence's sets with the index's keys), and matches never cross a sentence
boundary. Which key is found first is not part of the result.

Supported token specs are exactly what `coach.rubric.patterns` emits: LOWER / LEMMA
(value or IN list or LOWER REGEX), LIKE_NUM, MONEY (an amount of money, one
slot over all its tokens: `coach.text.money`), `{}` (any token), OP "?"
and OP "{0,N}".
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy
from spacy.attrs import IDX, IS_ALPHA, IS_PUNCT, IS_SPACE, IS_STOP, IS_TITLE, LEMMA, LENGTH, LIKE_NUM, LOWER, ORTH, SENT_START
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.strings import hash_string
from spacy.tokens import Doc

from coach.text.money import money_ends, suffixed_ids, trigger_ids

# One to_array call gives everything the matcher, the line analysis and the call metrics
# need, without creating a Token object per token. ORTH is read only by the whole-call
# pass (`coach.text.callpass`), which applies the sentencizer's rule itself.
ATTRS = [LOWER, LEMMA, LIKE_NUM, SENT_START, IS_ALPHA, IS_STOP, IDX, LENGTH, IS_SPACE, IS_PUNCT, IS_TITLE, ORTH]
COLUMN = {attr: i for i, attr in enumerate(ATTRS)}

_LOWER, _LEMMA, _NUM, _ANY, _REGEX, _WILD, _MONEY = range(7)

# Two adjacent lowercase ids folded into one int (mod 2**64, as numpy's uint64 arithmetic
# does it): the key of the matcher's two-word index. A collision only sends a sentence a
# pattern it then fails to match, never hides one.
_PAIR_MULTIPLIER = numpy.uint64(0x9E3779B97F4A7C15)
_MASK64 = (1 << 64) - 1


def word_ids(words: Iterable[str]) -> frozenset[int]:
    """The string ids of `words`, as `DocArrays.lowers` holds them: what the checks compare
    token ids with, without importing spaCy themselves."""
    return frozenset(hash_string(w) for w in words)


def pair_code(first: int, second: int) -> int:
    return (first * int(_PAIR_MULTIPLIER) + second) & _MASK64


@dataclass(slots=True)
class DocArrays:
    """Per-token attribute ids of one turn's doc, read once with `Doc.to_array`."""

    lowers: list[int]
    lemmas: list[int]
    nums: list[int]
    bounds: list[tuple[int, int]]  # sentence (start, end) token indices
    chars: list[tuple[int, int]]  # each sentence's (start, end) character offsets, trailing spaces excluded
    alpha: int  # counts for the call metrics and the language check
    stop: int
    words: int
    # The call's attribute table (columns as in ATTRS, IDX relative to each turn's text) and
    # where this turn's rows start in it: read by the few checks that need more than ids.
    # (A numpy view per turn would cost more than all those reads together.)
    rows: numpy.ndarray
    base: int
    # pair_code(lowers[i], lowers[i + 1]) at i: the matcher's two-word index keys
    pairs: list[int]
    call: "CallWords"  # shared by every turn of the call
    # per token: the end of the amount of money starting there, or 0 (None: not looked for yet);
    # `money_in` fills it, and makes "5k" number-like in `nums`, before the matcher runs
    money: list[int] | None = None

    @property
    def table(self) -> numpy.ndarray:
        """This turn's rows of the call's attribute table."""
        return self.rows[self.base : self.base + len(self.lowers)]

    def char_span(self, start: int, end: int) -> tuple[int, int]:
        """Character offsets in the turn's text of tokens [start, end)."""
        idx, length = COLUMN[IDX], COLUMN[LENGTH]
        last = self.rows[self.base + end - 1]
        return int(self.rows[self.base + start, idx]), int(last[idx] + last[length])

    def flag(self, attr: int, i: int) -> bool:
        return bool(self.rows[self.base + i, COLUMN[attr]])

    def is_word(self, i: int) -> bool:
        """Token i is neither punctuation nor whitespace."""
        return not self.flag(IS_PUNCT, i) and not self.flag(IS_SPACE, i)

    def looks_like_name(self, i: int) -> bool:
        """Token i is a capitalised alphabetic non-stop word, as a name is."""
        return self.flag(IS_TITLE, i) and self.flag(IS_ALPHA, i) and not self.flag(IS_STOP, i)

    @classmethod
    def of(cls, doc: Doc) -> "DocArrays":
        return cls.many([doc])[0]

    @classmethod
    def many(cls, docs: list[Doc]) -> list["DocArrays"]:
        """The arrays of a whole call at once: one `tolist` instead of one per turn."""
        if not docs:
            return []
        table = numpy.concatenate([doc.to_array(ATTRS).reshape(-1, len(ATTRS)) for doc in docs])
        return cls.from_table(table, [len(doc) for doc in docs])

    @classmethod
    def from_table(cls, table: numpy.ndarray, sizes: list[int]) -> list["DocArrays"]:
        """Split a call's attribute table (the turns' rows one after another, `sizes` rows each,
        IDX relative to each turn) into per-turn arrays, sentences included."""
        lowers, lemmas, nums = table[:, :3].T.tolist()
        lower_column = table[:, 0]
        pairs = (lower_column[:-1] * _PAIR_MULTIPLIER + lower_column[1:]).tolist() + [0]
        call = CallWords(set(lowers))
        alpha, stop, num = table[:, 4].astype(bool), table[:, 5].astype(bool), table[:, 2].astype(bool)
        cuts = numpy.cumsum([0, *sizes])
        nonempty = [i for i, n in enumerate(sizes) if n]
        per_doc = {i: (0, 0, 0) for i in range(len(sizes))}
        if nonempty:
            starts_idx = cuts[:-1][nonempty]
            counts = zip(
                numpy.add.reduceat(alpha, starts_idx).tolist(),
                numpy.add.reduceat(alpha & stop, starts_idx).tolist(),
                numpy.add.reduceat(alpha | num, starts_idx).tolist(),
            )
            per_doc.update(zip(nonempty, counts))
        # Sentences of the whole call at once: a doc's first token always starts one, and
        # trailing whitespace tokens are left out of a sentence's characters (kept at its first).
        n_tokens = len(lowers)
        begins = cuts[:-1]
        starts_all = numpy.union1d(numpy.flatnonzero(table[:, 3] == 1), begins[begins < n_tokens])
        sentences: Iterable[tuple[int, int, int, int, int]] = ()
        if n_tokens:
            ends_all = numpy.append(starts_all[1:], n_tokens)
            solid = numpy.where(table[:, 8].astype(bool), -1, numpy.arange(n_tokens))
            last = numpy.maximum(numpy.maximum.accumulate(solid)[ends_all - 1], starts_all)
            sentences = zip(
                (numpy.searchsorted(cuts, starts_all, side="right") - 1).tolist(),  # owning doc
                starts_all.tolist(),
                ends_all.tolist(),
                table[starts_all, 6].tolist(),
                (table[last, 6] + table[last, 7]).tolist(),
            )
        doc_bounds: list[list[tuple[int, int]]] = [[] for _ in sizes]
        doc_chars: list[list[tuple[int, int]]] = [[] for _ in sizes]
        begin_of = begins.tolist()
        for owner, a, b, ca, cb in sentences:
            base = begin_of[owner]
            doc_bounds[owner].append((a - base, b - base))
            doc_chars[owner].append((ca, cb))
        out = []
        for i, (begin, end) in enumerate(zip(begin_of, cuts[1:].tolist())):
            a, st, w = per_doc[i]
            out.append(
                cls(
                    lowers[begin:end], lemmas[begin:end], nums[begin:end], doc_bounds[i], doc_chars[i], a, st, w,
                    table,
                    begin,
                    pairs[begin:end],
                    call,
                )
            )
        return out


@dataclass(slots=True)
class CallWords:
    """The lowercase ids of a whole call. A pattern with a regex slot (`<time>`: no word to
    anchor on, or only "the") can match only where a word of the call fits the regex: those
    words are found once per call, and most sentences have none, so skip such patterns with
    one set test."""

    words: set[int]
    fitting: dict[str, frozenset[int]] = field(default_factory=dict)  # by regex source (see _regex_ok)
    # the call's words that may start or end an amount ("$", "dollars", "5k"), once per call
    money_words: tuple[frozenset[int], frozenset[int]] | None = None

    def money_triggers(self, strings: Any) -> tuple[frozenset[int], frozenset[int]]:
        """(words of the call that may belong to an amount, the call's suffixed numbers)."""
        if self.money_words is None:
            suffixed = suffixed_ids(self.words, strings)
            self.money_words = (frozenset(self.words & trigger_ids(suffixed)), suffixed)
        return self.money_words

    def fit(self, regex: re.Pattern[str], strings: Any) -> frozenset[int]:
        found = self.fitting.get(regex.pattern)
        if found is None:
            # Per process, per regex: the word ids already searched, and those that fit. A call
            # searches only the words no earlier call had; the rest is set arithmetic.
            searched = _regex_searched.setdefault(regex.pattern, set())
            fitting = _regex_fitting.setdefault(regex.pattern, set())
            if len(searched) >= _REGEX_MEMO_MAX:
                searched.clear()
                fitting.clear()
            new = self.words - searched
            if new:
                fitting.update(w for w in new if regex.search(strings[w]) is not None)
                searched |= new
            found = self.fitting[regex.pattern] = frozenset(self.words & fitting)
        return found


_regex_searched: dict[str, set[int]] = {}
_regex_fitting: dict[str, set[int]] = {}


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
    # Where the anchor sits in a fixed-length pattern (-1 otherwise): its occurrences give the
    # only possible starts, instead of trying every token that fits the first slot.
    anchor_offset: int = -1
    anchor_lower: bool = True
    anchor_values: frozenset[int] = frozenset()
    # A variable-length pattern whose anchor is preceded by slots of bounded width: a match
    # starts between this many tokens (min, max) before an occurrence of the anchor, so only
    # those starts are tried instead of every token that fits the first slot.
    before: tuple[int, int] | None = None
    # the required word slots other than the anchor (found through the index, so present)
    other_lower: tuple[frozenset[int], ...] = ()
    other_lemma: tuple[frozenset[int], ...] = ()
    shared: bool = False  # indexed under several words or pairs, so a sentence can reach it twice
    # the least common required word slot after the anchor, tested inline before the full
    # presence check: most candidates a sentence reaches fail right there
    gate: frozenset[int] | None = None
    gate_lower: bool = True
    regex: re.Pattern[str] | None = None  # a required regex slot: some token must match it
    money: bool = False  # has a `<money>` slot: only sentences holding an amount can match


def _slot(spec: dict[str, Any]) -> Slot:
    op = spec.get("OP", "")
    if op.startswith("{"):
        return Slot(_WILD, wild=int(op[1:-1].split(",")[1]))
    optional = op == "?"
    if spec.get("LIKE_NUM"):
        return Slot(_NUM, optional=optional)
    if spec.get("MONEY"):
        return Slot(_MONEY, optional=optional)
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


# Among stop words, the ones in nearly every sentence of a call: worst anchors of all.
_EVERYWHERE = frozenset("i you we it the a an to and of is 's 'll 're 'm n't that this in on for be do have".split())


def _commonness(slot: Slot) -> tuple[bool, bool, bool, bool, int]:
    """How likely a word slot is to occur (lower is rarer): content words first, then fewest choices."""
    words = slot.words or frozenset()
    punctuation = any(not any(ch.isalnum() for ch in w) for w in words)  # ".", "-", "?"
    everywhere = any(w in _EVERYWHERE for w in words)
    return (punctuation, everywhere, any(w in STOP_WORDS for w in words), any(w in _COMMON for w in words), len(words))


def _anchor(slots: tuple[Slot, ...]) -> Slot | None:
    """The required word slot least likely to occur."""
    required = [s for s in slots if s.kind in (_LOWER, _LEMMA) and not s.optional]
    return min(required, key=_commonness) if required else None


AUDIENCES = ("seller", "customer")
# A pattern is indexed under the pairs of words its two adjacent slots allow; past this
# many pairs (long IN lists on both sides) it is indexed under one word instead.
_MAX_PAIRS = 400


@dataclass(slots=True)
class _Index:
    """The patterns one audience's lines try, by what a sentence must contain to reach them."""

    by_pair: dict[int, list[Compiled]] = field(default_factory=dict)  # pair_code of two adjacent lowercase words
    by_lower: dict[int, list[Compiled]] = field(default_factory=dict)
    by_lemma: dict[int, list[Compiled]] = field(default_factory=dict)
    always: list[Compiled] = field(default_factory=list)  # no required word at all
    # the keys of the three dicts, intersected with a sentence's own sets in C
    pair_keys: frozenset[int] = frozenset()
    lower_keys: frozenset[int] = frozenset()
    lemma_keys: frozenset[int] = frozenset()

    def freeze(self) -> None:
        self.pair_keys = frozenset(self.by_pair)
        self.lower_keys = frozenset(self.by_lower)
        self.lemma_keys = frozenset(self.by_lemma)


class FastMatcher:
    def __init__(self, lemma_table: dict[int, int] | None = None, fillers: frozenset[int] = frozenset()) -> None:
        """`lemma_table` is the pipeline's lemmatizer table (lowercase id -> lemma id, see
        `coach.text.nlp`); with it, lemma slots can take part in the two-word index. `fillers`
        (lowercase ids: "um", "uh") are looked past: a doc holding one is matched without them."""
        self._fillers = fillers
        # one index per audience: a seller line never tries customer-only patterns
        self._indexes: dict[str | None, _Index] = {audience: _Index() for audience in (None, *AUDIENCES)}
        self._lemma_table = lemma_table
        self._lowers_of_lemma: dict[int, list[int]] | None = None
        self._frozen = False

    def _lowers(self, slot: Slot) -> frozenset[int] | None:
        """The lowercase ids a word slot accepts (a lemma slot: every form the table maps onto
        one of its lemmas, and the lemmas the table does not list), or None if unknown."""
        if slot.kind == _LOWER:
            return slot.values
        table = self._lemma_table
        if not table or slot.values is None:
            return None
        if self._lowers_of_lemma is None:
            inverse: dict[int, list[int]] = {}
            for lower, lemma in table.items():
                inverse.setdefault(lemma, []).append(lower)
            self._lowers_of_lemma = inverse
        forms = {lower for lemma in slot.values for lower in self._lowers_of_lemma.get(lemma, ())}
        return frozenset(forms | {lemma for lemma in slot.values if lemma not in table})

    def _pair(self, slots: tuple[Slot, ...]) -> tuple[int, frozenset[int], frozenset[int]] | None:
        """The adjacent required word slots whose pairs of words are least likely to occur."""
        best = None
        for i in range(len(slots) - 1):
            a, b = slots[i], slots[i + 1]
            if any(s.kind not in (_LOWER, _LEMMA) or s.optional for s in (a, b)):
                continue
            first, second = self._lowers(a), self._lowers(b)
            if first is None or second is None or len(first) * len(second) > _MAX_PAIRS:
                continue
            rank = sorted((_commonness(a), _commonness(b)), reverse=True)  # the commoner word first
            if best is None or rank < best[0]:
                best = (rank, i, first, second)
        return None if best is None else best[1:]

    def add(self, key: str, patterns: Iterable[list[dict[str, Any]]], audience: str | None = None) -> None:
        """Add patterns under a key; `audience` "seller"/"customer" limits them to that side's lines."""
        self._frozen = False
        for pattern in patterns:
            slots = tuple(_slot(spec) for spec in pattern)
            simple = all(not s.optional and s.kind not in (_WILD, _MONEY) for s in slots)
            pair = self._pair(slots)
            # Reached through a pair of words, the pair's first slot anchors the scan and both
            # are known present; through one word, that word's slot.
            anchor = slots[pair[0]] if pair else _anchor(slots)
            at = next(i for i, s in enumerate(slots) if s is anchor) if anchor is not None else -1
            known = {at, at + 1} if pair else {at}

            def required(kind: int) -> tuple[frozenset[int], ...]:
                return tuple(
                    s.values for i, s in enumerate(slots) if s.kind == kind and not s.optional and s.values and i not in known
                )

            gate = _anchor(tuple(s for i, s in enumerate(slots) if i not in known))
            keys = [pair_code(a, b) for a in pair[1] for b in pair[2]] if pair else list(anchor.values or ()) if anchor else []
            compiled = Compiled(
                key,
                slots,
                tuple(s.values for s in slots if s.kind == _LOWER and not s.optional and s.values),
                tuple(s.values for s in slots if s.kind == _LEMMA and not s.optional and s.values),
                simple=simple,
                anchor_offset=at if simple else -1,
                before=_width(slots[:at]) if anchor is not None and not simple else None,
                anchor_lower=anchor is None or anchor.kind == _LOWER,
                anchor_values=(anchor.values or frozenset()) if anchor is not None else frozenset(),
                other_lower=required(_LOWER),
                other_lemma=required(_LEMMA),
                shared=len(keys) > 1,
                gate=gate.values if gate is not None else None,
                gate_lower=gate is None or gate.kind == _LOWER,
                regex=next((s.regex for s in slots if s.kind == _REGEX and not s.optional), None),
                money=any(s.kind == _MONEY for s in slots),
            )
            for side in (None, *AUDIENCES):
                if audience is not None and side is not None and side != audience:
                    continue
                index = self._indexes[side]
                if anchor is None:
                    index.always.append(compiled)
                    continue
                by = index.by_pair if pair else index.by_lower if anchor.kind == _LOWER else index.by_lemma
                for word in keys:
                    by.setdefault(word, []).append(compiled)

    def __call__(self, arrays: DocArrays, strings: Any, audience: str | None = None) -> dict[str, list[tuple[int, int]]]:
        """Spans per key in one doc; `strings` is the pipeline's StringStore (for regex slots).
        Which key is found first is not part of the result: callers order what they report."""
        if not self._frozen:
            for index in self._indexes.values():
                index.freeze()
            self._frozen = True
        money = arrays.money if arrays.money is not None else money_in(arrays, strings)
        lowers, lemmas, nums, bounds, pairs = arrays.lowers, arrays.lemmas, arrays.nums, arrays.bounds, arrays.pairs
        keep = None
        if self._fillers and not self._fillers.isdisjoint(lowers):
            keep, (lowers, lemmas, nums, bounds, pairs, money) = _without(self._fillers, lowers, lemmas, nums, bounds, money)
        call = arrays.call
        index = self._indexes[audience]
        by_pair, by_lower, by_lemma, always = index.by_pair, index.by_lower, index.by_lemma, index.always
        found: dict[str, list[tuple[int, int]]] = {}
        for start, end in bounds:
            lower_set = set(lowers[start:end])
            # Few candidates test lemmas, and most words are their own lemma: the sentence's
            # lemmas stay a list (tested in C like a set) rather than a second set per sentence.
            sentence_lemmas = lemmas[start:end]
            seen: set[int] = set()
            # Only the index entries the sentence has, found by set intersection (in C).
            for words, by in (
                (index.pair_keys.intersection(pairs[start : end - 1]), by_pair),
                (index.lower_keys.intersection(lower_set), by_lower),
                (index.lemma_keys.intersection(sentence_lemmas), by_lemma),
            ):
                for word in words:
                    for compiled in by[word]:
                        if compiled.shared:
                            uid = id(compiled)
                            if uid in seen:
                                continue
                            seen.add(uid)
                        gate = compiled.gate
                        if gate is not None:
                            if gate.isdisjoint(lower_set if compiled.gate_lower else sentence_lemmas):
                                continue
                            if not _present(compiled, lower_set, sentence_lemmas):
                                continue
                        if compiled.regex is not None and lower_set.isdisjoint(call.fit(compiled.regex, strings)):
                            continue
                        if compiled.money and not any(money[start:end]):
                            continue
                        offset = compiled.anchor_offset
                        if offset < 0:
                            self._run(compiled, start, end, lowers, lemmas, nums, strings, found, money)
                            continue
                        # fixed length: the anchor's occurrences fix where a match can start
                        slots = compiled.slots
                        size = len(slots)
                        column = lowers if compiled.anchor_lower else lemmas
                        values = compiled.anchor_values
                        for at in range(start + offset, end - size + offset + 1):
                            if column[at] in values:
                                i = at - offset
                                if _fixed(slots, i, lowers, lemmas, nums, strings):
                                    spans = found.setdefault(compiled.key, [])
                                    if (i, i + size) not in spans:
                                        spans.append((i, i + size))
            for compiled in always:
                if compiled.regex is not None and lower_set.isdisjoint(call.fit(compiled.regex, strings)):
                    continue
                if compiled.money and not any(money[start:end]):
                    continue
                self._run(compiled, start, end, lowers, lemmas, nums, strings, found, money)
        if keep is not None:  # back to the doc's own token positions
            found = {key: [(keep[a], keep[b - 1] + 1) for a, b in spans] for key, spans in found.items()}
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
        money: list[int],
    ) -> None:
        slots = compiled.slots
        size = len(slots)
        before = compiled.before
        if before is not None:
            column = lowers if compiled.anchor_lower else lemmas
            values, (fewest, most) = compiled.anchor_values, before
            starts: Iterable[int] = sorted({
                i
                for p in range(start + fewest, end) if column[p] in values
                for i in range(max(start, p - most), p - fewest + 1)
            })  # fmt: skip
        else:
            starts = _starts(slots[0], start, end, lowers, lemmas, money)
        for i in starts:
            if compiled.simple:
                if i + size > end or not _fixed(slots, i, lowers, lemmas, nums, strings):
                    continue
                stop = i + size
            else:
                stop = _match(slots, 0, i, end, lowers, lemmas, nums, strings, money)
            if stop > i:
                spans = found.setdefault(compiled.key, [])
                if (i, stop) not in spans:
                    spans.append((i, stop))


def _present(compiled: Compiled, lower_set: set[int], sentence_lemmas: list[int]) -> bool:
    """Every required word slot besides the anchor has one of its words somewhere in the sentence."""
    for values in compiled.other_lower:
        if values.isdisjoint(lower_set):
            return False
    for values in compiled.other_lemma:
        if values.isdisjoint(sentence_lemmas):
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


def _width(slots: tuple[Slot, ...]) -> tuple[int, int] | None:
    """(fewest, most) tokens `slots` can cover; None when unbounded (an amount of money)."""
    fewest = most = 0
    for slot in slots:
        if slot.kind == _MONEY:
            return None
        if slot.kind == _WILD:
            most += slot.wild
        elif slot.optional:
            most += 1
        else:
            fewest += 1
            most += 1
    return fewest, most


def _starts(first: Slot, start: int, end: int, lowers: list[int], lemmas: list[int], money: list[int]) -> Iterable[int]:
    if first.kind == _MONEY and not first.optional:
        return [i for i in range(start, end) if money[i]]
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
        return _regex_ok(slot.regex, lowers[i], strings)  # type: ignore[arg-type]
    return True


# (regex, lowercase form id) -> whether it matches: a pattern with no anchor word (`<time>`)
# is tried at every token of a call, so each distinct word is looked up and searched once.
_regex_memo: dict[tuple[str, int], bool] = {}
_REGEX_MEMO_MAX = 200_000


def _regex_ok(regex: re.Pattern[str], lower: int, strings: Any) -> bool:
    # Keyed by the regex's source, not the Pattern: hashing a Pattern hashes its whole compiled
    # program every time (siphash over kilobytes), while a str caches its hash. Patterns are
    # compiled without flags (`coach.text.matching._slot`), so the source decides the match.
    key = (regex.pattern, lower)
    hit = _regex_memo.get(key)
    if hit is None:
        if len(_regex_memo) >= _REGEX_MEMO_MAX:
            _regex_memo.clear()
        hit = _regex_memo[key] = regex.search(strings[lower]) is not None
    return hit


def _match(
    slots: tuple[Slot, ...],
    s: int,
    i: int,
    end: int,
    lowers: list[int],
    lemmas: list[int],
    nums: list[int],
    strings: Any,
    money: list[int],
) -> int:
    """End token of the shortest match of slots[s:] starting at token i, or -1.

    The search is depth-first, fewest skipped tokens first; the two shortcuts below only
    avoid calls that would fail at once, so the match found is the same."""
    n = len(slots)
    # Required one-token slots match in one way only: walk them without recursing.
    while s < n:
        slot = slots[s]
        kind = slot.kind
        if slot.optional or kind == _WILD or kind == _MONEY:
            break
        if i >= end:
            return -1
        if kind == _LOWER:
            if lowers[i] not in slot.values:  # type: ignore[operator]
                return -1
        elif kind == _LEMMA:
            if lemmas[i] not in slot.values:  # type: ignore[operator]
                return -1
        elif not _ok(slot, i, lowers, lemmas, nums, strings):
            return -1
        s += 1
        i += 1
    if s == n:
        return i
    slot = slots[s]
    if slot.kind == _WILD:
        limit = min(slot.wild, end - i)
        after = slots[s + 1] if s + 1 < n else None
        if after is not None and not after.optional and after.kind in (_LOWER, _LEMMA):
            # Only the skips that land on a word the next slot takes can go on.
            column = lowers if after.kind == _LOWER else lemmas
            values = after.values
            for j in range(i, min(i + limit + 1, end)):
                if column[j] in values:  # type: ignore[operator]
                    stop = _match(slots, s + 2, j + 1, end, lowers, lemmas, nums, strings, money)
                    if stop >= 0:
                        return stop
            return -1
        for skip in range(limit + 1):
            stop = _match(slots, s + 1, i + skip, end, lowers, lemmas, nums, strings, money)
            if stop >= 0:
                return stop
        return -1
    if slot.kind == _MONEY:
        if i < end and i < money[i] <= end:
            stop = _match(slots, s + 1, money[i], end, lowers, lemmas, nums, strings, money)
            if stop >= 0:
                return stop
    elif i < end and _ok(slot, i, lowers, lemmas, nums, strings):
        stop = _match(slots, s + 1, i + 1, end, lowers, lemmas, nums, strings, money)
        if stop >= 0:
            return stop
    if slot.optional:
        return _match(slots, s + 1, i, end, lowers, lemmas, nums, strings, money)
    return -1


_NO_MONEY: list[int] = []


def _without(
    fillers: frozenset[int], lowers: list[int], lemmas: list[int], nums: list[int], bounds: list[tuple[int, int]], money: list[int]
) -> tuple[list[int], tuple[list[int], list[int], list[int], list[tuple[int, int]], list[int], list[int]]]:
    """A doc's columns with its filler tokens left out, and where each kept token was
    (`keep[k]` is the doc position of compact token k)."""
    keep = [i for i, word in enumerate(lowers) if word not in fillers]
    c_lowers = [lowers[i] for i in keep]
    c_pairs = [pair_code(a, b) for a, b in zip(c_lowers, c_lowers[1:])] + [0]
    c_bounds = [(bisect_left(keep, s), bisect_left(keep, e)) for s, e in bounds]
    c_money = [bisect_left(keep, money[i]) if money[i] else 0 for i in keep]
    return keep, (
        c_lowers,
        [lemmas[i] for i in keep],
        [nums[i] for i in keep],
        [(s, e) for s, e in c_bounds if e > s],
        c_pairs,
        c_money,
    )


def money_in(arrays: DocArrays, strings: Any) -> list[int]:
    """The doc's amounts of money (`DocArrays.money`), found once; most turns hold none,
    and a call without a currency word or a "5k" costs one set test per turn."""
    if arrays.money is not None:
        return arrays.money
    triggers, suffixed = arrays.call.money_triggers(strings)
    if not triggers or triggers.isdisjoint(arrays.lowers):
        arrays.money = [0] * len(arrays.lowers) if arrays.lowers else _NO_MONEY
    else:
        arrays.money = money_ends(arrays.lowers, arrays.nums, suffixed)
    return arrays.money
