"""Speech-to-text output without punctuation or capitals is judged like the punctuated call.

Every labelled and held-out call is scored twice: as written, and turned into what a
speech-to-text engine without punctuation gives (lowercase, no `.,!?;:` or quotes). Questions
then have no "?" and clauses no commas, so question forms, negation scope and yes-answers
must be read from the words. The four core items must come out the same on nearly every call.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from coach.evaluation import load_labels
from coach.readers import read_path
from coach.scoring import score_transcript
from coach.transcript import Transcript
from tests.contract import CORE_ITEMS

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = (ROOT / "fixtures" / "labelled", ROOT / "fixtures" / "heldout")
_PUNCTUATION = re.compile(r"[.,!?;:\"“”…]")


def _asr(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", text.lower()).split()) or "uh"


def _unpunctuated(transcript: Transcript) -> Transcript:
    data = transcript.model_dump()
    for turn in data["turns"]:
        turn["text"] = _asr(turn["text"])
        for sentence in turn.get("sentences") or []:
            sentence["text"] = _asr(sentence["text"])
    return Transcript.model_validate(data)


def test_core_verdicts_survive_losing_punctuation_and_capitals():
    same: Counter[str] = Counter()
    calls = 0
    moved = []
    for folder in FOLDERS:
        for labels_path in sorted(folder.glob("*.labels.yaml")):
            stem = labels_path.name.removesuffix(".labels.yaml")
            (call,) = [p for p in folder.iterdir() if p.stem == stem and not p.name.endswith(".yaml")]
            transcript = read_path(call, sellers=load_labels(labels_path).sellers)
            written, spoken = score_transcript(transcript), score_transcript(_unpunctuated(transcript))
            calls += 1
            for item in CORE_ITEMS:
                a, b = written.item(item).verdict, spoken.item(item).verdict
                same[item] += a == b
                if a != b:
                    moved.append(f"{stem} {item}: {a.value} -> {b.value}")
    assert calls >= 70
    low = {item: round(same[item] / calls, 3) for item in CORE_ITEMS if same[item] / calls < 0.95}
    assert not low, f"{low}\n" + "\n".join(moved)
