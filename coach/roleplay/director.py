"""The director: a deterministic reading of each rep line into the customer's next move.

It sees the rep's line only through `analyse_seller_line` (the scorer's own
per-line detectors) plus the session state, and reacts as the playbook
predicts: a signal-led opening warms the customer, a product-first opening or
a never-say phrase cools them, a second commercial ask after a soft answer
makes them defensive, a discovery question releases its hidden fact and
nothing else does. The actor only voices the move it is given.
"""

from __future__ import annotations

import random
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from coach.detectors.lines import LineSignals
from coach.roleplay.scenario import Scenario


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
    ended: bool = False
    rep_turns: int = 0

    @property
    def discovery_complete(self) -> bool:
        return {1, 2, 3} <= set(self.asked)


# Kinds of line that push a sale; in an escalation any of them is the wrong move.
PUSHES = ("commercial_ask", "pitch", "demo", "demo_proposal", "pricing", "diagnostic", "discovery", "never_say")
_COOLER = {Mood.warm: Mood.neutral, Mood.neutral: Mood.cool, Mood.cool: Mood.cool, Mood.defensive: Mood.defensive}


def pick(options: list[str], seed: int, turn: int, key: str) -> str:
    """A variant chosen by the session seed, the turn and the line group: same seed, same session."""
    return random.Random(f"{seed}:{turn}:{key}").choice(options)


class Director:
    def __init__(self, scenario: Scenario, seed: int):
        self.scenario = scenario
        self.seed = seed

    def opening_line(self) -> str:
        return pick(self.scenario.lines.greeting, self.seed, 0, "greeting")

    def decide(self, signals: LineSignals, state: DirectorState, turn: int) -> tuple[Move, DirectorState]:
        """The customer's next move and the state after it; `state` itself is not changed."""
        s = state.model_copy(deep=True)
        s.rep_turns += 1
        move = self._decide(signals, s, turn)
        s.mood = move.mood
        if move.kind is MoveKind.end:
            s.ended = True
        s.revealed.extend(f for f in move.fact_ids if f not in s.revealed)
        if s.rep_turns >= self.scenario.max_rep_turns and not s.ended:
            s.ended = True
            move = self._move(MoveKind.end, "end", "the call ran out of time", s.mood, turn)
        return move, s

    # -- the policy ---------------------------------------------------------------------
    def _decide(self, sig: LineSignals, s: DirectorState, turn: int) -> Move:
        scenario = self.scenario
        for number in sig.discovery_questions:
            if number not in s.asked:
                s.asked.append(number)

        if scenario.escalation is not None and not s.backed_off:
            if any(getattr(sig, kind) for kind in PUSHES):
                s.escalation_pushes += 1
                if s.escalation_pushes >= 2:
                    return self._move(MoveKind.end, "end_cold", "pushed a sale twice during an escalation", Mood.defensive, turn)
                return self._objection("pushed_in_escalation", "pushed a sale during an escalation", _COOLER[s.mood], turn)
            if sig.defer:
                s.backed_off = True
                return self._move(MoveKind.answer, "back_off_thanks", "the rep parked the sale", Mood.warm, turn)

        mood = s.mood
        product_first = False
        if not s.opened and (sig.signal or sig.pitch or sig.demo or sig.never_say):
            s.opened = True
            product_first = not sig.signal
            if not product_first and mood is Mood.neutral:
                mood = Mood.warm
        if sig.never_say:
            return self._objection("never_say", "a never-say phrase", Mood.cool if product_first else _COOLER[mood], turn)
        if product_first:
            return self._objection("product_first", "a product-first opening", Mood.cool, turn)

        if (sig.demo or sig.pricing) and not s.discovery_complete:
            return self._objection("demo_too_early", "a demo or price before the three questions", _COOLER[mood], turn)

        if sig.commercial_ask:
            s.commercial_asks += 1
            if s.soft_answer_pending:
                if s.commercial_asks >= 3:
                    return self._move(MoveKind.end, "end_cold", "asked a third time after a soft answer", Mood.defensive, turn)
                return self._objection("second_ask", "a second ask after a soft answer", Mood.defensive, turn)
            s.soft_answer_pending = True
            return self._move(MoveKind.soft_no, "soft_no", "a commercial ask", mood, turn)

        if s.info_requested and not s.info_reopened:
            if (sig.reopen and sig.questions) or sig.discovery:
                s.info_reopened = True
                if not sig.discovery:
                    return self._move(MoveKind.answer, "reopened", "the rep re-opened discovery", Mood.neutral, turn)
            else:
                return self._move(MoveKind.end, "info_sent", "the rep agreed to send information", mood, turn)

        asks_meeting = bool(sig.meeting_ask or sig.diagnostic or sig.demo_proposal)
        if (
            scenario.info_request_on_meeting_ask
            and not s.info_requested
            and not s.discovery_complete
            and (asks_meeting or sig.pitch)
        ):
            s.info_requested = True
            return self._move(MoveKind.soft_no, "info_request", "a meeting ask before discovery", mood, turn)

        facts = [scenario.fact(f"q{n}") for n in sig.discovery_questions]
        if sig.sponsor_question or sig.sponsor_plan:
            facts.append(scenario.fact("sponsor"))
        fresh = [f for f in facts if f is not None and f.id not in s.revealed]
        if fresh:
            return Move(
                kind=MoveKind.reveal,
                line_key="fact:" + ",".join(f.id for f in fresh),
                reason="asked the matching question",
                mood=mood,
                fact_ids=[f.id for f in fresh],
                scripted=" ".join(" ".join(f.says.split()) for f in fresh),
            )

        if asks_meeting:
            if s.meeting_accepted:
                return self._move(MoveKind.end, "end", "the rep confirmed the agreed next step", mood, turn)
            if sig.demo_proposal and not s.discovery_complete:
                return self._objection("demo_too_early", "a demo proposed before the three questions", _COOLER[mood], turn)
            if mood is Mood.defensive:
                return self._move(MoveKind.end, "end_cold", "a meeting ask from a defensive customer", mood, turn)
            if mood is Mood.cool:
                return self._move(MoveKind.soft_no, "soft_no", "a meeting ask from a cooled customer", mood, turn)
            s.meeting_accepted = True
            return self._move(MoveKind.accept_meeting, "accept_meeting", "a meeting or diagnostic ask", mood, turn)

        if s.meeting_accepted or s.backed_off:
            return self._move(MoveKind.end, "end", "the next step is agreed", mood, turn)
        if sig.signal and mood is Mood.warm:
            return self._move(MoveKind.answer, "signal_reaction", "a signal-led line", mood, turn)
        return self._move(MoveKind.answer, "answer", "nothing to react to", mood, turn)

    # -- helpers ------------------------------------------------------------------------
    def _move(self, kind: MoveKind, key: str, reason: str, mood: Mood, turn: int) -> Move:
        options: list[str] = getattr(self.scenario.lines, key)
        return Move(kind=kind, line_key=key, reason=reason, mood=mood, scripted=pick(options, self.seed, turn, key))

    def _objection(self, kind: str, reason: str, mood: Mood, turn: int) -> Move:
        options = self.scenario.objection(kind)
        return Move(
            kind=MoveKind.object, line_key=f"objection:{kind}", reason=reason, mood=mood,
            scripted=pick(options, self.seed, turn, kind),
        )  # fmt: skip
