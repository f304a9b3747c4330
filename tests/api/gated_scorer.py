"""A scorer for the kill test: it blocks, so the server can be killed while a job runs.

It waits on a gate file that the test never creates, bounded so that a server the
test failed to kill does not hang forever, then scores for real.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from coach.scorecard import Scorecard
from coach.scoring import score_transcript
from coach.transcript import Transcript


def score(transcript: Transcript) -> Scorecard:
    gate = Path(os.environ["COACH_TEST_GATE"])
    deadline = time.monotonic() + 120
    while not gate.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return score_transcript(transcript)
