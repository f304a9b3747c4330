"""Amounts of money, whatever their spelling, as one span the rubric's `<money>` slot matches.

`$5000`, `$5,000`, `$5k`, `5K.`, `5000 dollars`, `five thousand a month`,
`€4.5k`, `USD 5000`, `5 grand` are the same price: a rule written once with
`<money>` must see them alike (a price rule that knew only `$ <num>` fired on
almost every call writing `$5000` and almost none writing `$5k`). spaCy
tokenizes them differently (`$` `5000` / `$` `5k` / `5000` `dollars` /
`five` `thousand`), so amounts are recognised here over token ids:

- a currency sign or code followed by a number (`$ 5k`, `usd 5000`, `€ 4.5k`),
  with its magnitude word (`$ 1.2 m`, `$ 68 thousand`);
- a number followed by a currency word (`5000 dollars`, `2,500 bucks`, `5 grand`);
- a number with a magnitude (`five thousand`, `5k`, `68 thousand`) followed by a
  rate (`a month`, `per seat`, `/year`) or a price word (`on top`, `extra`,
  `upfront`): "five thousand a month" is a price, "five thousand users" is not.

What counts as a currency, a magnitude or a rate is the vocabulary of amounts
in English, not knowledge of any rubric item, so it lives here beside the
recogniser. A number written with a magnitude suffix (`5k`, `4.5k`) is also
made number-like for `<num>`, as `5000` is.
"""

from __future__ import annotations

import re
from typing import Any

from spacy.strings import hash_string

_SIGNS = ("$", "€", "£", "¥", "₹", "us$", "usd", "eur", "gbp", "cad", "aud", "chf", "inr", "sgd", "nzd")
_UNITS = ("dollars", "dollar", "bucks", "euros", "euro", "pounds", "quid", "grand", "usd", "eur", "gbp", "cad", "aud")
_MAGNITUDES = ("k", "thousand", "grand", "m", "million", "mil", "bn", "billion")  # not "mm": it is mostly "mm-hmm"
_RATE_WORDS = ("a", "an", "per", "/", "every", "each")
# Words after a bare scaled number that make it a price too: "about 12 thousand on top of the renewal".
_PRICE_AFTER = ("on", "extra", "upfront", "all-in", "annually", "monthly", "yearly", "total", "flat")
_RATE_UNITS = (
    "month", "year", "seat", "user", "licence", "license", "head", "week", "quarter", "annum", "mo", "yr",
    "agent", "year.", "month.", "day", "location", "site", "endpoint", "host", "node", "unit",
)  # fmt: skip
# A number with a magnitude suffix: "5k", "4.5k", "1.2m", "5K." (spaCy keeps a trailing period on "5K.").
_SUFFIXED = re.compile(r"^\d[\d,]*(\.\d+)?(k|m|mm|bn)\.?$")

_SIGN_IDS = frozenset(hash_string(w) for w in _SIGNS)
_UNIT_IDS = frozenset(hash_string(w) for w in _UNITS)
_MAGNITUDE_IDS = frozenset(hash_string(w) for w in _MAGNITUDES)
_RATE_WORD_IDS = frozenset(hash_string(w) for w in _RATE_WORDS)
_RATE_UNIT_IDS = frozenset(hash_string(w) for w in (*_RATE_UNITS, *(u + "s" for u in _RATE_UNITS)))
_PRICE_AFTER_IDS = frozenset(hash_string(w) for w in _PRICE_AFTER)
_ON, _TOP = hash_string("on"), hash_string("top")
_TRIGGER_IDS = _SIGN_IDS | _UNIT_IDS | _MAGNITUDE_IDS

# lowercase id -> whether it is a suffixed number, per process (a call reuses most words)
_suffixed_memo: dict[int, bool] = {}
_MEMO_MAX = 200_000


def suffixed_ids(words: set[int], strings: Any) -> frozenset[int]:
    """The ids among `words` written as a number with a magnitude suffix ("5k")."""
    memo = _suffixed_memo
    if len(memo) >= _MEMO_MAX:
        memo.clear()
    found = []
    for word in words:
        hit = memo.get(word)
        if hit is None:
            try:
                text = strings[word]
            except KeyError:
                text = ""
            hit = memo[word] = bool(text) and text[0].isdigit() and _SUFFIXED.match(text) is not None
        if hit:
            found.append(word)
    return frozenset(found)


def trigger_ids(suffixed: frozenset[int]) -> frozenset[int]:
    """Words whose presence in a turn means it may hold an amount."""
    return _TRIGGER_IDS | suffixed


def money_ends(lowers: list[int], nums: list[int], suffixed: frozenset[int]) -> list[int]:
    """For each token, the end (exclusive) of the amount starting there, or 0.

    Makes suffixed numbers number-like in `nums` (in place) on the way.
    """
    n = len(lowers)
    for i, word in enumerate(lowers):
        if word in suffixed:
            nums[i] = 1
    ends = [0] * n

    def number_run(i: int) -> int:
        while i < n and nums[i]:
            i += 1
        return i

    i = 0
    while i < n:
        word = lowers[i]
        if word in _SIGN_IDS and i + 1 < n and nums[i + 1]:
            j = number_run(i + 1)
            if j < n and lowers[j] in _MAGNITUDE_IDS:
                j += 1
            if j < n and lowers[j] in _UNIT_IDS and lowers[j] not in _MAGNITUDE_IDS:
                j += 1  # "$5000 USD"
            ends[i] = j
            i = j
            continue
        if nums[i]:
            j = number_run(i)
            scaled = any(lowers[k] in _MAGNITUDE_IDS or lowers[k] in suffixed for k in range(i, j))
            if j < n and lowers[j] in _UNIT_IDS:
                ends[i] = j + 1
                i = j + 1
                continue
            if j < n and lowers[j] in _MAGNITUDE_IDS:  # "5 k"
                scaled = True
                j += 1
                if j < n and lowers[j] in _UNIT_IDS:
                    ends[i] = j + 1
                    i = j + 1
                    continue
            if scaled and j < n and _priced_after(lowers, j, n):
                ends[i] = j
            i = max(j, i + 1)
            continue
        i += 1
    return ends


def _priced_after(lowers: list[int], j: int, n: int) -> bool:
    word = lowers[j]
    if word in _RATE_WORD_IDS:
        return j + 1 < n and lowers[j + 1] in _RATE_UNIT_IDS
    if word in _PRICE_AFTER_IDS:
        return word != _ON or (j + 1 < n and lowers[j + 1] == _TOP)
    return False
