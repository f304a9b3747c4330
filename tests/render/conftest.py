"""A realistic call and the scorecard a coach would expect for it, built directly from the models.

Renderer tests must not depend on what the detectors currently find, so the
verdicts here are written by hand against the call below.
"""

from __future__ import annotations

import pytest

from coach.scorecard import (
    CallInfo,
    Evidence,
    ItemResult,
    LLMRun,
    Metrics,
    Motion,
    RubricRef,
    Scorecard,
    SpeakerInfo,
    Stretch,
    Trigger,
    Verdict,
    VerdictSource,
)
from coach.transcript import Role, RoleSource, Speaker, Transcript, Turn

LINES = [
    ("priya", 2.0, "Hi Marcus, thanks for making time. How was the offsite?"),
    ("marcus", 9.0, "Good, exhausting. We planned most of next year."),
    ("priya", 15.0, "I wanted to tell you about our new product, Reconcile. Let me send you a deck."),
    ("marcus", 31.0, "Sure. Our close takes eight days <script>alert(1)</script> & it's | *painful*."),
    ("dan", 47.0, "How does your team handle reconciliation today: who owns it, what tools, what cycle time?"),
    ("marcus", 58.0, "Two analysts, Excel plus ERP exports."),
    ("dan", 70.0, "Would you be open to adding the Reconcile module to your plan this quarter?"),
    ("marcus", 80.0, "Let me think about it. I need to run it by Dana."),
    ("dan", 94.0, "We can give you a discount if you decide this quarter. Shall I send the order form?"),
    ("marcus", 3725.0, "Send me some information and I'll get back to you."),
]


@pytest.fixture
def call() -> Transcript:
    return Transcript(
        id="call-42",
        source="acme_expansion.vtt",
        format="zoom_vtt",
        duration_s=3740.0,
        speakers=[
            Speaker(id="priya", name="Priya Shah", role=Role.seller, role_confidence=1.0, role_source=RoleSource.user),
            Speaker(id="dan", name="Dan Ortiz", role=Role.seller, role_confidence=0.8, role_source=RoleSource.heuristic),
            Speaker(id="marcus", name="Marcus Lee", role=Role.customer, role_confidence=0.9, role_source=RoleSource.heuristic),
        ],
        turns=[Turn(index=i, speaker=s, start_s=t, text=x) for i, (s, t, x) in enumerate(LINES)],
    )


@pytest.fixture
def card(call: Transcript) -> Scorecard:
    def ev(turn: int, quote: str, note: str = "") -> Evidence:
        t = call.turns[turn]
        assert quote in t.text, "fixture quotes must be verbatim"
        return Evidence(turn=turn, speaker=call.speaker_name(t), start_s=t.start_s, quote=quote, note=note)

    items = [
        ItemResult(
            id="signal_first_opening",
            verdict=Verdict.fail,
            confidence=0.9,
            evidence=[ev(2, "I wanted to tell you about our new product", "product-first opener")],
            advice="Open with the signal you observed: 'your team crossed 212 of 250 seats this month'.",
        ),
        ItemResult(
            id="discovery_questions",
            verdict=Verdict.fail,
            confidence=0.85,
            evidence=[ev(4, "How does your team handle reconciliation today", "question 1: current workflow")],
            advice="Ask where the cycle loses the most time and what it cost last quarter before any ask.",
            details={"asked": [1], "in_order": None},
            reason="You asked Q1 (current workflow); never asked: Q2 (where it hurts and what it costs) and Q3 (the one fix and who feels it).",
        ),
        ItemResult(
            id="ask_once",
            title="Ask once, not twice",
            verdict=Verdict.fail,
            evidence=[
                ev(6, "Would you be open to adding the Reconcile module to your plan this quarter?", "first ask"),
                ev(7, "Let me think about it.", "soft answer"),
                ev(8, "Shall I send the order form?", "second ask after a soft answer"),
            ],
            advice="After 'let me think', stop asking; offer a 20-minute diagnostic with Dana instead.",
        ),
        ItemResult(
            id="never_say",
            title="Never-say phrases",
            verdict=Verdict.fail,
            evidence=[
                ev(2, "Let me send you a deck", "banned: deck"),
                ev(8, "We can give you a discount if you decide this quarter", "banned: quarter-end discount"),
            ],
            advice="Replace the deck with a diagnostic; anchor timing on their fiscal year, not our quarter.",
            details={"hits": [{"phrase": "Let me send you a deck", "turn": 2}, {"phrase": "discount this quarter", "turn": 8}]},
        ),
        ItemResult(
            id="escalation_guard",
            verdict=Verdict.not_applicable,
            confidence=0.9,
            reason="no active renewal negotiation or open escalation was mentioned",
        ),
        ItemResult(
            id="soft_no_reopen",
            verdict=Verdict.fail,
            source=VerdictSource.both,
            confidence=0.7,
            disputed=True,
            evidence=[ev(9, "Send me some information", "customer asks for information; call ends")],
            advice="Ask which of the three questions matters most so you send the right thing.",
        ),
        ItemResult(
            id="next_step",
            verdict=Verdict.fail,
            evidence=[ev(9, "I'll get back to you", "no date, no owner")],
            advice="Close on a date: 'Thursday at 10 with you and Dana; I'll own the invite.'",
        ),
        ItemResult(
            id="exec_sponsor",
            verdict=Verdict.pass_,
            confidence=0.6,
            evidence=[ev(7, "I need to run it by Dana", "sponsor named")],
        ),
    ]
    return Scorecard(
        call=CallInfo(
            id=call.id,
            source=call.source,
            format=call.format,
            duration_s=call.duration_s,
            speakers=[SpeakerInfo(id=s.id, name=s.name, role=s.role, role_confidence=s.role_confidence) for s in call.speakers],
        ),
        rubric=RubricRef(id="expansion_call", version="1.0.0"),
        motion=Motion.cross_sell,
        trigger=Trigger.usage_threshold,
        items=items,
        metrics=Metrics(
            words={Role.seller: 74, Role.customer: 45},
            seller_talk_ratio=0.62,
            longest_seller_monologue=Stretch(words=17, seconds=41.5, first_turn=4, last_turn=4, speaker="Dan Ortiz"),
            questions={Role.seller: 3, Role.customer: 0},
            customer_longest_turn=Stretch(words=14, seconds=16.0, first_turn=3, last_turn=3, speaker="Marcus Lee"),
            seller_first_speaks_min={"Priya Shah": 0.03, "Dan Ortiz": 0.78},
        ),
        score=38.5,
        warnings=["speaker 'Dan Ortiz' role inferred from what they said"],
        motion_evidence=[ev(6, "adding the Reconcile module to your plan", "a new module: cross-sell")],
        trigger_evidence=[ev(3, "Our close takes eight days", "customer's pain point")],
        llm=LLMRun(llm_status="ok", model="qwen2.5-1.5b-instruct", endpoint_kind="local", items_graded=["soft_no_reopen"]),
    )
