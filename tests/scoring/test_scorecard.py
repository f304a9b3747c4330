"""The scorecard as a whole: evidence that quotes the call, score, facts, metrics, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.errors import TranscriptError
from coach.readers import read_bytes, read_path
from coach.rubric.schema import load_rubric
from coach.scorecard import Scorecard, Verdict
from coach.scoring import score_transcript
from coach.transcript import Role, Speaker, Transcript, Turn
from tests.scoring.conftest import score

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "fixtures" / "sample" / "expansion_call.txt"


@pytest.fixture(scope="module")
def sample() -> tuple[Transcript, Scorecard]:
    transcript = read_path(SAMPLE, sellers=["Priya Shah", "Dan Ortiz"])
    return transcript, score_transcript(transcript)


def test_every_item_is_present_once_with_a_verdict(sample):
    _, card = sample
    assert [i.id for i in card.items][:4] == ["signal_first_opening", "discovery_questions", "ask_once", "never_say"]
    assert [i.id for i in card.items] == [i.id for i in load_rubric().items]
    assert card.rubric.id == "expansion_call" and card.rubric.version


def test_evidence_is_verbatim_with_turn_speaker_and_time(sample):
    transcript, card = sample
    cited = 0
    for item in card.items:
        if item.verdict is Verdict.fail:
            assert item.evidence, f"{item.id} fails without evidence"
        for ev in item.evidence:
            turn = transcript.turns[ev.turn]
            assert ev.quote and ev.quote in turn.text
            assert ev.speaker == transcript.speaker_name(turn)
            assert ev.start_s == turn.start_s
            cited += 1
    assert cited >= 6


def test_sample_call_verdicts_and_details(sample):
    _, card = sample
    discovery = card.item("discovery_questions")
    assert discovery.verdict is Verdict.pass_
    assert discovery.details["asked"] == [1, 2, 3] and discovery.details["in_order"] is True
    assert card.item("signal_first_opening").verdict is Verdict.pass_
    assert card.item("ask_once").verdict is Verdict.not_applicable
    assert card.item("never_say").details["hits"] == []
    assert card.item("next_step").evidence[0].quote.startswith("Thursday at 10am")
    assert card.motion.value == "cross_sell"
    assert card.trigger.value == "usage_threshold"


def test_score_weighs_applicable_items_only(sample):
    _, card = sample
    from coach.rubric.schema import load_rubric

    weights = {i.id: i.weight for i in load_rubric().items}
    applicable = [i for i in card.items if i.verdict is not Verdict.not_applicable]
    expected = 100 * sum(weights[i.id] for i in applicable if i.verdict is Verdict.pass_) / sum(weights[i.id] for i in applicable)
    assert card.score == pytest.approx(round(expected, 1))
    assert 0 < card.score < 100


def test_scorecard_json_round_trips(sample):
    _, card = sample
    again = Scorecard.model_validate_json(card.model_dump_json())
    assert again == card
    data = card.model_dump(mode="json")
    assert data["schema_version"] == 1
    assert {"id", "verdict", "source", "confidence", "evidence", "advice", "details"} <= set(data["items"][0])


def test_metrics_ignore_backchannels_in_monologues():
    call = """
[00:00:00] AE: We noticed your team crossed 90% of its seats, and tickets about exports doubled since August.
[00:00:10] Customer: Mm-hmm.
[00:00:11] AE: So I wanted to understand how exports work today and where they break for your analysts.
[00:00:20] Customer: Right.
[00:00:21] AE: And what that has cost you in the last quarter, in hours or errors.
[00:00:30] Customer: Honestly it has been a rough quarter for the whole finance team, lots of late nights.
[00:01:10] CSM: That helps.
"""
    card = score(call)
    metrics = card.metrics
    monologue = metrics.longest_seller_monologue
    assert (monologue.first_turn, monologue.last_turn) == (0, 4)
    assert monologue.seconds == 30.0
    assert metrics.customer_longest_turn.first_turn == 5
    assert metrics.seller_first_speaks_min == {"AE": 0.0, "CSM": 1.2}
    assert 0.5 < metrics.seller_talk_ratio < 1
    assert metrics.questions[Role.seller] == 0
    # The JSON keeps the contract's shape: sides as keys, stretches as objects.
    dumped = card.model_dump(mode="json")["metrics"]
    assert dumped["questions"]["seller"] == 0 and dumped["longest_seller_monologue"]["words"] == monologue.words


def test_no_seller_warns_and_marks_seller_items_not_applicable():
    transcript = Transcript(
        format="plain",
        source="x.txt",
        speakers=[Speaker(id="alex", name="Alex"), Speaker(id="sam", name="Sam")],  # roles unknown
        turns=[
            Turn(index=0, speaker="alex", text="I noticed you crossed 90% of seats. Let me send you a deck."),
            Turn(index=1, speaker="sam", text="Sure, Thursday at 10am works for the review."),
        ],
    )
    card = score_transcript(transcript)
    assert any("no seller-side speaker" in w for w in card.warnings)
    never = card.item("never_say")
    assert never.verdict is Verdict.not_applicable and "--seller" in never.reason
    assert card.item("next_step").verdict is Verdict.pass_
    assert card.motion.value == "none"


def test_empty_and_non_english_calls_are_one_line_errors():
    empty = Transcript(
        format="plain",
        source="empty.txt",
        speakers=[Speaker(id="a", name="A", role=Role.seller)],
        turns=[Turn(index=0, speaker="a", text="... ?!")],
    )
    with pytest.raises(TranscriptError, match="empty.txt: the call has no words"):
        score_transcript(empty)
    spanish = (
        "Vendedor: Hola Marta, gracias por tu tiempo. Vimos que su equipo superó el noventa por ciento de las licencias.\n"
        "Cliente: Sí, crecimos mucho este trimestre y necesitamos más usuarios para el equipo de finanzas.\n"
        "Vendedor: Perfecto, podemos agendar una sesión el jueves para revisar cómo manejan la conciliación hoy.\n"
    )
    with pytest.raises(TranscriptError, match="does not look like English") as err:
        score_transcript(read_bytes(spanish.encode(), name="es.txt", sellers=["Vendedor"]))
    assert "\n" not in str(err.value)


def test_transcript_language_field_is_respected():
    transcript = read_path(SAMPLE, sellers=["Priya Shah"])
    transcript.language = "de"
    with pytest.raises(TranscriptError, match="only English"):
        score_transcript(transcript)
