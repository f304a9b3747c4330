"""A role-play session: plain serialisable state, one rep line in, one customer move out.

    state = start_session(scenario, seed=7, rep_name="Alex Rep")
    result = play_turn(state, "I noticed your team crossed 212 of 250 seats...", actor)
    state = result.state            # a new state; the old one is untouched
    card = score_session(state)     # the canonical transcript, scored like any call (coach.pipeline)

`SessionState` round-trips through JSON (the API keeps it in the database
between requests); it carries the scenario itself, so a practice scenario
built from a scorecard needs no file on disk. Same scenario, seed and rep
lines give the same session.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from coach import pipeline
from coach.errors import CoachError
from coach.roleplay.director import Director, DirectorState, Move
from coach.roleplay.facilitator import FacilitatorNote, review
from coach.roleplay.scenario import Difficulty, DifficultyField, Scenario
from coach.rubric.schema import Rubric
from coach.scorecard import PracticeInfo, Scorecard
from coach.text.lines import analyse_seller_line
from coach.transcript import Role, RoleSource, Speaker, Transcript, Turn

STATE_VERSION = 1
MAX_REP_LINE_CHARS = 2000
REP_ID, CUSTOMER_ID = "rep", "customer"


class RoleplayError(CoachError):
    """A role-play request that cannot be played (ended session, empty line...)."""


class Status(StrEnum):
    active = "active"
    ended = "ended"  # the customer ended the call; finish to score it


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionTurn(_Model):
    index: int
    role: Literal["rep", "customer"]
    text: str
    move: Move | None = None  # customer turns: what the director decided
    source: Literal["rep", "script", "llm"] = "rep"
    fallback_reason: str | None = None  # why the model's reply was not used


class SessionState(_Model):
    version: int = STATE_VERSION
    id: str
    scenario: Scenario
    seed: int
    rep_name: str
    difficulty: DifficultyField | None = None  # None: the persona's own level (sessions saved before levels)
    director: DirectorState = Field(default_factory=DirectorState)
    turns: list[SessionTurn] = Field(default_factory=list)
    notes: list[FacilitatorNote] = Field(default_factory=list)
    status: Status = Status.active

    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> "SessionState":
        return cls.model_validate_json(text)

    def revealed_facts(self) -> list[str]:
        return list(self.director.revealed)

    @property
    def level(self) -> Difficulty:
        return self.difficulty or self.scenario.persona.difficulty


class Voiced(_Model):
    text: str
    source: Literal["script", "llm"]
    fallback_reason: str | None = None


class Actor(Protocol):
    """Voices a move in persona; returns the scripted line when it cannot do better."""

    def voice(self, state: SessionState, move: Move, rep_line: str) -> Voiced: ...


class ScriptedActor:
    """The scenario's own lines, nothing else (`--no-llm`)."""

    def voice(self, state: SessionState, move: Move, rep_line: str) -> Voiced:
        return Voiced(text=move.scripted, source="script")


class TurnResult(_Model):
    state: SessionState
    rep: SessionTurn
    customer: SessionTurn
    notes: list[FacilitatorNote]  # the facilitator's interruptions on this rep line (usually none)
    ended: bool


def start_session(
    scenario: Scenario,
    *,
    seed: int = 7,
    rep_name: str = "Rep",
    session_id: str | None = None,
    difficulty: Difficulty | None = None,
) -> SessionState:
    rep_name = " ".join(rep_name.split()) or "Rep"
    if rep_name.lower() == scenario.persona.name.lower():
        raise RoleplayError("the rep's name must differ from the customer's", source=scenario.id)
    director = Director(scenario, seed, difficulty)
    greeting = SessionTurn(index=0, role="customer", text=director.opening_line(), source="script")
    return SessionState(
        id=session_id or uuid.uuid4().hex[:12], scenario=scenario, seed=seed, rep_name=rep_name,
        difficulty=difficulty or scenario.persona.difficulty, turns=[greeting],
        director=DirectorState(last_line=greeting.text),
    )  # fmt: skip


def is_command(line: str) -> bool:
    """`/help`, `/end`...: chat commands, never words to the customer."""
    return line.lstrip().startswith("/")


def play_turn(state: SessionState, rep_line: str, actor: Actor | None = None) -> TurnResult:
    if state.status is not Status.active:
        raise RoleplayError("the customer has ended this call; finish the session to see the scorecard", source=state.id)
    line = " ".join(rep_line.split())
    if not line:
        raise RoleplayError("the rep line is empty", source=state.id)
    if len(line) > MAX_REP_LINE_CHARS:
        raise RoleplayError(f"the rep line is longer than {MAX_REP_LINE_CHARS} characters", source=state.id)
    if is_command(line):
        raise RoleplayError(
            f"{line.split()[0]!r} is a chat command, not a line for the customer (commands: /help, /hint, /restart, /end)",
            source=state.id,
        )
    signals = analyse_seller_line(line)
    rep_turn = SessionTurn(index=len(state.turns), role="rep", text=line)
    notes = review(signals, state.director, turn=rep_turn.index, workflow=state.scenario.workflow)
    director = Director(state.scenario, state.seed, state.level)
    move, director_state = director.decide(signals, state.director, rep_turn.index + 1, line)
    after = state.model_copy(update={"director": director_state, "turns": [*state.turns, rep_turn]}, deep=True)
    voiced = (actor or ScriptedActor()).voice(after, move, line)
    customer = SessionTurn(
        index=rep_turn.index + 1, role="customer", text=" ".join(voiced.text.split()), move=move,
        source=voiced.source, fallback_reason=voiced.fallback_reason,
    )  # fmt: skip
    after.turns.append(customer)
    after.notes.extend(notes)
    if director_state.ended:
        after.status = Status.ended
    return TurnResult(state=after, rep=rep_turn, customer=customer, notes=notes, ended=director_state.ended)


def to_transcript(state: SessionState) -> Transcript:
    """The session as a canonical call: rep = seller, the persona = customer. Facilitator notes are not part of the call."""
    persona = state.scenario.persona
    speakers = [
        Speaker(id=REP_ID, name=state.rep_name, role=Role.seller, role_confidence=1.0, role_source=RoleSource.user,
                affiliation="Internal"),
        Speaker(id=CUSTOMER_ID, name=persona.name, role=Role.customer, role_confidence=1.0,
                role_source=RoleSource.user, affiliation=persona.company),
    ]  # fmt: skip
    turns = [
        Turn(index=t.index, speaker=REP_ID if t.role == "rep" else CUSTOMER_ID, text=t.text) for t in state.turns
    ]
    return Transcript(
        id=f"roleplay-{state.id}",
        source=f"roleplay:{state.scenario.id}",
        format="roleplay",
        language="en",
        speakers=speakers,
        turns=turns,
    )


def session_spec(state: SessionState, rubric: Rubric | None = None) -> pipeline.CallSpec:
    """How a session is scored: the rubric, and what its scorecard says was practised. The rep
    has to have said something: a session without a rep line has nothing to score."""
    if not any(t.role == "rep" for t in state.turns):
        raise RoleplayError("the rep has not said anything yet; nothing to score", source=state.id)
    practice = PracticeInfo(
        scenario=state.scenario.id, title=state.scenario.title, difficulty=state.level.value,
        ended_cold=state.director.ended_cold,
    )  # fmt: skip
    return pipeline.resolve(rubric=rubric, practice=practice)


def score_session(state: SessionState, rubric: Rubric | None = None, scorer: pipeline.Scorer | None = None) -> Scorecard:
    """The session's call scored like any other (`scorer`: the API's configured one)."""
    return pipeline.score(session_spec(state, rubric), to_transcript(state), scorer)
