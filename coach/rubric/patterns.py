"""A compact, readable notation for spaCy Matcher token patterns.

Rubric authors write phrases, not JSON token dicts. One pattern is a
whitespace-separated sequence of token specs:

- `send|email`   the token's lowercase form is one of these
- `~send|~mail`  the token's lemma (of its lowercase form) is one of these; a
                 `~` on any alternative makes the whole slot a lemma slot
- `(next quarter|later)`  a group of multi-word alternatives (expands into
                 one matcher pattern per alternative); `(...)?` is optional
- `word?`        the token is optional
- `...` / `...6` up to 4 (or 6) arbitrary tokens
- `<num>`        a number-like token ("212", "forty", "2.5", "5k")
- `<money>`      an amount of money however it is spelt ("$5000", "$5k", "5,000
                 dollars", "five thousand a month", "€4.5k", "USD 5000"): one slot
                 that covers all of the amount's tokens (`coach.text.money`)
- `<any>`        exactly one arbitrary token
- `<time>`       a clock time ("10:30", "10am", "2pm")
- `<ordinal>`    a day of the month ("12th", "2nd")
- `add-on`       hyphenated words are split the way spaCy splits them

Contractions are separate tokens, as spaCy splits them: `i 'll`, `do n't`,
`let 's`. Matching is case-insensitive because everything is lowercased.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator

_WILDCARD = re.compile(r"^\.\.\.(\d*)$")


class PatternSyntaxError(ValueError):
    pass


def _token_spec(raw: str) -> dict[str, Any]:
    wildcard = _WILDCARD.match(raw)
    if wildcard:
        limit = int(wildcard[1] or 4)
        if not 1 <= limit <= 12:
            raise PatternSyntaxError(f"wildcard {raw!r} must allow 1 to 12 tokens")
        return {"OP": f"{{0,{limit}}}"}
    optional = len(raw) > 1 and raw.endswith("?")
    body = raw[:-1] if optional else raw
    if body == "<num>":
        spec: dict[str, Any] = {"LIKE_NUM": True}
    elif body == "<any>":
        spec = {}
    elif body == "<money>":
        spec = {"MONEY": True}  # read by coach.text.matching, not by spaCy's Matcher
    elif body == "<time>":
        spec = {"LOWER": {"REGEX": r"^\d{1,2}(:\d{2})?(am|pm|a\.m\.|p\.m\.)$|^\d{1,2}:\d{2}$"}}
    elif body == "<ordinal>":
        spec = {"LOWER": {"REGEX": r"^\d{1,2}(st|nd|rd|th)$"}}
    elif body.startswith("<") and body.endswith(">") and len(body) > 2:
        raise PatternSyntaxError(f"unknown token class {body!r} (known: <num>, <money>, <any>, <time>, <ordinal>)")
    else:
        choices = [w.lower() for w in body.split("|")]
        if not all(c.lstrip("~") for c in choices):
            raise PatternSyntaxError(f"empty alternative in {raw!r}")
        attr = "LEMMA" if any(c.startswith("~") for c in choices) else "LOWER"
        words = list(dict.fromkeys(c.lstrip("~") for c in choices))
        spec = {attr: words[0]} if len(words) == 1 else {attr: {"IN": words}}
    if optional:
        spec["OP"] = "?"
    return spec


_HYPHEN = re.compile(r"(?<=[a-z0-9])-(?=[a-z])")
_PIECE = re.compile(r"\(([^()]*)\)(\??)|(\S+)")


def _expand(text: str) -> list[list[str]]:
    """Split into token specs, expanding `(a b|c)` groups into alternative token sequences."""
    variants: list[list[str]] = [[]]
    for match in _PIECE.finditer(text):
        group, optional, plain = match.groups()
        if plain is not None:
            if "(" in plain or ")" in plain:
                raise PatternSyntaxError(f"unbalanced parenthesis in {text!r}")
            if not _HYPHEN.search(plain):
                variants = [v + [plain] for v in variants]
                continue
            # spaCy splits "add-on" into "add", "-", "on": such a slot becomes a group
            # of the one-token words (kept as one slot) and each hyphenated word
            optional = "?" if plain.endswith("?") and len(plain) > 1 else ""
            body = plain[:-1] if optional else plain
            words = body.split("|")
            single = "|".join(w for w in words if not _HYPHEN.search(w))
            options = [_HYPHEN.sub(" - ", w).split() for w in words if _HYPHEN.search(w)]
            if single:
                options.append([single])
        else:
            options = [_HYPHEN.sub(" - ", o).split() for o in group.split("|")]
        if any(not o for o in options):
            raise PatternSyntaxError(f"empty alternative in group ({group}) of {text!r}")
        if optional:
            options.append([])
        variants = [v + o for v in variants for o in options]
        if len(variants) > 64:
            raise PatternSyntaxError(f"pattern {text!r} expands into more than 64 variants")
    return variants


def compile_patterns(text: str) -> list[list[dict[str, Any]]]:
    """Turn one notation string into spaCy Matcher patterns (one per group alternative)."""
    if not text.split():
        raise PatternSyntaxError("pattern is empty")
    compiled = []
    for parts in _expand(text):
        if not parts:
            raise PatternSyntaxError(f"pattern {text!r} can match nothing")
        specs = [_token_spec(part) for part in parts]
        if all(spec.get("OP") for spec in specs):
            raise PatternSyntaxError(f"pattern {text!r} has only optional tokens and would match anything")
        if specs[0].get("OP", "").startswith("{") or specs[-1].get("OP", "").startswith("{"):
            raise PatternSyntaxError(f"pattern {text!r} cannot start or end with a wildcard")
        compiled.append(specs)
    return compiled


def _check(text: str) -> str:
    try:
        compile_patterns(text)
    except PatternSyntaxError as exc:
        raise ValueError(str(exc)) from None
    return text


# A rubric field holding one pattern; pydantic reports a bad one with its field path.
Pattern = Annotated[str, AfterValidator(_check)]
