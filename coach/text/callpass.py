"""A whole call through the built-in pipeline, its per-token loops vectorised.

`nlp.pipe` over a call's ~700 turns runs the sentencizer's and the
lemmatizer's Python loops over `Token` objects, turn by turn, and each doc is
then read back with `to_array`. The built-in pipeline (tokenizer, sentencizer,
lookup lemmatizer: see `coach.text.nlp`) needs nothing of a doc but its tokens, so
here each turn is only tokenized, and the sentencizer's rule and the lemma
table are applied with numpy to the whole call's attribute table at once. The
result is the table `nlp.pipe` + `to_array` gives, row for row
(tests/test_callpass.py compares them). Any other pipeline goes through
`nlp.pipe` as before.

Turns are tokenized one by one rather than joined into one text: spaCy caches a
word's tokens only until the first special case (a contraction) in a doc, so a
joined call would miss the cache for almost every word.
"""

from __future__ import annotations

import numpy
from spacy.attrs import IS_PUNCT, LEMMA, LOWER, ORTH, SENT_START
from spacy.language import Language

from coach.text.matching import ATTRS, COLUMN, DocArrays
from coach.text.nlp import LEMMATIZER, lemma_ids
from coach.text.tokencache import ChunkCache

_BUILT_IN = ["sentencizer", LEMMATIZER]


def call_arrays(nlp: Language, texts: list[str]) -> list[DocArrays]:
    """Per-turn arrays of `texts` (already normalised), as `DocArrays.many(list(nlp.pipe(texts)))` gives."""
    if nlp.pipe_names != _BUILT_IN:
        return DocArrays.many(list(nlp.pipe(texts)))
    if not texts:
        return []
    cache = _chunk_cache(nlp)
    if all(cache.simple(text) for text in texts):
        table, sizes = cache.table(texts)  # lemmas filled when each chunk was cached
    else:
        docs = [nlp.tokenizer(text) for text in texts]
        table = numpy.concatenate([doc.to_array(ATTRS).reshape(-1, len(ATTRS)) for doc in docs])
        sizes = [len(doc) for doc in docs]
        _fill_lemmas(table)
    table[:, COLUMN[SENT_START]] = _sent_starts(nlp, table, numpy.cumsum([0, *sizes[:-1]]))
    return DocArrays.from_table(table, sizes)


def _fill_lemmas(table: numpy.ndarray) -> None:
    """The lookup lemmatizer's rule (`coach.text.nlp.lower_lemmatizer`) for every row at once."""
    lookup = lemma_ids()
    lowers = table[:, COLUMN[LOWER]]
    unique, inverse = numpy.unique(lowers, return_inverse=True)
    table[:, COLUMN[LEMMA]] = numpy.array([lookup.get(w, w) for w in unique.tolist()], dtype=lowers.dtype)[inverse]


def _sent_starts(nlp: Language, table: numpy.ndarray, cuts: numpy.ndarray) -> numpy.ndarray:
    """spaCy's Sentencizer per turn, vectorised: a turn's first token starts a sentence, and so
    does the first token that is neither punctuation nor a sentence-final character after such
    a character (since the last start). SENT_START: 1 starts a sentence, -1 does not."""
    n = len(table)
    punct_ids = _punct_char_ids(nlp)
    final = numpy.isin(table[:, COLUMN[ORTH]], punct_ids)
    plain = ~final & (table[:, COLUMN[IS_PUNCT]] == 0)
    starts = numpy.zeros(n, dtype=bool)
    turn_first = cuts[cuts < n]
    starts[turn_first] = True
    # finals[j] = number of sentence-final tokens before token j
    finals = numpy.concatenate(([0], numpy.cumsum(final)))
    turn_of = numpy.repeat(numpy.arange(len(cuts)), numpy.diff(cuts, append=n))  # each token's turn
    candidates = numpy.flatnonzero(plain)
    if len(candidates):
        # The window a final character must fall in: after the previous plain token of the
        # same turn, or from the turn's first token when there is none.
        previous = numpy.concatenate(([-1], candidates[:-1]))
        first = cuts[turn_of[candidates]]
        after = numpy.where(previous >= first, previous + 1, first)
        seen = finals[candidates] - finals[after] > 0
        starts[candidates[seen]] = True
    return numpy.where(starts, 1, -1).astype(table.dtype)


_punct_cache: dict[int, numpy.ndarray] = {}
_chunk_caches: dict[int, tuple[Language, ChunkCache]] = {}


def _chunk_cache(nlp: Language) -> ChunkCache:
    hit = _chunk_caches.get(id(nlp))
    if hit is None or hit[0] is not nlp:
        hit = _chunk_caches[id(nlp)] = (nlp, ChunkCache(nlp.tokenizer, _fill_lemmas))  # holding nlp keeps its id unique
    return hit[1]


def _punct_char_ids(nlp: Language) -> numpy.ndarray:
    key = id(nlp)
    ids = _punct_cache.get(key)
    if ids is None:
        strings = nlp.vocab.strings
        chars = nlp.get_pipe("sentencizer").punct_chars
        ids = _punct_cache[key] = numpy.array(sorted(strings.add(c) for c in chars), dtype=numpy.uint64)
    return ids
