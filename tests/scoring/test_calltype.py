"""Call type and who sells, on small hand-written calls; applies_to; not-scored output in every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from coach.callcues import load_cues
from coach.calltype import classify_call
from coach.errors import RubricError
from coach.readers import read_bytes
from coach.render import OutputFormat, render
from coach.rubric.schema import load_rubric
from coach.scorecard import CallType, Verdict
from coach.scoring import score_transcript
from coach.transcript import Role

ROOT = Path(__file__).resolve().parents[2]

INBOUND = """\
Jessica Kim: Hi, this is Jessica from AutoTest Pro. I've been looking into testing tools, manual testing is killing us.
Nora Novak: Thanks for reaching out, Jessica. What are you using today for regression runs?
Jessica Kim: We use a mix of spreadsheets and scripts. My team is stretched. How much does your suite cost?
Nora Novak: It's $5,000 a month for the suite. We offer onboarding and our team supports you through the rollout.
Jessica Kim: Hmm, that's steep. Does it integrate with our CI pipeline?
Nora Novak: It does, it's designed to plug into CI. I can set up a demo for Thursday if that helps.
Jessica Kim: Okay, I need to talk to my manager first but a demo sounds good.
"""

REP_SECOND_EXPANSION = """\
Marcus Lee: Hey Priya, thanks for making time.
Priya Shah: Thanks for the time, Marcus. Quick context: you're at 92 percent of your 40 seat plan and your renewal is in March.
Marcus Lee: Yeah, we hired six analysts this quarter.
Priya Shah: How does your team handle onboarding new analysts today, who owns it?
Marcus Lee: Our controller owns it, it takes about two weeks.
Dan Ortiz: Priya asked me to join. Where does that process break down the most, and what has it cost you?
Marcus Lee: Mostly access requests. Maybe forty hours last quarter.
Priya Shah: Would you like to add ten seats before the renewal? I'll send the order form and set up a review with you and Dan on Friday.
"""

MEETING = """\
Chair: Good morning. The first item on the agenda is the minutes of the last meeting. Are the minutes agreed?
Member Jones: Agreed, chair.
Chair: Thank you. Next item: amendment 1 to the education bill. Deputy Minister, do you wish to proceed to a vote on amendment 1?
Deputy Minister: Yes, chair, I move amendment 1.
Member Evans: Point of order, chair. The committee has not yet heard the witness evidence session on this item.
Chair: Noted. We will vote on amendment 1 after the evidence session. The meeting is adjourned until two o'clock.
Member Jones: Thank you, chair.
""" * 3


def _read(text: str, name: str = "call.txt", **kw):
    return read_bytes(text.encode(), name=name, **kw)


def _roles(transcript) -> dict[str, Role]:
    return {s.name: s.role for s in transcript.speakers}


def test_customer_opens_and_names_their_own_company_rep_speaks_second():
    transcript = _read(INBOUND)
    assert _roles(transcript) == {"Jessica Kim": Role.customer, "Nora Novak": Role.seller}
    kind = classify_call(transcript)
    assert kind.value is CallType.new_logo
    assert kind.info.evidence and all(e.quote in transcript.turns[e.turn].text for e in kind.info.evidence)


def test_two_reps_on_an_expansion_call_customer_opens():
    transcript = _read(REP_SECOND_EXPANSION)
    assert _roles(transcript) == {"Marcus Lee": Role.customer, "Priya Shah": Role.seller, "Dan Ortiz": Role.seller}
    card = score_transcript(transcript)
    assert card.call_type is CallType.expansion and card.score is not None


def test_committee_chair_is_no_seller_and_the_meeting_is_not_scored():
    card = score_transcript(_read(MEETING))
    assert card.call_type is CallType.not_sales
    assert card.score is None and "nobody is selling" in card.score_reason
    assert all(s.role is not Role.seller for s in card.call.speakers)
    assert all(i.verdict is Verdict.not_applicable and i.reason.startswith("not a sales call") for i in card.items)
    assert card.motion.value == "none"
    assert card.call_type_detail.evidence  # quotes of the procedure it rests on


def test_a_single_speaker_is_never_a_confident_seller():
    text = "Alex Rivera: " + " ".join(
        ["Our platform is priced at $5,000 a month and we offer onboarding, our team supports you."] * 30)
    transcript = _read(text)
    (speaker,) = transcript.speakers
    assert speaker.role is Role.unknown
    assert speaker.role_guess is Role.seller and 0.5 < speaker.role_confidence <= 0.6
    assert any("only one speaker" in w for w in transcript.warnings)


def test_unknown_speakers_keep_their_lean_in_the_json():
    card = score_transcript(_read(MEETING))
    doc = json.loads(render(OutputFormat.json, card, None))
    leaning = [s for s in doc["call"]["speakers"] if s["role"] == "unknown" and s["role_guess"] != "unknown"]
    assert leaning and all(s["role_confidence"] > 0 for s in leaning)


def test_gong_speaker_id_survives_as_the_speaker_id():
    doc = {"callTranscripts": [{"callId": "1", "transcript": [
        {"speakerId": "7100000007919023757", "sentences": [{"start": 0, "end": 1000, "text": "Hi Marcus, thanks for the time."}]},
        {"speakerId": "7100000023757071271", "sentences": [{"start": 1000, "end": 2000, "text": "Hi Priya."}]},
    ]}], "parties": [
        {"speakerId": "7100000007919023757", "name": "Priya Shah", "affiliation": "Internal"},
        {"speakerId": "7100000023757071271", "name": "Marcus Lee", "affiliation": "External"},
    ]}
    transcript = read_bytes(json.dumps(doc).encode(), name="g.json")
    assert {s.id: s.name for s in transcript.speakers} == {
        "7100000007919023757": "Priya Shah", "7100000023757071271": "Marcus Lee"}
    assert [t.speaker for t in transcript.turns] == ["7100000007919023757", "7100000023757071271"]


def test_call_type_override_and_applies_to():
    transcript = _read(INBOUND)
    card = score_transcript(transcript, call_type="new_logo")
    assert card.call_type_detail.source == "user"
    expansion_only = [i for i in load_rubric().items if CallType.new_logo not in i.applies_to]
    assert expansion_only  # the bundled rubric declares some
    for item in expansion_only:
        result = card.item(item.id)
        assert result.verdict is Verdict.not_applicable and "new_logo call" in result.reason
    forced = score_transcript(transcript, call_type="not_sales")
    assert forced.score is None and forced.call_type is CallType.not_sales


@pytest.mark.parametrize("fmt", list(OutputFormat))
def test_not_sales_renders_not_scored_in_every_format(fmt):
    card = score_transcript(_read(MEETING))
    text = render(fmt, card, _read(MEETING))
    assert "100/100" not in text and "0/100" not in text
    if fmt is OutputFormat.json:
        doc = json.loads(text)
        assert doc["score"] is None and doc["score_reason"] and doc["call_type"] == "not_sales"
    else:
        assert "not scored: nobody is selling" in text


def _bundled() -> dict:
    return yaml.safe_load((ROOT / "rubrics" / "expansion_call.yaml").read_text())


@pytest.mark.parametrize("value, words", [
    (["not_sales"], "not_sales calls are never judged"),
    (["upsell"], "Input should be"),
    ([], "at least 1 item"),
])
def test_applies_to_errors_name_the_field(tmp_path, value, words):
    data = _bundled()
    data["items"][2]["applies_to"] = value
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    message = str(err.value)
    assert "items[2].applies_to" in message and words in message and str(path) in message


def test_bad_cue_pattern_names_the_field(tmp_path):
    data = yaml.safe_load((ROOT / "rubrics" / "call_types.yaml").read_text())
    data["sides"][1]["pattern"] = "(unclosed"
    path = tmp_path / "cues.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(RubricError, match=r"sides\[1\]\.pattern: not a valid regular expression"):
        load_cues(path)


def test_anchored_cue_search_finds_exactly_what_a_full_regex_search_finds():
    texts = [INBOUND, REP_SECOND_EXPANSION, MEETING, "$5,000 a month... 5k/month? it's €4.5k per seat; usd 300"]
    texts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "fixtures" / "labelled").glob("*.txt"))[:12]]
    data = load_cues()
    cues = list(data.sides) + [c for name in type(data.call_types).model_fields for c in getattr(data.call_types, name)]
    assert sum(1 for c in cues if c.anchors) > len(cues) // 2  # most cues are searched from their literal starts
    for text in texts:
        low = text.lower()
        shared: dict[str, list[int]] = {}  # as the classifier reads: one word index for all cues
        for cue in cues:
            assert [m.span() for m in cue._matches(low, shared)] == [m.span() for m in cue.regex.finditer(low)], cue.pattern


def test_a_sales_call_with_no_seller_has_no_score_only_its_reason():
    text = "Sam Lee: Morning, Alex.\nAlex Park: Morning. Shall we meet Thursday at 10am?\nSam Lee: Thursday at 10am works.\n"
    card = score_transcript(_read(text), call_type="expansion")
    assert not any(s.role is Role.seller for s in card.call.speakers)
    assert card.score is None and "no seller was identified" in card.score_reason
    text_out = render(OutputFormat.text, card, None)
    assert "not scored: no seller" in text_out and "/100" not in text_out
