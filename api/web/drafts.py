"""An upload waiting for the rep to confirm who the seller is.

The file is kept on disk under the data directory between the two forms, keyed by a
random token and bound to the user who uploaded it; it is stored as a call (through
the API's own `create_call`) only once the sellers are confirmed.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from coach.readers.roles import DEFAULT_THRESHOLD
from coach.transcript import Role, RoleSource, Transcript

DRAFT_TTL_S = 3600


class SpeakerChoice(BaseModel):
    name: str
    role: Role
    confidence: float
    source: RoleSource
    turns: int
    sample: str


class Draft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: int
    filename: str
    title: str | None = None
    occurred_at: dt.datetime | None = None
    rep_id: int | None = None
    created: float
    # Who the first read found on the call: the confirm step checks the ticked sellers against
    # them before the one read it stores the call from.
    speakers: list[SpeakerChoice] = []
    uncertain: bool = True


class DraftStore:
    def __init__(self, root: Path):
        self.root = root

    def _paths(self, token: str) -> tuple[Path, Path] | None:
        if not token or not all(c.isalnum() or c in "-_" for c in token) or len(token) > 64:
            return None
        return self.root / f"{token}.json", self.root / f"{token}.bin"

    def save(self, draft: Draft, raw: bytes) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        self.purge()
        token = secrets.token_urlsafe(24)
        meta, blob = self._paths(token) or (None, None)
        assert meta is not None and blob is not None
        blob.write_bytes(raw)
        meta.write_text(draft.model_dump_json(), encoding="utf-8")
        return token

    def load(self, token: str, user_id: int) -> tuple[Draft, bytes] | None:
        """The draft, only for the user who made it and only while it is fresh."""
        paths = self._paths(token)
        if paths is None:
            return None
        meta, blob = paths
        try:
            draft = Draft.model_validate_json(meta.read_text(encoding="utf-8"))
            raw = blob.read_bytes()
        except (OSError, ValidationError):
            return None
        if draft.user_id != user_id or time.time() - draft.created > DRAFT_TTL_S:
            return None
        return draft, raw

    def discard(self, token: str) -> None:
        for path in self._paths(token) or ():
            path.unlink(missing_ok=True)

    def purge(self) -> None:
        cutoff = time.time() - DRAFT_TTL_S
        for path in self.root.glob("*.json"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
                    path.with_suffix(".bin").unlink(missing_ok=True)
            except OSError:
                continue


def roles_uncertain(transcript: Transcript) -> bool:
    speakers = transcript.speakers
    if not any(s.role is Role.seller for s in speakers) or not any(s.role is Role.customer for s in speakers):
        return True
    # The reader's own confidence threshold: below it a heuristic role is a guess to confirm.
    return any(
        s.role is Role.unknown or (s.role_source is RoleSource.heuristic and s.role_confidence < DEFAULT_THRESHOLD)
        for s in speakers
    )


def speaker_choices(transcript: Transcript) -> list[SpeakerChoice]:
    choices = []
    for speaker in transcript.speakers:
        said = [t for t in transcript.turns if t.speaker == speaker.id]
        sample = next((t.text for t in said if len(t.text.split()) >= 4), said[0].text if said else "")
        choices.append(
            SpeakerChoice(
                name=speaker.name,
                role=speaker.role,
                confidence=speaker.role_confidence,
                source=speaker.role_source,
                turns=len(said),
                sample=sample if len(sample) <= 160 else sample[:157].rstrip() + "…",
            )
        )
    return choices
