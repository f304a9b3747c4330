"""Is the LLM's advice worth showing instead of the rubric's?

Small models write advice that reads like coaching and says nothing: "no, no
further questions asked about the next item", a template with "[workflow]" left
in, or the item's own definition read back. The rubric's advice is better than
any of that, so the LLM's is shown only when it passes every check:

- it is prose (`clean`): enough distinct words, mostly letters;
- no placeholders: nothing like `[workflow]`, `<name>`, `{company}`, `XX`, `TBD`, `...`;
- it proposes a line the rep could say: a quoted line of three words or more, or a question;
- it names something said in the call: a content word of the call that neither
  the item's text nor the rubric's advice for it contains (a name, a product, a figure);
- it is not a restatement of the item: most of its content words are not the item's own;
- it invents nothing: every figure and every name it uses (a capitalised word inside a
  sentence) was said in the call. Small models copy the rubric's example ("your team crossed
  50 active seats") or address someone who is not on the call ("Sam"), and that advice reads
  well and is false.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from coach.text.nlp import is_stop_word

MIN_WORDS = 5
MIN_LINE_WORDS = 3
RESTATEMENT_SHARE = 0.6  # above this share of the item's own content words, it says nothing new

_PLACEHOLDER = re.compile(r"\[[^\]]{1,40}\]|<[^>]{1,40}>|\{[^}]{1,40}\}|\bX{2,}\b|\bTBD\b|\.\.\.|…|\bN/A\b", re.IGNORECASE)
_QUOTED = re.compile(r"[\"“'‘]([^\"”'’]{3,})[\"”'’]")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+|\d[\d,.%$]*")
_FIGURE = re.compile(r"\d[\d,.]*")
_NAME = re.compile(r"\b[A-Z][a-z][A-Za-z'’-]*")
# Where a new sentence (or a quoted line) starts, a capital letter is grammar, not a name.
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|[\"“‘(]\s*)$")


def clean(text: str) -> str:
    """The advice with whitespace folded, or "" when it is not prose (a yes, one word repeated, punctuation)."""
    advice = " ".join(text.split())
    words = advice.lower().split()
    if len(words) < MIN_WORDS or len(set(words)) < max(MIN_WORDS - 1, len(words) // 2):
        return ""
    visible = advice.replace(" ", "")
    if sum(ch.isalpha() for ch in visible) < 0.6 * len(visible):
        return ""
    return advice


def content_words(text: str) -> set[str]:
    return {w.lower().strip("'’-.,") for w in _WORD.findall(text) if not is_stop_word(w.lower()) and (len(w) > 3 or w[0].isdigit())}


def why_not_useful(text: str, item_text: str, call_words: set[str]) -> str | None:
    """The first check `text` fails, or None when it is worth showing."""
    if not clean(text):
        return "not prose"
    if _PLACEHOLDER.search(text):
        return "has a placeholder"
    lines = [q for q in _QUOTED.findall(text) if len(q.split()) >= MIN_LINE_WORDS]
    if not lines and "?" not in text:
        return "proposes no line the rep could say"
    mine = content_words(text)
    own = content_words(item_text)
    if not (mine - own) & call_words:
        return "names nothing said in the call"
    if mine and len(mine & own) / len(mine) > RESTATEMENT_SHARE:
        return "restates the item"
    invented = sorted(word for word in _figures_and_names(text) if word not in call_words)
    if invented:
        return f"uses {', '.join(invented)}, which the call never says"
    return None


def _figures_and_names(text: str) -> set[str]:
    found = {m.group().rstrip(".,") for m in _FIGURE.finditer(text)}
    for m in _NAME.finditer(text):
        if not _SENTENCE_START.search(text[: m.start()]):
            found.add(m.group().lower().rstrip("'’-"))
    return found


def useful(text: str, item_text: str, call_words: set[str]) -> str:
    """`text` cleaned when it passes every check, else ""."""
    return clean(text) if why_not_useful(text, item_text, call_words) is None else ""


def call_vocabulary(turn_texts: Iterable[str]) -> set[str]:
    """Every word and figure said in the call, lowercased: what advice may name."""
    words: set[str] = set()
    for text in turn_texts:
        for w in _WORD.findall(text):
            word = w.lower().strip("'’-.,%$")
            words |= {word, re.split(r"['’]", word)[0]}  # "Marcus's" names Marcus too
    return words
