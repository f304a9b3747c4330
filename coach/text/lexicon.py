"""Every pattern of a rubric compiled into one matcher, run once per doc.

Keys name where a pattern came from: `<item id>.<group>` for an item's pattern
groups (`discovery_questions.q2.cost`, `never_say.phrase.send_deck`),
`language.<group>` and `facts.<fact>.<value>` for the rubric-wide ones.
Detectors ask for keys; they never build matchers of their own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from pydantic import BaseModel
from spacy.language import Language
from spacy.strings import hash_string

from coach.rubric.params import BannedPhrase, QuestionSpec
from coach.rubric.patterns import compile_patterns
from coach.rubric.schema import Rubric, RubricItem
from coach.text.matching import DocArrays, FastMatcher
from coach.text.nlp import get_nlp, lemma_ids, lemma_of

Spans = dict[str, list[tuple[int, int]]]  # key -> token (start, end) spans in a doc


def _groups(prefix: str, model: BaseModel) -> Iterator[tuple[str, list[str]]]:
    for name in type(model).model_fields:
        value = getattr(model, name)
        key = f"{prefix}.{name}"
        if isinstance(value, QuestionSpec):
            for group, patterns in value.cues.items():
                yield f"{key}.{group}", patterns
            yield f"{key}.exclude", value.exclude
        elif isinstance(value, BaseModel):
            yield from _groups(key, value)
        elif isinstance(value, list) and value and all(isinstance(v, BannedPhrase) for v in value):
            for phrase in value:
                yield f"{prefix}.phrase.{phrase.id}", phrase.patterns
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value) and name not in _WORD_LISTS:
            yield key, value


QUESTION_FORMS = "language.question_forms"

# Plain word lists in `language` (compared token by token, not matched as patterns).
_WORD_LISTS = {"negation", "reporting_verbs", "first_person", "backchannels", "fillers"}


def _with_lemmas(pattern: list[dict]) -> list[dict]:
    """Lemma slots also accept the lemma of each listed word, so "~lose|bottlenecks" works as written."""
    out = []
    for spec in pattern:
        value = spec.get("LEMMA")
        if value is not None:
            words = value["IN"] if isinstance(value, dict) else [value]
            lemmas = list(dict.fromkeys([*words, *(lemma_of(w) for w in words)]))
            spec = {**spec, "LEMMA": {"IN": lemmas}}
        out.append(spec)
    return out


# Whose lines each call fact is read from (default: the seller's): a trigger is a fact whoever
# states it; how the work is done today is what the customer says.
_FACT_AUDIENCE: dict[str, str | None] = {"trigger": None, "workflow": "customer"}

_SIDE_AUDIENCE = {"seller": "seller", "customer": "customer", "any": None}


def _item_audience(item: RubricItem, group: str) -> str | None:
    """Whose lines a group is matched on: a general check's phrase spec says it; a bespoke
    item's `side` / `sides` fields say it."""
    assert item.detector is not None
    spec: object = item.detector.params
    for part in group.split(".")[:-1]:  # a nested phrase spec ("first.patterns") declares its own side
        spec = getattr(spec, part, None)
    side = getattr(spec, "side", None)
    if side is not None:
        return _SIDE_AUDIENCE[side]
    return _SIDE_AUDIENCE[item.sides.get(group.split(".", 1)[0], item.side)]


class Lexicon:
    def __init__(self, rubric: Rubric, nlp: Language):
        self.rubric = rubric
        self.nlp = nlp
        fillers = frozenset(hash_string(w.lower()) for w in rubric.language.fillers)
        self.matcher = FastMatcher(lemma_ids(), fillers)
        self.keys: set[str] = set()
        groups = [(key, p, None) for key, p in _groups("language", rubric.language)]
        groups += [(key, p, _FACT_AUDIENCE.get(key.split(".")[1], "seller")) for key, p in _groups("facts", rubric.facts)]
        for item in rubric.items:
            if item.detector is None:
                continue  # a question for the LLM: no patterns
            for key, patterns in _groups(item.id, item.detector.params):
                groups.append((key, patterns, _item_audience(item, key.split(".", 1)[1])))
        # Interrogative forms matter only in sentences without final punctuation (speech-to-text),
        # and their words ("do you", "is it") are everywhere: a matcher of their own, run only
        # on turns that have such a sentence, keeps them off every punctuated call's bill.
        self.question_forms = FastMatcher(lemma_ids(), fillers)
        for key, patterns, audience in groups:
            if patterns:
                compiled = [_with_lemmas(spec) for p in patterns for spec in compile_patterns(p)]
                (self.question_forms if key == QUESTION_FORMS else self.matcher).add(key, compiled, audience)
                self.keys.add(key)
        language = rubric.language
        self.negation = frozenset(w.lower() for w in language.negation)
        self.reporting_verbs = frozenset(w.lower() for w in language.reporting_verbs)
        self.first_person = frozenset(w.lower() for w in language.first_person)
        self.backchannels = frozenset(" ".join(w.lower().split()) for w in language.backchannels)

        # the same word lists as string hashes, compared with token attribute ids
        self.negation_ids = frozenset(hash_string(w) for w in self.negation)
        self.reporting_ids = frozenset(hash_string(w) for w in self.reporting_verbs)
        self.first_person_ids = frozenset(hash_string(w) for w in self.first_person)

    def match(self, arrays: DocArrays, audience: str | None = None) -> Spans:
        return self.matcher(arrays, self.nlp.vocab.strings, audience)

    def match_question_forms(self, arrays: DocArrays) -> Spans:
        return self.question_forms(arrays, self.nlp.vocab.strings)


_lock = threading.Lock()
_cache: dict[int, tuple[Rubric, Language, Lexicon]] = {}


def get_lexicon(rubric: Rubric, nlp: Language | None = None) -> Lexicon:
    """One compiled lexicon per (rubric object, pipeline), kept for the process."""
    nlp = nlp or get_nlp()
    key = id(rubric) ^ id(nlp)
    hit = _cache.get(key)
    if hit is not None and hit[0] is rubric and hit[1] is nlp:
        return hit[2]
    with _lock:
        lexicon = Lexicon(rubric, nlp)
        if len(_cache) > 16:
            _cache.clear()
        _cache[key] = (rubric, nlp, lexicon)  # holding the rubric keeps its id from being reused
    return lexicon
