"""Transcript -> Scorecard. PROVISIONAL skeleton: the heuristic scoring issue replaces the body.

Contract other layers (API, role-play, LLM grader) rely on:

    score_transcript(transcript, rubric=None) -> Scorecard

`rubric=None` means the bundled default rubric.
"""

from __future__ import annotations

from coach.scorecard import CallInfo, RubricRef, Scorecard, SpeakerInfo
from coach.transcript import Transcript


def score_transcript(transcript: Transcript, rubric: object | None = None) -> Scorecard:
    return Scorecard(
        call=CallInfo(
            id=transcript.id,
            source=transcript.source,
            format=transcript.format,
            duration_s=transcript.duration_s,
            speakers=[
                SpeakerInfo(id=s.id, name=s.name, role=s.role, role_confidence=s.role_confidence)
                for s in transcript.speakers
            ],
        ),
        rubric=RubricRef(id="expansion_call", version="0"),
        items=[],
    )
