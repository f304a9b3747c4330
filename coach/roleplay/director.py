"""The director: a deterministic reading of each rep line into the customer's next move.

It sees the rep's line only through `analyse_seller_line` (the scorer's own
per-line detectors) plus the session state, and reacts as the playbook
predicts: a signal-led opening warms the customer, a product-first opening or
a never-say phrase cools them, a second commercial ask after a soft answer
makes them defensive, a discovery question releases its hidden fact and
nothing else does. The customer's patience, how much they reveal and how
quickly they brush the rep off come from the difficulty level (data); a rep
who keeps pushing past it has the call ended on them. The actor only voices
the move it is given.
"""

from __future__ import annotations

import random
import re
from enum import StrEnum
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

from coach.roleplay.scenario import Difficulty, Scenario, roleplay_data
from coach.text.lines import LineHit, LineSignals


class Mood(StrEnum):
    warm = "warm"
    neutral = "neutral"
    cool = "cool"
    defensive = "defensive"


class MoveKind(StrEnum):
    answer = "answer"
    reveal = "reveal"
    object = "object"
    soft_no = "soft_no"
    accept_meeting = "accept_meeting"
    end = "end"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Move(_Model):
    kind: MoveKind
    line_key: str  # which scripted line group voices it ("soft_no", "objection:second_ask", "fact:seat_cost"...)
    reason: str  # why the director chose it, in a few words
    mood: Mood
    fact_ids: list[str] = Field(default_factory=list)  # facts this move releases
    scripted: str  # the scenario's line for this move (the fallback)
    when: str = ""  # the day or time the customer accepts, in the rep's words


class DirectorState(_Model):
    """Everything the director remembers between rep lines (plain data, JSON round-trip)."""

    mood: Mood = Mood.neutral
    opened: bool = False  # the expansion opening has been judged (signal-led or product-first)
    asked: list[int] = Field(default_factory=list)  # discovery questions, in the order first asked
    revealed: list[str] = Field(default_factory=list)
    commercial_asks: int = 0
    soft_answer_pending: bool = False  # the last commercial ask got a soft answer
    info_requested: bool = False
    info_reopened: bool = False
    escalation_pushes: int = 0
    backed_off: bool = False
    meeting_accepted: bool = False
    time_accepted: str = ""  # the day or time the customer agreed to ("" until they have)
    objections: int = 0  # objections raised so far (the level's patience)
    never_says: int = 0
    guarded: list[int] = Field(default_factory=list)  # questions already met with a guarded answer
    last_line: str = ""  # the customer's last scripted line: never said twice in a row
    ended: bool = False
    ended_cold: bool = False
    rep_turns: int = 0

    @property
    def discovery_complete(self) -> bool:
        return {1, 2, 3} <= set(self.asked)


class DirectorRules(_Model):
    goodbye: list[str] = Field(min_length=1)

    @field_validator("goodbye")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for i, pattern in enumerate(patterns):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"[{i}] is not a regular expression: {exc}") from None
        return patterns


@lru_cache(maxsize=1)
def director_rules() -> DirectorRules:
    return roleplay_data(DirectorRules, "director")


@lru_cache(maxsize=1)
def _goodbye() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in director_rules().goodbye), re.IGNORECASE)


def says_goodbye(line: str) -> bool:
    return bool(_goodbye().search(line))


# Kinds of line that push a sale; in an escalation any of them is the wrong move.
PUSHES = ("commercial_ask", "pitch", "demo", "demo_proposal", "pricing", "diagnostic", "discovery", "never_say")
_COOLER = {Mood.warm: Mood.neutral, Mood.neutral: Mood.cool, Mood.cool: Mood.cool, Mood.defensive: Mood.defensive}
_WARMER = {Mood.defensive: Mood.cool, Mood.cool: Mood.neutral, Mood.neutral: Mood.neutral, Mood.warm: Mood.warm}


def pick(options: list[str], seed: int, turn: int, key: str, last: str = "") -> str:
    """A variant chosen by the session seed, the turn and the line group, never the line just said."""
    fresh = [o for o in options if " ".join(o.split()) != last] or options
    return random.Random(f"{seed}:{turn}:{key}").choice(fresh)


def proposed_time(sig: LineSignals) -> str:
    """The day or time the rep proposed, in their words ("Thursday at 10am"), or ""."""
    hits: list[LineHit] = sig.when
    if not hits:
        return ""
    first = hits[0]
    same = [h for h in hits if h.start == first.start]
    start = min(h.match_start for h in same) - first.start
    end = max(h.match_start + len(h.match) for h in same) - first.start
    # the rest of the time the matcher split off: "Thursday" + " at 10am"
    tail = _TIME_TAIL.match(first.sentence, end)
    words = first.sentence[start : tail.end() if tail else end].strip(" ,.?!")
    return words[:1].upper() + words[1:]


_TIME_TAIL = re.compile(
    r"(?:\s+(?:at|by|on|the|next|this|morning|afternoon|evening|noon|[ap]\.?m\.?|\d[\w:.]*|[A-Z][a-z]+day))*",
)


def _pushes(sig: LineSignals) -> list[LineHit]:
    """What in the line pushes a sale during an escalation: a question about the open
    problem itself ("what has the outage cost you?") is care, not a push."""
    problem = {h.start for h in sig.problem}
    return [
        hit
        for kind in PUSHES
        for hit in getattr(sig, kind)
        if not (kind in ("discovery", "diagnostic") and hit.start in problem)
    ]


class Director:
    def __init__(self, scenario: Scenario, seed: int, difficulty: Difficulty | None = None):
        self.scenario = scenario
        self.seed = seed
        self.level = scenario.level(difficulty)

    def opening_line(self) -> str:
        return pick(self.scenario.lines.greeting, self.seed, 0, "greeting")

    def decide(self, signals: LineSignals, state: DirectorState, turn: int, line: str = "") -> tuple[Move, DirectorState]:
        """The customer's next move and the state after it; `state` itself is not changed."""
        s = state.model_copy(deep=True)
        s.rep_turns += 1
        move = self._decide(signals, s, turn, line)
        if s.rep_turns >= self.scenario.max_rep_turns and move.kind is not MoveKind.end:
            move = self._move(MoveKind.end, "end", "the call ran out of time", move.mood, turn, s)
        s.mood = move.mood
        if move.kind is MoveKind.end:
            s.ended = True
            s.ended_cold = move.line_key == "end_cold"
        s.revealed.extend(f for f in move.fact_ids if f not in s.revealed)
        s.last_line = " ".join(move.scripted.split())
        return move, s

    # -- the policy ---------------------------------------------------------------------
    def _decide(self, sig: LineSignals, s: DirectorState, turn: int, line: str) -> Move:
        scenario = self.scenario
        for number in sig.discovery_questions:
            if number not in s.asked:
                s.asked.append(number)

        if scenario.escalation is not None and not s.backed_off:
            if _pushes(sig):
                s.escalation_pushes += 1
                return self._objection("pushed_in_escalation", "pushed a sale during an escalation", _COOLER[s.mood], turn, s)
            if sig.defer:
                s.backed_off = True
                return self._move(MoveKind.answer, "back_off_thanks", "the rep parked the sale", Mood.warm, turn, s)
            if sig.problem and not (sig.when or sig.meeting_ask):
                return self._move(MoveKind.answer, "problem_update", "the rep asked about the open problem", s.mood, turn, s)

        mood = s.mood
        product_first = False
        if not s.opened and (sig.signal or sig.pitch or sig.demo or sig.never_say):
            s.opened = True
            product_first = not sig.signal
            if not product_first and mood is Mood.neutral:
                mood = Mood.warm
        if sig.never_say:
            s.never_says += 1
            if s.never_says >= self.level.never_say_strikes:
                return self._end_cold("a never-say phrase once too often", turn, s)
            return self._objection("never_say", "a never-say phrase", Mood.cool if product_first else _COOLER[mood], turn, s)
        if product_first:
            return self._objection("product_first", "a product-first opening", Mood.cool, turn, s)

        if (sig.demo or sig.pricing) and not s.discovery_complete:
            return self._objection("demo_too_early", "a demo or price before the three questions", _COOLER[mood], turn, s)

        if sig.commercial_ask:
            s.commercial_asks += 1
            if s.soft_answer_pending:
                return self._objection("second_ask", "a second ask after a soft answer", Mood.defensive, turn, s)
            s.soft_answer_pending = True
            return self._move(MoveKind.soft_no, "soft_no", "a commercial ask", mood, turn, s)

        if s.info_requested and not s.info_reopened:
            if (sig.reopen and sig.questions) or sig.discovery:
                s.info_reopened = True
                if not sig.discovery:
                    return self._move(MoveKind.answer, "reopened", "the rep re-opened discovery", Mood.neutral, turn, s)
            elif proposed_time(sig) or sig.meeting_ask:
                # Pushing a time past "just send me something" is no agreement to one: the customer says so.
                return self._move(MoveKind.soft_no, "no_time", "a time pushed past a request for information", mood, turn, s)
            else:
                return self._move(MoveKind.end, "info_sent", "the rep agreed to send information", mood, turn, s)

        when = proposed_time(sig)
        asks_meeting = bool(sig.meeting_ask or sig.diagnostic or sig.demo_proposal or (when and (sig.questions or s.meeting_accepted)))
        brush_off = scenario.info_request_on_meeting_ask or (self.level.brush_off_early_meeting_ask and scenario.escalation is None)
        if brush_off and not s.info_requested and not s.discovery_complete and (asks_meeting or sig.pitch):
            s.info_requested = True
            return self._move(MoveKind.soft_no, "info_request", "a meeting ask before discovery", mood, turn, s)

        facts = [scenario.fact(f"q{n}") for n in sig.discovery_questions]
        if sig.sponsor_question or sig.sponsor_plan:
            facts.append(scenario.fact("sponsor"))
        fresh = [f for f in facts if f is not None and f.id not in s.revealed]
        if fresh:
            if self.level.guarded_when_cool and mood in (Mood.cool, Mood.defensive):
                return self._move(MoveKind.answer, "guarded", "a cooled customer keeps it to themselves", _WARMER[mood], turn, s)
            brief = self.level.reveal == "brief"
            return Move(
                kind=MoveKind.reveal,
                line_key="fact:" + ",".join(f.id for f in fresh),
                reason="asked the matching question",
                mood=mood,
                fact_ids=[f.id for f in fresh],
                scripted=" ".join(_first_sentence(f.says) if brief else " ".join(f.says.split()) for f in fresh),
            )

        if asks_meeting:
            if s.time_accepted:
                return self._move(MoveKind.end, "end", "the rep confirmed the agreed next step", mood, turn, s)
            if sig.demo_proposal and not s.discovery_complete:
                return self._objection("demo_too_early", "a demo proposed before the three questions", _COOLER[mood], turn, s)
            if mood is Mood.defensive:
                return self._end_cold("a meeting ask from a defensive customer", turn, s)
            if mood is Mood.cool:
                return self._move(MoveKind.soft_no, "no_time" if when else "soft_no", "a meeting ask from a cooled customer", mood, turn, s)
            s.meeting_accepted = True
            if when:
                return self._accept_time(when, mood, turn, s)
            return self._move(MoveKind.accept_meeting, "accept_meeting", "a meeting or diagnostic ask", mood, turn, s)

        if when and s.meeting_accepted:
            if s.time_accepted:
                return self._move(MoveKind.end, "end", "the rep confirmed the agreed time", mood, turn, s)
            return self._accept_time(when, mood, turn, s)
        if says_goodbye(line):
            if s.time_accepted or s.backed_off:
                return self._move(MoveKind.end, "end", "the rep closed after an agreed next step", mood, turn, s)
            return self._move(MoveKind.end, "goodbye", "the rep said goodbye without a next step", mood, turn, s)
        if s.time_accepted:
            return self._move(MoveKind.end, "end", "the next step is agreed", mood, turn, s)
        if sig.signal and mood is Mood.warm:
            return self._move(MoveKind.answer, "signal_reaction", "a signal-led line", mood, turn, s)
        return self._move(MoveKind.answer, "answer", "nothing to react to", mood, turn, s)

    # -- helpers ------------------------------------------------------------------------
    def _move(self, kind: MoveKind, key: str, reason: str, mood: Mood, turn: int, s: DirectorState) -> Move:
        options: list[str] = getattr(self.scenario.lines, key)
        return Move(kind=kind, line_key=key, reason=reason, mood=mood, scripted=pick(options, self.seed, turn, key, s.last_line))

    def _accept_time(self, when: str, mood: Mood, turn: int, s: DirectorState) -> Move:
        s.time_accepted = when
        options = [line.replace("{when}", when) for line in self.scenario.lines.accept_time]
        return Move(
            kind=MoveKind.accept_meeting, line_key="accept_time", reason="the rep proposed a time", mood=mood, when=when,
            scripted=pick(options, self.seed, turn, "accept_time", s.last_line),
        )  # fmt: skip

    def _end_cold(self, reason: str, turn: int, s: DirectorState) -> Move:
        return self._move(MoveKind.end, "end_cold", reason, Mood.defensive, turn, s)

    def _objection(self, kind: str, reason: str, mood: Mood, turn: int, s: DirectorState) -> Move:
        """An objection, or the end of the call once the customer's patience is spent."""
        if s.objections >= self.level.patience:
            return self._end_cold(f"{reason}, past the customer's patience", turn, s)
        s.objections += 1
        options = self.scenario.objection(kind)
        return Move(
            kind=MoveKind.object, line_key=f"objection:{kind}", reason=reason, mood=mood,
            scripted=pick(options, self.seed, turn, kind, s.last_line),
        )  # fmt: skip


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    match = re.search(r"(?<=[.!?])\s", text)
    return text[: match.start()] if match else text
