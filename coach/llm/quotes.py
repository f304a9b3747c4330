"""Quote verification: a model's quote counts only if the transcript says it.

Matching folds case, runs of whitespace and typographic quotes/dashes, and
ignores punctuation at the quote's ends (models like to trim or add a full
stop). Everything else must match character for character; the matched span is
mapped back to the source text so the evidence shown is the transcript's own
wording, not the model's.
"""

from __future__ import annotations

_TRANSLATE = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2026": "..."}
)
_EDGE_PUNCT = " \t\n\"'.,;:!?-()[]…“”‘’"
MIN_QUOTE_CHARS = 8


def _fold_with_map(text: str) -> tuple[str, list[int]]:
    """Folded text plus, for each folded character, its index in `text`."""
    out: list[str] = []
    index: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            pending_space = bool(out)
            continue
        if pending_space:
            out.append(" ")
            index.append(i - 1)
            pending_space = False
        for folded in ch.translate(_TRANSLATE).casefold():
            out.append(folded)
            index.append(i)
    return "".join(out), index


def fold(text: str) -> str:
    return _fold_with_map(text)[0]


def find_quote(quote: str, text: str) -> tuple[int, int] | None:
    """The (start, end) span of `text` that `quote` matches after folding, or None.

    Quotes shorter than MIN_QUOTE_CHARS after trimming never verify: "yes" or
    "ok" occur everywhere and prove nothing.
    """
    needle = fold(quote.strip(_EDGE_PUNCT))
    if len(needle) < MIN_QUOTE_CHARS:
        return None
    haystack, index = _fold_with_map(text)
    at = haystack.find(needle)
    if at < 0:
        return None
    return index[at], index[at + len(needle) - 1] + 1
