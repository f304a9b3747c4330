from __future__ import annotations

from collections.abc import Sequence

import pytest

from coach.readers import read_bytes
from coach.rubric.schema import Rubric, load_rubric
from coach.scorecard import Scorecard
from coach.scoring import score_transcript
from coach.transcript import Transcript


def snippet(call: str, sellers: Sequence[str] = ("AE", "CSM")) -> Transcript:
    """A plain `Name: text` snippet as a transcript (speakers in `sellers` are the vendor side)."""
    return read_bytes(call.strip().encode(), name="snippet.txt", sellers=sellers)


def score(call: str, sellers: Sequence[str] = ("AE", "CSM"), rubric: Rubric | None = None) -> Scorecard:
    return score_transcript(snippet(call, sellers), rubric)


@pytest.fixture(scope="session")
def rubric() -> Rubric:
    return load_rubric()
