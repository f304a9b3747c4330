"""The call model every reader produces and every later layer consumes.

A `Transcript` is the product's canonical form of a call: who spoke (with the
role we believe they had and why), and what they said, turn by turn. Its JSON
(`to_json()`) is the canonical format and round-trips exactly.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    seller = "seller"
    customer = "customer"
    unknown = "unknown"


class RoleSource(StrEnum):
    """Where a speaker's role came from, strongest first."""

    user = "user"  # --seller NAME, a roles file, an API field
    metadata = "metadata"  # Gong affiliation, e-mail domain
    heuristic = "heuristic"  # scored from what they said
    none = "none"  # nothing to go on


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Speaker(_Model):
    id: str
    name: str
    role: Role = Role.unknown
    role_confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    role_source: RoleSource = RoleSource.none
    # When `role` is unknown: the side the text leans to (role_confidence is then the lean's strength).
    role_guess: Role = Role.unknown
    email: str | None = None
    affiliation: str | None = None  # as the source gave it, e.g. Gong "Internal"/"External"
    # The speaker's company as the source's metadata names it (a Gong party's CRM account); left out of the JSON when None.
    company: str | None = Field(default=None, exclude_if=lambda value: value is None)


class Sentence(_Model):
    """One cue or sentence inside a turn, keeping the source's finer-grained times."""

    text: str
    start_s: float | None = None
    end_s: float | None = None


class Turn(_Model):
    index: int = Field(ge=0)
    speaker: str  # Speaker.id
    text: str
    start_s: float | None = None
    end_s: float | None = None
    sentences: list[Sentence] = Field(default_factory=list)


class Transcript(_Model):
    id: str | None = None
    source: str | None = None  # file name or upload name
    format: str  # reader that produced it: plain, otter, zoom_vtt, teams_vtt, srt, gong_json, canonical...
    # The call's title when the source or the uploader gives one ("Acme <> Signalroom"); left out of the JSON when None.
    title: str | None = Field(default=None, exclude_if=lambda value: value is None)
    language: str | None = None
    duration_s: float | None = None
    speakers: list[Speaker]
    turns: list[Turn]
    warnings: list[str] = Field(default_factory=list)

    # -- derived views (not serialised) -------------------------------------------------
    @cached_property
    def speaker_map(self) -> dict[str, Speaker]:
        return {s.id: s for s in self.speakers}

    def role_of(self, turn: Turn) -> Role:
        speaker = self.speaker_map.get(turn.speaker)
        return speaker.role if speaker else Role.unknown

    def speaker_name(self, turn: Turn) -> str:
        speaker = self.speaker_map.get(turn.speaker)
        return speaker.name if speaker else turn.speaker

    def seller_turns(self) -> list[Turn]:
        return self._turns_of(Role.seller)

    def customer_turns(self) -> list[Turn]:
        return self._turns_of(Role.customer)

    def _turns_of(self, role: Role) -> list[Turn]:
        # the speakers of that role looked up once, not each turn's role (an hour's call has ~700 turns)
        ids = {speaker_id for speaker_id, speaker in self.speaker_map.items() if speaker.role is role}
        return [t for t in self.turns if t.speaker in ids]

    @property
    def has_times(self) -> bool:
        return any(t.start_s is not None for t in self.turns)

    @property
    def has_seller(self) -> bool:
        return any(s.role is Role.seller for s in self.speakers)

    # -- canonical JSON -------------------------------------------------------------------
    def to_json(self, *, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)

    @classmethod
    def from_json(cls, text: str | bytes) -> "Transcript":
        return cls.model_validate_json(text)
