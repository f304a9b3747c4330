"""A scorer for the budget test: a call whose text says BURN spins the CPU, one that says HOARD
allocates without end; any other call is scored for real. Runs in the scorer's child process."""

from __future__ import annotations

from coach.scorecard import Scorecard
from coach.scoring import score_transcript
from coach.transcript import Transcript


def score(transcript: Transcript) -> Scorecard:
    text = " ".join(turn.text for turn in transcript.turns)
    if "BURN" in text:
        while True:
            pass
    if "HOARD" in text:
        hoard = []
        while True:
            hoard.append(bytearray(64 * 1024 * 1024))
    return score_transcript(transcript)
