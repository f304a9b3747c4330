"""Token attribute rows of a call, from a per-process cache of space-separated words.

spaCy's tokenizer splits a text on single spaces first and tokenizes each
piece ("chunk": `we'll`, `renewal?`) on its own, so a chunk's tokens and their
lexeme attributes are the same wherever it occurs. Tokenizing 700 turns still
costs a `Doc` per turn, a Cython pass over every character and a `to_array`
per turn; a call reuses most of its words, and calls reuse each other's. Here
each distinct chunk is tokenized once per process and its rows (the `ATTRS`
columns, IDX relative to the chunk) kept in one growing table; a call's table is
gathered from it with numpy.

Only turns spaCy would split exactly like `str.split(" ")` take this path:
non-empty, no other whitespace, no doubled, leading or trailing spaces (what
every reader's `clean_text` produces). Others are tokenized as they are.
SENT_START is left for the caller (`coach.text.callpass`), and so is LEMMA
unless a `derive` step fills it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import numpy
from spacy.attrs import IDX
from spacy.tokenizer import Tokenizer

from coach.text.matching import ATTRS, COLUMN

_OTHER_SPACE = re.compile(r"[^\S ]")  # whitespace that is not a plain space
_MAX_CHUNKS = 100_000  # a long-running process (the API) starts its cache over past this many (~35 MB)


class ChunkCache:
    def __init__(self, tokenizer: Tokenizer, derive: Callable[[numpy.ndarray], None] | None = None):
        """`derive(rows)` fills columns that follow from a token's own attributes (the lemma
        from the lowercase form) in new rows, once per chunk instead of once per call."""
        self.tokenizer = tokenizer
        self.derive = derive
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self._id: dict[str, int] = {}  # chunk -> its number
        # chunk number -> (first row in `_rows`, tokens, characters); both arrays grow by doubling
        self._meta = numpy.zeros((1024, 3), dtype=numpy.int64)
        self._rows = numpy.zeros((4096, len(ATTRS)), dtype=numpy.uint64)
        self._size = 0  # rows in use

    def simple(self, text: str) -> bool:
        """Whether spaCy splits `text` exactly where `str.split(" ")` does."""
        if not text or text[0] == " " or text[-1] == " " or "  " in text:
            return False
        # Every whitespace character but the space is unprintable (as `coach.readers.cues.clean_text`
        # also relies on), so a printable text has no other: one C pass instead of a regex search.
        return text.isprintable() or not _OTHER_SPACE.search(text)

    def table(self, texts: list[str]) -> tuple[numpy.ndarray, list[int]]:
        """(rows of every token of `texts`, tokens per text); every text must be `simple`."""
        with self._lock:  # the API scores calls on several threads; the cache grows in place
            return self._table(texts)

    def _table(self, texts: list[str]) -> tuple[numpy.ndarray, list[int]]:
        if len(self._id) >= _MAX_CHUNKS:
            self._clear()
        chunks = " ".join(texts).split(" ")
        ids = self._id
        numbers = list(map(ids.get, chunks))  # a C loop; None for a chunk not seen before
        if None in numbers:
            self._add(list(dict.fromkeys(c for c, n in zip(chunks, numbers) if n is None)))
            numbers = list(map(ids.__getitem__, chunks))
        meta = self._meta[numbers]
        first, count, length = meta[:, 0], meta[:, 1], meta[:, 2]
        # the chunks of each text: a text with k spaces has k + 1
        per_text = numpy.array([t.count(" ") + 1 for t in texts])
        text_of_chunk = numpy.repeat(numpy.arange(len(texts)), per_text)
        # where each chunk starts inside its text
        starts = numpy.cumsum(length + 1) - (length + 1)
        chunk_start = starts - starts[numpy.cumsum(per_text) - per_text][text_of_chunk]
        # every token's row: chunk c contributes rows first[c] .. first[c] + count[c] - 1
        total = int(count.sum())
        chunk_of_token = numpy.repeat(numpy.arange(len(chunks)), count)
        within = numpy.arange(total) - numpy.repeat(numpy.cumsum(count) - count, count)
        table = self._rows[first[chunk_of_token] + within]
        table[:, COLUMN[IDX]] += chunk_start[chunk_of_token].astype(numpy.uint64)
        sizes = numpy.bincount(text_of_chunk[chunk_of_token], minlength=len(texts)).tolist()
        return table, sizes

    def _add(self, chunks: list[str]) -> None:
        """Tokenize new chunks in one doc (joined by single spaces, so each is split as it
        is alone) and file each chunk's rows, IDX made relative to the chunk."""
        rows = self.tokenizer(" ".join(chunks)).to_array(ATTRS).reshape(-1, len(ATTRS))
        lengths = numpy.array([len(c) for c in chunks], dtype=numpy.int64)
        starts = numpy.cumsum(lengths + 1) - (lengths + 1)
        firsts = numpy.searchsorted(rows[:, COLUMN[IDX]].astype(numpy.int64), starts)
        counts = numpy.diff(numpy.append(firsts, len(rows)))
        rows[:, COLUMN[IDX]] -= numpy.repeat(starts, counts).astype(numpy.uint64)
        if self.derive is not None:
            self.derive(rows)
        base, number = self._size, len(self._id)
        while number + len(chunks) > len(self._meta):
            self._meta = numpy.concatenate([self._meta, numpy.zeros_like(self._meta)])
        while base + len(rows) > len(self._rows):
            self._rows = numpy.concatenate([self._rows, numpy.zeros_like(self._rows)])
        self._meta[number : number + len(chunks)] = numpy.column_stack((base + firsts, counts, lengths))
        self._rows[base : base + len(rows)] = rows
        self._size += len(rows)
        self._id.update(zip(chunks, range(number, number + len(chunks))))
