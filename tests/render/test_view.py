from coach.render.view import build_timeline, format_time, format_value, iso_duration, metric_rows
from coach.scorecard import Evidence, ItemResult, Metrics, Scorecard, Verdict


def test_times_read_as_minutes_then_hours():
    assert format_time(None) == ""
    assert format_time(9.4) == "0:09"
    assert format_time(75) == "1:15"
    assert format_time(3725) == "1:02:05"
    assert iso_duration(75.5) == "PT75.5S"
    assert iso_duration(15.0) == "PT15S"


def test_values_read_plainly():
    assert format_value(True) == "yes"
    assert format_value([1, 2]) == "1, 2"
    assert format_value([]) == "none"
    assert format_value(0.5) == "0.5"
    assert format_value(1 / 3) == "0.33"
    assert format_value(3.0) == "3"
    assert format_value(None) == "—"
    assert format_value([{"phrase": "deck", "turn": 2}, {"phrase": "discount", "turn": 8}]) == (
        "phrase: deck, turn: 2; phrase: discount, turn: 8"
    )


def test_per_speaker_metrics_flatten_into_rows(card):
    rows = {r.label: r.value for r in metric_rows(card.metrics)}
    assert rows["Seller talk ratio"] == "0.62"
    assert rows["Seller first speaks (min) — Dan Ortiz"] == "0.78"
    assert rows["Longest seller monologue"] == "17 words by Dan Ortiz, turn 4 (41.5 s)"
    assert rows["Questions — seller"] == "3"


def test_a_scorecard_without_metrics_shows_no_metric_rows(card):
    assert metric_rows(card.model_copy(update={"metrics": Metrics()}).metrics) == []
    stored_without = Scorecard.model_validate({**card.model_dump(mode="json"), "metrics": {}})
    assert metric_rows(stored_without.metrics) == []


def test_timeline_marks_exactly_the_quoted_words(card, call):
    timeline = build_timeline(card, call)
    assert [t.index for t in timeline] == list(range(len(call.turns)))
    opener = timeline[2]
    assert [s.text for s in opener.segments if s.cited] == [
        "I wanted to tell you about our new product",
        "Let me send you a deck",
    ]
    assert "".join(s.text for s in opener.segments) == call.turns[2].text
    assert {c.item_id for c in opener.citations} == {"signal_first_opening", "never_say"}
    assert not timeline[0].cited


def test_overlapping_and_case_changed_quotes(card, call):
    card.items = [
        ItemResult(
            id="never_say",
            verdict=Verdict.fail,
            evidence=[
                Evidence(turn=2, speaker="Priya Shah", quote="i wanted to tell you about"),
                Evidence(turn=2, speaker="Priya Shah", quote="tell you about our new product"),
            ],
        )
    ]
    segments = build_timeline(card, call)[2].segments
    assert [s.text for s in segments if s.cited] == ["I wanted to tell you about our new product"]


def test_quote_not_found_verbatim_marks_the_whole_turn(card, call):
    card.items = [ItemResult(id="never_say", verdict=Verdict.fail, evidence=[Evidence(turn=3, speaker="Marcus Lee", quote="not in the turn")])]
    segments = build_timeline(card, call)[3].segments
    assert len(segments) == 1 and segments[0].cited and segments[0].text == call.turns[3].text
