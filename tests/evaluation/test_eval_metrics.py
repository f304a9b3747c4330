from pathlib import Path

import pytest

from coach.evaluation import CORE_ITEMS, LabelledCall, Labels, LabelsError, compare, labelled_pairs, load_labels
from coach.scorecard import CallInfo, ItemResult, Motion, RubricRef, Scorecard, Trigger, Verdict

P, F, N = Verdict.pass_, Verdict.fail, Verdict.not_applicable


def labelled(name, expected: dict, scored: dict, motion=("cross_sell", "cross_sell"), asked=None, got_asked=None):
    items = [
        ItemResult(id=i, verdict=v, details={"asked": got_asked} if i == "discovery_questions" and got_asked else {})
        for i, v in scored.items()
    ]
    card = Scorecard(
        call=CallInfo(format="plain", speakers=[]),
        rubric=RubricRef(id="expansion_call", version="1"),
        motion=Motion(motion[1]),
        trigger=Trigger.none,
        items=items,
    )
    labels = Labels(sellers=["Priya"], motion=Motion(motion[0]), trigger=Trigger.none, items=expected, discovery_asked=asked)
    return LabelledCall(name=name, labels=labels, scorecard=card)


def test_precision_and_recall_treat_fail_as_positive():
    expected = [F, F, P, N, F]
    scored = [F, P, F, N, F]
    calls = [labelled(f"c{i}", {"ask_once": e}, {"ask_once": g}) for i, (e, g) in enumerate(zip(expected, scored))]
    item = compare("x", calls).item("ask_once")
    assert (item.true_fail, item.false_fail, item.missed_fail) == (2, 1, 1)
    assert item.precision == pytest.approx(2 / 3)
    assert item.recall == pytest.approx(2 / 3)
    assert item.accuracy == pytest.approx(3 / 5)
    assert item.confusion["fail"] == {"pass": 1, "fail": 2, "not_applicable": 0, "missing": 0}
    assert item.confusion["pass"]["fail"] == 1
    assert item.confusion["not_applicable"]["not_applicable"] == 1
    assert item.core


def test_undefined_ratios_are_none_not_perfect():
    calls = [labelled("a", {"never_say": P}, {"never_say": P}), labelled("b", {"never_say": N}, {"never_say": N})]
    item = compare("x", calls).item("never_say")
    assert item.precision is None and item.recall is None
    assert item.accuracy == 1.0


def test_an_item_missing_from_the_scorecard_counts_as_wrong():
    calls = [labelled("a", {"next_step": F, "ask_once": P}, {"ask_once": P})]
    report = compare("x", calls)
    item = report.item("next_step")
    assert item.accuracy == 0.0 and item.recall == 0.0 and item.precision is None
    assert item.confusion["fail"]["missing"] == 1
    assert not item.core
    assert [(m.call, m.field, m.expected, m.got) for m in report.mismatches] == [("a", "items.next_step", "fail", "missing")]


def test_motion_and_discovery_agreement():
    calls = [
        labelled("a", {"ask_once": N}, {"ask_once": N, "discovery_questions": F}, asked=[1, 2], got_asked=[2, 1]),
        labelled("b", {"ask_once": N}, {"ask_once": N, "discovery_questions": F}, motion=("upsell", "cross_sell"),
                 asked=[1, 2, 3], got_asked=[1]),
        labelled("c", {"ask_once": N}, {"ask_once": N}, motion=("none", "none")),
    ]
    report = compare("x", calls)
    assert report.motion.accuracy == pytest.approx(2 / 3)
    assert report.motion.confusion["upsell"]["cross_sell"] == 1
    assert report.trigger.accuracy == 1.0
    assert (report.discovery_asked.n, report.discovery_asked.correct) == (2, 1)
    assert {(m.call, m.field) for m in report.mismatches} == {("b", "motion"), ("b", "discovery_asked")}


def test_core_items_are_the_four_named_in_the_mission():
    assert CORE_ITEMS == ("signal_first_opening", "discovery_questions", "ask_once", "never_say")


GOOD = """sellers: [Priya Shah, Dan Ortiz]
motion: cross_sell
trigger: usage_threshold
items:
  signal_first_opening: pass
  ask_once: not_applicable
discovery_asked: [1, 2, 3]
notes: "clean"
"""


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (GOOD.replace("ask_once: not_applicable", "ask_once: maybe"), "items.ask_once: Input should be 'pass', 'fail' or 'not_applicable'"),
        (GOOD.replace("motion: cross_sell", "motion: crosssell"), "motion: Input should be"),
        (GOOD + "labeller: me\n", "labeller: Extra inputs are not permitted"),
        (GOOD.replace("[1, 2, 3]", "[1, 4]"), "discovery_asked.1: Input should be 1, 2 or 3"),
        (GOOD.replace("sellers: [Priya Shah, Dan Ortiz]\n", ""), "sellers: Field required"),
        ("- just a list\n", "expected a mapping"),
        ("items: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_labels_name_the_file_and_field(tmp_path: Path, text, field):
    path = tmp_path / "call.labels.yaml"
    path.write_text(text)
    with pytest.raises(LabelsError) as caught:
        load_labels(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and field in message and "\n" not in message


def test_labels_must_cover_exactly_the_rubric_items(tmp_path: Path):
    path = tmp_path / "call.labels.yaml"
    path.write_text(GOOD)
    assert load_labels(path, ["signal_first_opening", "ask_once"]).discovery_asked == [1, 2, 3]
    with pytest.raises(LabelsError, match="items: no verdict for rubric item.s. never_say"):
        load_labels(path, ["signal_first_opening", "ask_once", "never_say"])
    with pytest.raises(LabelsError, match="items.ask_once: not an item of the rubric"):
        load_labels(path, ["signal_first_opening"])


def test_pairs_report_orphans(tmp_path: Path):
    (tmp_path / "a.vtt").write_text("WEBVTT\n")
    (tmp_path / "a.labels.yaml").write_text(GOOD)
    (tmp_path / "b.labels.yaml").write_text(GOOD)
    (tmp_path / "c.txt").write_text("Ann: hi\n")
    pairs, errors = labelled_pairs(tmp_path)
    assert pairs == [(tmp_path / "a.vtt", tmp_path / "a.labels.yaml")]
    assert errors == [
        f"{tmp_path / 'b.labels.yaml'}: no call file with stem 'b'",
        f"{tmp_path / 'c.txt'}: no c.labels.yaml beside it",
    ]
