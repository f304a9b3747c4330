"""The rubric meets the labels: every core item catches fails with precision and recall of at least 0.9.

Runs the real pipeline (readers, detectors, rubric) on `fixtures/labelled/`.
The labels were written as a sales coach would judge each call; when this
fails, fix the detectors, never the labels.
"""

from pathlib import Path

from coach.evaluation import CORE_ITEMS, evaluate_dir

LABELLED = Path(__file__).resolve().parents[2] / "fixtures" / "labelled"
THRESHOLD = 0.9


def test_core_items_meet_precision_and_recall_on_the_labelled_set():
    report = evaluate_dir(LABELLED)
    assert not report.errors, "\n".join(report.errors)
    assert report.calls >= 40, f"the labelled set needs at least 40 calls, has {report.calls}"
    shortfalls = []
    for item_id in CORE_ITEMS:
        item = report.item(item_id)
        for name, value in (("precision", item.precision), ("recall", item.recall)):
            if value is None or value < THRESHOLD:
                shortfalls.append(f"{item_id} {name} {value if value is None else round(value, 3)} (n={item.n})")
    misses = [f"{m.call} {m.field}: labelled {m.expected}, scored {m.got}" for m in report.mismatches
              if m.field.removeprefix("items.") in CORE_ITEMS]
    assert not shortfalls, "; ".join(shortfalls) + "\n" + "\n".join(misses)
