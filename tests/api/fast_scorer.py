"""A scorer for the multi-worker tests: real scoring once per distinct transcript, a cached
copy after that, so hundreds of identical calls cost the queue, not spaCy.

Every run appends `<pid> <source>` to the file in COACH_TEST_SCORE_LOG (one short O_APPEND
write: whole lines even from several processes), so a test can count how often each call
was scored. A call whose text says HOLD-FOR-KILL waits for the file COACH_TEST_GATE (bounded),
so a test can kill the worker holding it.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from coach.scorecard import Scorecard
from coach.scoring import score_transcript
from coach.transcript import Transcript

_cache: dict[str, str] = {}


def score(transcript: Transcript) -> Scorecard:
    log = os.environ.get("COACH_TEST_SCORE_LOG")
    if log:
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{os.getpid()} {transcript.source}\n".encode())
        finally:
            os.close(fd)
    text = " ".join(turn.text for turn in transcript.turns)
    if "HOLD-FOR-KILL" in text:
        gate = Path(os.environ["COACH_TEST_GATE"])
        deadline = time.monotonic() + 120
        while not gate.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    key = hashlib.sha256(text.encode()).hexdigest()
    if key not in _cache:
        _cache[key] = score_transcript(transcript).model_dump_json()
    return Scorecard.model_validate_json(_cache[key])
