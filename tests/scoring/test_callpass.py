"""The scorer's one-pass token arrays equal what the pipeline itself gives, row for row."""

from __future__ import annotations

from pathlib import Path

import numpy
import pytest
from spacy.attrs import SENT_START

from coach.callfiles import calls_in
from coach.readers import read_path
from coach.text.callpass import _chunk_cache, call_arrays
from coach.text.matching import COLUMN, DocArrays
from coach.text.nlp import get_nlp, normalise

ROOT = Path(__file__).resolve().parents[2]

# Sentence ends the sentencizer's rule has to get right: several marks in a row, closing
# quotes and brackets after a period, a turn that is only punctuation, a turn starting
# with punctuation, whitespace tokens, numbers with decimal points, ellipses, empty turns.
EDGE_TEXTS = [
    "Walk me through it. Who owns it? Thanks!",
    "Really?! Yes... okay. (Fine.) \"Sure.\" Next",
    "...",
    "? what",
    "",
    "Price is 4.5 percent.  Two  spaces.\tTab. Done",
    "U.S. teams, e.g. Acme, use it. Mr. Lee agrees.",
    "No end mark",
    "Mr . Lee at 10 a.m . ok, e.g . this :) and : ) or U.S . teams",
    "line\nbreak and  double and trailing ",
    "\u3002 \u0964 end\u3002 more",
]

def _assert_same(texts: list[str]) -> None:
    fast = call_arrays(get_nlp(), texts)
    slow = DocArrays.many(list(get_nlp().pipe(texts)))
    assert len(fast) == len(slow) == len(texts)
    for text, a, b in zip(texts, fast, slow):
        assert numpy.array_equal(a.table, b.table), text
        assert (a.lowers, a.lemmas, a.nums, a.bounds, a.chars) == (b.lowers, b.lemmas, b.nums, b.bounds, b.chars), text
        assert (a.alpha, a.stop, a.words) == (b.alpha, b.stop, b.words), text

def test_edge_cases_match_the_pipeline():
    _assert_same([normalise(t) for t in EDGE_TEXTS])
    _assert_same([normalise(t) for t in reversed(EDGE_TEXTS)])  # now from the chunk cache


def test_plain_turns_take_the_chunk_cache_and_others_do_not():
    cache = _chunk_cache(get_nlp())
    assert cache.simple("Mr . Lee, at 10 a.m. ok?")
    assert not any(cache.simple(t) for t in ["", " lead", "trail ", "two  spaces", "line\nbreak", "no\u00a0break"])

def test_each_edge_case_alone_matches_the_pipeline():
    for text in EDGE_TEXTS:
        _assert_same([normalise(text)])

@pytest.mark.parametrize("folder", ["fixtures/labelled", "fixtures/formats", "fixtures/sample"])
def test_fixture_calls_match_the_pipeline(folder):
    checked = 0
    for path in calls_in(ROOT / folder):
        try:
            transcript = read_path(path)
        except Exception:  # noqa: BLE001 - the bad-input fixtures have no turns to compare
            continue
        _assert_same([normalise(t.text) for t in transcript.turns])
        checked += 1
    assert checked

def test_no_turns():
    assert call_arrays(get_nlp(), []) == []


def test_a_full_chunk_cache_starts_over_and_stays_right(monkeypatch):
    from coach.text import tokencache

    monkeypatch.setattr(tokencache, "_MAX_CHUNKS", 5)
    cache = tokencache.ChunkCache(get_nlp().tokenizer)
    texts = ["Walk me through it.", "Who owns the renewal budget?", "Mr . Lee, at 10 a.m. ok?"]
    expected = [a.table for a in DocArrays.many([get_nlp().tokenizer(t) for t in texts])]
    for _ in range(3):  # the second and third calls find the cache over its limit
        table, sizes = cache.table(texts)
        assert sizes == [len(e) for e in expected]
        # every column but SENT_START, which the caller sets (`call_arrays`)
        keep = [i for i in range(table.shape[1]) if i != COLUMN[SENT_START]]
        assert numpy.array_equal(table[:, keep], numpy.concatenate(expected)[:, keep])
        assert len(cache._id) <= 5 + len(" ".join(texts).split(" "))
