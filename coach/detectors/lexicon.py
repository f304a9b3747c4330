"""Every pattern of a rubric compiled into one spaCy Matcher, run once per doc.

Keys name where a pattern came from: `<item id>.<group>` for an item's pattern
groups (`discovery_questions.q2.cost`, `never_say.phrase.send_deck`),
`language.<group>` and `facts.<fact>.<value>` for the rubric-wide ones.
Detectors ask for keys; they never build matchers of their own.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator

from pydantic import BaseModel
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

from coach.detectors.params import BannedPhrase, QuestionSpec
from coach.nlp import get_nlp
from coach.patterns import compile_pattern
from coach.rubric import Rubric

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


# Plain word lists in `language` (compared token by token, not matched as patterns).
_WORD_LISTS = {"negation", "reporting_verbs", "first_person", "backchannels"}


class Lexicon:
    def __init__(self, rubric: Rubric, nlp: Language):
        self.rubric = rubric
        self.nlp = nlp
        self.matcher = Matcher(nlp.vocab)
        self.keys: set[str] = set()
        groups = list(_groups("language", rubric.language)) + list(_groups("facts", rubric.facts))
        for item in rubric.items:
            groups.extend(_groups(item.id, item.detector.params))
        for key, patterns in groups:
            if patterns:
                self.matcher.add(key, [compile_pattern(p) for p in patterns])
                self.keys.add(key)
        language = rubric.language
        self.negation = frozenset(w.lower() for w in language.negation)
        self.reporting_verbs = frozenset(w.lower() for w in language.reporting_verbs)
        self.first_person = frozenset(w.lower() for w in language.first_person)
        self.backchannels = frozenset(" ".join(w.lower().split()) for w in language.backchannels)
        strings = nlp.vocab.strings
        self._key_names = {strings[key]: key for key in self.keys}

    def match(self, doc: Doc) -> Spans:
        found: Spans = defaultdict(list)
        names = self._key_names
        for match_id, start, end in self.matcher(doc):
            found[names[match_id]].append((start, end))
        return found


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
