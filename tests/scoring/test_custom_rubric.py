"""A team's own rubric with general check types: YAML only, no Python, scored on fixture calls."""

from __future__ import annotations

from pathlib import Path

import yaml

from coach.readers import read_path
from coach.resources import data_file
from coach.rubric import load_rubric
from coach.scoring import score_transcript

ROOT = Path(__file__).resolve().parents[2]
CALL = ROOT / "fixtures/labelled/01_plain_ts_ledgerline_recon_clean_pass.txt"
SELLERS = ["Priya Shah", "Dan Ortiz"]


def _item(item_id: str, check: str, params: dict, fail_mode: str, passing: str, failing: str) -> dict:
    return {
        "id": item_id, "title": item_id.replace("_", " "), "description": f"custom {check} item", "weight": 1,
        "detector": {"type": check, "params": params},
        "advice": {fail_mode: f"advice for {item_id}"},
        "examples": {"pass": [{"call": passing}], "fail": [{"call": failing}]},
    }  # fmt: skip


CUSTOM_ITEMS = [
    _item("asks_about_offsite", "presence.v1", {"patterns": ["offsite"], "questions": "only"}, "missing",
          "AE: How was the offsite?", "AE: Hello there."),
    _item("names_the_seat_count", "presence.v1", {"patterns": ["licensed seats"]}, "missing",
          "AE: You crossed 212 of your 250 licensed seats.", "AE: Hello there."),
    _item("customer_mentions_excel", "presence.v1", {"patterns": ["excel"], "side": "customer"}, "missing",
          "AE: How do you do it?\nBuyer: Excel, mostly.", "AE: We replace Excel.\nBuyer: Okay."),
    _item("never_mentions_discount", "absence.v1", {"patterns": ["discount"]}, "said",
          "AE: The price is the list price.", "AE: I can give you a discount."),
    _item("never_says_whiteboard", "absence.v1", {"patterns": ["whiteboard"], "side": "any"}, "said",
          "AE: Hi.", "AE: Hi.\nBuyer: We used a whiteboard."),
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
        "customer_mentions_excel": "pass",  # Marcus: "It's Excel plus CSV exports"
        "never_mentions_discount": "pass",
        "never_says_whiteboard": "fail",  # the customer said it and side is `any`
    }
    offsite = card.item("asks_about_offsite")
    assert "offsite" in offsite.evidence[0].quote and offsite.evidence[0].speaker == "Priya Shah"
    seats = card.item("names_the_seat_count")
    assert "250 licensed seats" in seats.evidence[0].quote  # its own patterns, not the first presence item's
    excel = card.item("customer_mentions_excel")
    assert excel.evidence[0].speaker == "Marcus Lee" and "Excel" in excel.evidence[0].quote
    board = card.item("never_says_whiteboard")
    assert board.evidence[0].speaker == "Marcus Lee" and "whiteboard" in board.evidence[0].quote
    assert board.advice and card.score is not None


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

    card = score("AE: I won't offer a discount.\nAE: Other vendors say a discount is coming.\nBuyer: ok", ("AE",), rubric)
    assert card.item("never_mentions_discount").verdict.value == "pass"


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
