"""A compact, readable notation for spaCy Matcher token patterns.

Rubric authors write phrases, not JSON token dicts. One pattern is a
whitespace-separated sequence of token specs:

- `send|email`   the token's lowercase form is one of these
- `~send`        the token's lemma (of its lowercase form) is one of these
- `word?`        the token is optional
- `...` / `...6` up to 4 (or 6) arbitrary tokens
- `<num>`        a number-like token ("212", "forty", "2.5")
- `<any>`        exactly one arbitrary token
- `<time>`       a clock time ("10:30", "10am", "2pm")

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
    elif body == "<time>":
        spec = {"LOWER": {"REGEX": r"^\d{1,2}(:\d{2})?(am|pm|a\.m\.|p\.m\.)$|^\d{1,2}:\d{2}$"}}
    elif body.startswith("<") and body.endswith(">") and len(body) > 2:
        raise PatternSyntaxError(f"unknown token class {body!r} (known: <num>, <any>, <time>)")
    else:
        attr = "LEMMA" if body.startswith("~") and len(body) > 1 else "LOWER"
        words = body[1:] if attr == "LEMMA" else body
        choices = [w.lower() for w in words.split("|")]
        if not all(choices):
            raise PatternSyntaxError(f"empty alternative in {raw!r}")
        spec = {attr: choices[0]} if len(choices) == 1 else {attr: {"IN": choices}}
    if optional:
        spec["OP"] = "?"
    return spec


def compile_pattern(text: str) -> list[dict[str, Any]]:
    """Turn one notation string into a spaCy Matcher pattern (a list of token dicts)."""
    parts = text.split()
    if not parts:
        raise PatternSyntaxError("pattern is empty")
    specs = [_token_spec(part) for part in parts]
    if all(spec.get("OP") for spec in specs):
        raise PatternSyntaxError(f"pattern {text!r} has only optional tokens and would match anything")
    if specs[0].get("OP", "").startswith("{") or specs[-1].get("OP", "").startswith("{"):
        raise PatternSyntaxError(f"pattern {text!r} cannot start or end with a wildcard")
    return specs


def _check(text: str) -> str:
    try:
        compile_pattern(text)
    except PatternSyntaxError as exc:
        raise ValueError(str(exc)) from None
    return text


# A rubric field holding one pattern; pydantic reports a bad one with its field path.
Pattern = Annotated[str, AfterValidator(_check)]
