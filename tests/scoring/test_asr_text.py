"""Speech-to-text output without punctuation or capitals, with hesitations written out, is
judged like the punctuated call.

Every labelled and held-out call is scored twice: as written, and turned into what a
speech-to-text engine without punctuation gives (lowercase, no `.,!?;:` or quotes). Questions
then have no "?" and clauses no commas, so question forms, negation scope and yes-answers
must be read from the words. The four core items must come out the same on nearly every call.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from coach.evaluation import load_labels
from coach.readers import read_path
from coach.scoring import score_transcript
from coach.transcript import Transcript
from tests.contract import CORE_ITEMS

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = (ROOT / "fixtures" / "labelled", ROOT / "fixtures" / "heldout")
_PUNCTUATION = re.compile(r"[.,!?;:\"“”…]")


def _asr(text: str, hesitate: bool = False) -> str:
    words = _PUNCTUATION.sub(" ", text.lower()).split()
    if hesitate:  # "um" before every fifth word, "uh" after every seventh
        words = [w for i, word in enumerate(words) for w in (["um"] if i % 5 == 2 else []) + [word] + (["uh"] if i % 7 == 4 else [])]
    return " ".join(words) or "uh"


def _unpunctuated(transcript: Transcript, hesitate: bool = False) -> Transcript:
    data = transcript.model_dump()
    for turn in data["turns"]:
        turn["text"] = _asr(turn["text"], hesitate)
        turn["sentences"] = []
    return Transcript.model_validate(data)


@pytest.mark.parametrize("hesitate", [False, True], ids=["unpunctuated", "with-hesitations"])
def test_core_verdicts_survive_losing_punctuation_and_capitals(hesitate: bool):
    same: Counter[str] = Counter()
    calls = 0
    moved = []
    for folder in FOLDERS:
        for labels_path in sorted(folder.glob("*.labels.yaml")):
            stem = labels_path.name.removesuffix(".labels.yaml")
            (call,) = [p for p in folder.iterdir() if p.stem == stem and not p.name.endswith(".yaml")]
            transcript = read_path(call, sellers=load_labels(labels_path).sellers)
            written, spoken = score_transcript(transcript), score_transcript(_unpunctuated(transcript, hesitate))
            calls += 1
            for item in CORE_ITEMS:
                a, b = written.item(item).verdict, spoken.item(item).verdict
                same[item] += a == b
                if a != b:
                    moved.append(f"{stem} {item}: {a.value} -> {b.value}")
    assert calls >= 70
    low = {item: round(same[item] / calls, 3) for item in CORE_ITEMS if same[item] / calls < 0.95}
    assert not low, f"{low}\n" + "\n".join(moved)


def test_hesitations_inside_a_phrase_are_looked_past():
    from coach.text.lines import analyse_seller_line

    assert analyse_seller_line("would you um like to add the forty seats this month").commercial_ask
    assert analyse_seller_line("we um noticed your team crossed 85 percent of your seats").signal
    hit = analyse_seller_line("so uh I wanted to um tell you about our new product").never_say[0]
    assert hit.label == "new_product" and hit.match.startswith("tell you about")
