"""A team's own rubric with general check types: YAML only, no Python, scored on fixture calls."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from coach.errors import RubricError

from coach.readers import read_path
from coach.resources import data_file
from coach.rubric.schema import load_rubric
from coach.scoring import score_transcript

ROOT = Path(__file__).resolve().parents[2]
CALL = ROOT / "fixtures/labelled/01_plain_ts_ledgerline_recon_clean_pass.txt"
SELLERS = ["Priya Shah", "Dan Ortiz"]


def _item(item_id: str, check: str, params: dict, fail_mode: str, passing: str, failing: str) -> dict:
    return {
        "id": item_id, "title": item_id.replace("_", " "), "description": f"custom {check} item", "weight": 1,
        "detector": {"type": check, "params": params},
        "advice": {mode: f"advice for {item_id}" for mode in fail_mode.split(",")},
        "examples": {"pass": [{"call": passing}], "fail": [{"call": failing}]},
    }  # fmt: skip


CUSTOM_ITEMS = [  # one item per general check type, plus a second presence item
    _item("asks_about_offsite", "presence.v1", {"patterns": ["offsite"], "questions": "only"}, "missing",
          "AE: How was the offsite?", "AE: Hello there."),
    _item("names_the_seat_count", "presence.v1", {"patterns": ["licensed seats"]}, "missing",
          "AE: You crossed 212 of your 250 licensed seats.", "AE: Hello there."),
    _item("never_says_whiteboard", "absence.v1", {"patterns": ["whiteboard"], "side": "any"}, "said",
          "AE: Hi.", "AE: Hi.\nBuyer: We used a whiteboard."),
    _item("usage_before_diagnostic", "order.v1",
          {"first": {"patterns": ["licensed seats"]}, "then": {"patterns": ["diagnostic"]}}, "out_of_order",
          "AE: You use 250 licensed seats.\nBuyer: Yes.\nAE: Shall we run a diagnostic?",
          "AE: Shall we run a diagnostic?\nBuyer: Yes.\nAE: You use 250 licensed seats."),
    _item("echo_after_answer", "after_answer.v1",
          {"question": {"patterns": ["walk me through"]}, "then": {"patterns": ["eight days"]}}, "before_answer,missing",
          "AE: Walk me through the close.\nBuyer: It takes eight days.\nAE: Eight days, okay.",
          "AE: I bet it takes eight days. Walk me through the close.\nBuyer: Yes, eight days."),
    _item("dana_at_most_three_times", "count.v1",
          {"phrase": {"patterns": ["dana"], "side": "any"}, "max": 3, "after": {"patterns": ["restatement"], "side": "customer"}},
          "too_many",
          "AE: How is it?\nBuyer: We had a restatement.\nAE: Let's ask Dana.",
          "AE: How is it?\nBuyer: We had a restatement.\nAE: Dana? Dana! Dana. Dana, hi."),
    _item("asks_in_a_fifth_of_lines", "line_class.v1", {"class": "question", "share_at_least": 0.2}, "too_few",
          "AE: Hi.\nBuyer: Hi.\nAE: How is the close going?\nBuyer: Slow.",
          "AE: Hi.\nBuyer: Hi.\nAE: The close is slow.\nBuyer: Yes.\nAE: We fix that.\nAE: It is easy."),
]  # fmt: skip



def _write_rubric(folder: Path, items: list[dict], *, keep_bundled: bool) -> Path:
    data = yaml.safe_load(data_file("rubrics", "expansion_call.yaml").read_text())
    data["id"], data["version"] = "team_custom", "0.1.0"
    data["items"] = (data["items"] if keep_bundled else []) + items
    path = folder / "team.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_custom_general_items_score_a_fixture_call_with_evidence(tmp_path):
    rubric = load_rubric(_write_rubric(tmp_path, CUSTOM_ITEMS, keep_bundled=False))
    card = score_transcript(read_path(CALL, sellers=SELLERS), rubric)
    assert [i.id for i in card.items] == [i["id"] for i in CUSTOM_ITEMS]
    verdicts = {i.id: i.verdict.value for i in card.items}
    assert verdicts == {
        "asks_about_offsite": "pass",  # "How was the offsite?" (a question, seller side)
        "names_the_seat_count": "pass",
        "never_says_whiteboard": "fail",  # the customer said it and side is `any`
        "usage_before_diagnostic": "pass",
        "echo_after_answer": "pass",  # Dan: "Eight days, okay." after Marcus's answer
        "dana_at_most_three_times": "fail",
        "asks_in_a_fifth_of_lines": "pass",  # the per-line question class, over the seller side's lines
    }
    offsite = card.item("asks_about_offsite")
    assert "offsite" in offsite.evidence[0].quote and offsite.evidence[0].speaker == "Priya Shah"
    seats = card.item("names_the_seat_count")
    assert "250 licensed seats" in seats.evidence[0].quote  # its own patterns, not the first presence item's
    board = card.item("never_says_whiteboard")
    assert board.evidence[0].speaker == "Marcus Lee" and "whiteboard" in board.evidence[0].quote
    assert "advice for never_says_whiteboard" in str(board.advice)
    order = card.item("usage_before_diagnostic")
    assert "licensed seats" in order.evidence[0].quote and "diagnostic" in order.evidence[1].quote
    echo = card.item("echo_after_answer")
    assert "walk me through" in echo.evidence[0].quote.lower()
    assert echo.evidence[1].speaker == "Dan Ortiz" and "Eight days" in echo.evidence[1].quote
    dana = card.item("dana_at_most_three_times")
    assert "restatement" in dana.evidence[0].quote  # counted from the customer's restatement
    assert len(dana.evidence) - 1 > 3 and all("Dana" in e.quote for e in dana.evidence[1:])
    asks = card.item("asks_in_a_fifth_of_lines")
    lines, of = asks.details["lines"], asks.details["of"]
    assert of > lines >= 0.2 * of and asks.evidence and all(e.speaker in SELLERS for e in asks.evidence)
    assert all(e.quote.endswith("?") or "?" in e.quote for e in asks.evidence)
    assert card.score is not None


def test_custom_items_examples_get_their_verdicts(tmp_path):
    rubric = load_rubric(_write_rubric(tmp_path, CUSTOM_ITEMS, keep_bundled=False))
    from tests.scoring.conftest import score

    for item in rubric.items:
        for expected, examples in (("pass", item.examples.pass_), ("fail", item.examples.fail)):
            for example in examples:
                got = score(example.call, ("AE",), rubric).item(item.id)
                assert got.verdict.value == expected, (item.id, example.call, got.reason)


def test_negated_and_reported_mentions_do_not_count(tmp_path):
    rubric = load_rubric(_write_rubric(tmp_path, CUSTOM_ITEMS, keep_bundled=False))
    from tests.scoring.conftest import score

    said = score("AE: Buyer, we used a whiteboard.\nBuyer: ok", ("AE",), rubric)
    assert said.item("never_says_whiteboard").verdict.value == "fail"
    card = score("AE: We never used a whiteboard.\nAE: Other vendors say a whiteboard works.\nBuyer: ok", ("AE",), rubric)
    assert card.item("never_says_whiteboard").verdict.value == "pass"


def test_adding_one_presence_item_touches_only_the_rubric_file(tmp_path):
    bundled = load_rubric()
    item = _item("mentions_reconciliation", "presence.v1", {"patterns": ["reconciliation"]}, "missing",
                 "AE: How does reconciliation work?", "AE: Hi.")  # fmt: skip
    rubric = load_rubric(_write_rubric(tmp_path, [item], keep_bundled=True))
    card = score_transcript(read_path(CALL, sellers=SELLERS), rubric)
    base = score_transcript(read_path(CALL, sellers=SELLERS), bundled)
    assert [i.id for i in card.items] == [i.id for i in bundled.items] + ["mentions_reconciliation"]
    assert card.item("mentions_reconciliation").verdict.value == "pass"
    assert "reconciliation" in card.item("mentions_reconciliation").evidence[0].quote
    for before in base.items:  # the bundled items judge as before
        assert card.item(before.id).verdict == before.verdict


def test_order_and_count_say_when_they_cannot_judge(tmp_path):
    rubric = load_rubric(_write_rubric(tmp_path, CUSTOM_ITEMS, keep_bundled=False))
    from tests.scoring.conftest import score

    card = score("AE: Hello.\nBuyer: Hi, all good.", ("AE",), rubric)
    assert card.item("usage_before_diagnostic").verdict.value == "not_applicable"
    assert "never happened" in card.item("usage_before_diagnostic").reason
    assert card.item("echo_after_answer").verdict.value == "not_applicable"
    assert card.item("dana_at_most_three_times").verdict.value == "not_applicable"


def test_a_bespoke_detector_used_twice_is_refused_naming_the_type(tmp_path):
    data = yaml.safe_load(data_file("rubrics", "expansion_call.yaml").read_text())
    copy = dict(data["items"][3], id="never_say_again")
    path = _write_rubric(tmp_path, [copy], keep_bundled=True)
    with pytest.raises(RubricError, match=r"team\.yaml.*never_say\.v1.*more than one item"):
        load_rubric(path)


def test_who_says_a_bespoke_group_is_rubric_data(tmp_path):
    data = yaml.safe_load(data_file("rubrics", "expansion_call.yaml").read_text())
    ask = next(i for i in data["items"] if i["id"] == "ask_once")
    assert ask["sides"]["soft_answer"] == "customer"
    ask["sides"]["soft_answers"] = "customer"
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(RubricError, match=r"team\.yaml.*sides names unknown pattern group\(s\) \['soft_answers'\]"):
        load_rubric(path)


def test_adding_a_never_say_phrase_touches_only_the_rubric_file(tmp_path):
    """One YAML edit (a phrase in a copy of the bundled rubric), no Python: the new phrase is banned,
    cited by its id and quoted, and every other item judges the call as before."""
    data = yaml.safe_load(data_file("rubrics", "expansion_call.yaml").read_text())
    never = next(i for i in data["items"] if i["id"] == "never_say")
    never["detector"]["params"]["phrases"].append({
        "id": "no_brainer", "says": "It's a no-brainer", "instead": "Say what it changes for them.",
        "patterns": ["(no brainer|no-brainer)"],
        # a cross-item link, also data: left on, the phrase would put expansion on the table and
        # make the expansion items judge this call
        "expansion_talk": False,
    })  # fmt: skip
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    call = "AE: Your team crossed 212 of 250 seats.\nBuyer: Yes.\nAE: Honestly, adding seats is a no-brainer.\nBuyer: Maybe."
    from tests.scoring.conftest import score, snippet

    before, after = score(call, ("AE",)), score(call, ("AE",), load_rubric(path))
    assert before.item("never_say").verdict.value == "pass"
    banned = after.item("never_say")
    assert banned.verdict.value == "fail" and "no-brainer" in banned.evidence[0].quote
    assert "no_brainer" in str(banned.details) and "Say what it changes for them." in banned.advice
    assert [(i.id, i.verdict) for i in after.items if i.id != "never_say"] == [
        (i.id, i.verdict) for i in before.items if i.id != "never_say"
    ]
    # the first-call rubric's never-say list is an absence.v1 pattern group: the same one-line edit
    first = yaml.safe_load(data_file("rubrics", "first_call_discovery.yaml").read_text())
    next(i for i in first["items"] if i["id"] == "never_say")["detector"]["params"]["patterns"].append("(no brainer|no-brainer)")
    path.write_text(yaml.safe_dump(first, sort_keys=False))
    card = score_transcript(snippet(call, ("AE",)), load_rubric(path), call_type="new_logo")
    assert card.item("never_say").verdict.value == "fail" and "no-brainer" in card.item("never_say").evidence[0].quote
