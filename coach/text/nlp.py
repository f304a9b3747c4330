"""The spaCy pipeline, built once per process.

Default: `spacy.blank("en")` + sentencizer + a lookup lemmatizer fed by
`spacy-lookups-data`. spaCy's own lookup lemmatizer keys on the token's exact
text ("Sent" finds nothing), so ours looks up the lowercase form; rubric
patterns match on LOWER and on those lemmas. Nothing is downloaded.

A trained pipeline (e.g. `en_core_web_sm`) is used only when the user sets
`COACH_SPACY_MODEL`; it is much slower and its lemmas differ, so it is opt-in.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Iterator

import spacy
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.language import Language
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc

from coach.errors import ConfigError

# The pipeline's type as the layers above name it: only coach.text imports spaCy.
Pipeline = Language


def is_stop_word(word: str) -> bool:
    """An English function word ("the", "which") as spaCy lists them; `word` in lower case."""
    return word in STOP_WORDS

MODEL_ENV = "COACH_SPACY_MODEL"
LEMMATIZER = "coach_lower_lemmatizer"

# Typographic quotes become ASCII one-for-one, so character offsets into the
# normalised text are offsets into the original (quotes stay verbatim).
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2032": "'"})

_lock = threading.Lock()
_pipelines: dict[str, Language] = {}
_lemma_ids: dict[int, int] = {}


_HAS_QUOTE = re.compile("[\u2019\u2018\u201c\u201d\u2032]")


def normalise(text: str) -> str:
    # Most turns are plain ASCII (`isascii` reads a flag spaCy's str already holds) or have
    # no typographic quote; a search is several times cheaper than translate.
    if text.isascii():
        return text
    return text.translate(_QUOTES) if _HAS_QUOTE.search(text) else text


def _load_lemma_ids(nlp: Language) -> None:
    """lowercase-form hash -> lemma hash, interned once so the component does no string work."""
    if _lemma_ids:
        return
    from spacy.lookups import load_lookups  # imports spacy-lookups-data's tables lazily

    table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
    strings = nlp.vocab.strings
    # Table keys are already the hashes spaCy gives `token.lower`.
    mapping: dict[int, int] = {}
    for key, lemma in table.items():
        mapping[key] = strings.add(lemma)
    _lemma_ids.update(mapping)


@Language.component(LEMMATIZER)
def lower_lemmatizer(doc: Doc) -> Doc:
    lookup = _lemma_ids.get
    for token in doc:
        lower = token.lower
        token.lemma = lookup(lower, lower)
    return doc


def lemma_ids() -> dict[int, int]:
    """The lemmatizer's table (lowercase-form hash -> lemma hash), for callers that apply it
    to whole arrays (`coach.text.callpass`); loaded with the pipeline."""
    return _lemma_ids


def lemma_of(word: str) -> str:
    """The lookup lemma of one lowercase word (the word itself when the table has none)."""
    nlp = get_nlp()
    lower = word.lower()
    lemma_id = _lemma_ids.get(nlp.vocab.strings.add(lower))
    return nlp.vocab.strings[lemma_id] if lemma_id is not None else lower


# spaCy's tokenizer peels prefixes, suffixes and infixes off a space-free run one at a time,
# re-scanning the rest each time (`_attach_tokens`): quadratic in the run's length ("a:" * 20000
# took 4.5 s, twice that 13.5 s). No word is this long, so longer runs are tokenized in pieces.
_LONGEST_RUN = 200
_LONG_RUN = re.compile(r"[^ ]{%d,}" % (_LONGEST_RUN + 1))


class BoundedTokenizer:
    """spaCy's tokenizer, linear in the text: a space-free run longer than `_LONGEST_RUN`
    characters is tokenized in pieces of that length. The doc's text (and so every token's
    offset) is the text given; only such runs get token boundaries at the piece edges."""

    def __init__(self, inner: Tokenizer):
        self.inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def __call__(self, text: str) -> Doc:
        if len(text) <= _LONGEST_RUN or not _LONG_RUN.search(text):
            return self.inner(text)
        docs = []
        done = 0
        for run in _LONG_RUN.finditer(text):
            if run.start() > done:
                docs.append(self.inner(text[done : run.start()]))  # ends with the space before the run
            cuts = list(range(run.start(), run.end(), _LONGEST_RUN))
            for at in cuts[:-1]:
                docs.append(self.inner(text[at : at + _LONGEST_RUN]))
            done = run.end() + (text[run.end() : run.end() + 1] == " ")  # the last piece takes the space after
            docs.append(self.inner(text[cuts[-1] : done]))
        if done < len(text):
            docs.append(self.inner(text[done:]))
        return Doc.from_docs(docs, ensure_whitespace=False)


def _build(model: str | None) -> Language:
    if model:
        try:
            nlp = spacy.load(model, exclude=["ner", "textcat"])
        except OSError:
            raise ConfigError(
                f"{MODEL_ENV}={model!r}: that spaCy pipeline is not installed; unset it to use the built-in one"
            ) from None
        if not nlp.has_pipe("parser") and not nlp.has_pipe("senter") and not nlp.has_pipe("sentencizer"):
            nlp.add_pipe("sentencizer")
    else:
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
    nlp.tokenizer = BoundedTokenizer(nlp.tokenizer)
    if nlp.has_pipe("lemmatizer"):
        nlp.remove_pipe("lemmatizer")
    _load_lemma_ids(nlp)
    nlp.add_pipe(LEMMATIZER, last=True)
    return nlp


def get_nlp(model: str | None = None) -> Language:
    """The process-wide pipeline (the built-in one unless a model is configured)."""
    name = model if model is not None else os.environ.get(MODEL_ENV, "").strip()
    nlp = _pipelines.get(name)
    if nlp is None:
        with _lock:
            nlp = _pipelines.get(name)
            if nlp is None:
                nlp = _pipelines[name] = _build(name or None)
    return nlp


def pipe(texts: Iterable[str], nlp: Language | None = None) -> Iterator[Doc]:
    nlp = nlp or get_nlp()
    return nlp.pipe(normalise(text) for text in texts)
