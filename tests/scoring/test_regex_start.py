"""`coach.regex_start.literal_starts`: the searches of the call, side and party cues jump to
these starts, so a match that begins anywhere else would be lost."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coach.callcues import load_cues
from coach.parties import _SELLER_SLOT, _expand, load_party_cues
from coach.regex_start import find_all, literal_starts, matches_at, parse

ROOT = Path(__file__).resolve().parents[2]


def starts(pattern: str) -> set[str] | None:
    return literal_starts(parse(pattern).data)


@pytest.mark.parametrize(
    "pattern, expected",
    [
        (r"\bour (?:current|existing) plan", {"our current", "our existing"}),
        (r"how much|what's the price", {"how much", "what's the price"}),
        (r"[$€]\d", {c + d for c in "$€" for d in "0123456789"}),
        (r"[$€]\d+", {"$", "€"}),  # a repeat ends the prefix
        (r"(?i:our) plan", None),  # "OUR plan" matches too: a flagged group gives no literal start
        (r"renew|.+ing", None),  # one branch may start anywhere
        (r"\w+ from", None),
        (r"(?:ab|cd)(?:e|f)", {"ab", "cd"}),  # the prefix stops after the first group
    ],
)
def test_literal_starts(pattern, expected):
    assert starts(pattern) == expected


def _texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for folder in ("labelled", "heldout", "blind")
            for p in sorted((ROOT / "fixtures" / folder).glob("*.txt"))]  # fmt: skip


def test_every_match_of_a_bundled_cue_begins_with_one_of_its_starts():
    cues = load_cues()
    patterns = [c.pattern for family in ("existing_customer", "prospect", "commercial", "not_sales")
                for c in getattr(cues.call_types, family)] + [c.pattern for c in cues.sides]  # fmt: skip
    party = load_party_cues()
    for seller in ("Tallyhub", "LedgerLine", "O'Brien & Co"):
        patterns += [_expand(c.pattern, party.name, seller) for c in [*party.products, *party.introductions]]
    patterns += [_expand(c.pattern, party.name, None) for c in party.products if _SELLER_SLOT not in c.pattern]
    texts = _texts()
    assert texts and patterns
    checked = 0
    for pattern in patterns:
        anchors = starts(pattern)
        if anchors is None:
            continue
        regex = re.compile(pattern)
        for text in texts:
            for low in (text, text.lower()):
                every = [m.span() for m in regex.finditer(low)]
                for start, _ in every:
                    assert any(low.startswith(a, start) for a in anchors), (pattern, low[start : start + 40])
                    checked += 1
                # and trying the pattern only at its literal starts finds exactly what finditer finds
                offsets = [i for anchor in anchors for i in find_all(low, anchor)]
                assert [m.span() for m in matches_at(regex, low, offsets)] == every, pattern
    assert checked > 100  # the fixtures do exercise the cues


def test_find_all_finds_overlapping_occurrences():
    assert find_all("aaaa", "aa") == [0, 1, 2]
    assert find_all("our plan, our seats", "our ") == [0, 10]
    assert find_all("nothing here", "our") == []
