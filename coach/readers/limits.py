"""How much one transcript may hold: the bounds that keep reading and scoring one upload
linear and small, whatever the file says.

A 60-minute call has ~700 turns, 2-6 speakers (a committee meeting 77), turns of at most a few thousand
characters and ~60,000 characters in all; the defaults leave room for a day-long
call and refuse what no recorder exports (873,650 two-word turns, one 400 KB "word").
Lines are counted before parsing, so a file of a million tiny lines is refused
before it is turned into a million objects.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from coach.errors import TranscriptError
from coach.transcript import Transcript


class ReadLimits(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    max_lines: int = Field(default=200_000, ge=1)
    max_turns: int = Field(default=20_000, ge=1)
    max_speakers: int = Field(default=200, ge=1)
    max_turn_chars: int = Field(default=20_000, ge=1)
    max_call_chars: int = Field(default=1_000_000, ge=1)

    def check_text(self, text: str, source: str) -> None:
        lines = text.count("\n") + 1
        if lines > self.max_lines:
            raise TranscriptError(f"file has {lines} lines, over the {self.max_lines}-line limit", source=source)

    def check(self, transcript: Transcript, source: str) -> None:
        if len(transcript.turns) > self.max_turns:
            raise TranscriptError(
                f"transcript has {len(transcript.turns)} turns, over the {self.max_turns}-turn limit", source=source
            )
        if len(transcript.speakers) > self.max_speakers:
            raise TranscriptError(
                f"transcript has {len(transcript.speakers)} speakers, over the {self.max_speakers}-speaker limit",
                source=source,
            )
        turns = transcript.turns
        # Bounded per source line or cue, not per merged turn: one speaker's hour-long
        # monologue is many ordinary lines merged into one turn, and must still be read.
        # (A turn without sentences is its own one line.) One pass over every line finds
        # whether any is too long; only then is the first such turn looked for to name it.
        lengths = [len(line.text) for turn in turns for line in turn.sentences or (turn,)]
        if max(lengths, default=0) > self.max_turn_chars:
            for turn in turns:
                longest = max((len(s.text) for s in turn.sentences), default=len(turn.text))
                if longest > self.max_turn_chars:
                    raise TranscriptError(
                        f"turn {turn.index} has a line of {longest} characters, over the {self.max_turn_chars}-character "
                        "limit for one line",
                        source=source,
                    )
        total = sum([len(turn.text) for turn in turns])
        if total > self.max_call_chars:
            raise TranscriptError(
                f"transcript has {total} characters of speech, over the {self.max_call_chars}-character limit "
                "for one call",
                source=source,
            )
