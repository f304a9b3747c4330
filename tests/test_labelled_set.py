"""Checks the labelled evaluation set itself, independent of any reader or detector.

The set is only useful for `coach eval` if every call is labelled completely
and the labels cover passes and fails of every core item; these tests keep it
that way as calls are added.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from tests.contract import ALL_ITEMS, CORE_ITEMS

LABELLED = Path(__file__).resolve().parent.parent / "fixtures" / "labelled"
LABEL_SUFFIX = ".labels.yaml"

VERDICTS = frozenset({"pass", "fail", "not_applicable"})
MOTIONS = frozenset({"upsell", "cross_sell", "none"})
TRIGGERS = frozenset({"usage_threshold", "exec_sponsor_change", "renewal_window", "none"})
CALL_SUFFIXES = frozenset({".txt", ".vtt", ".srt", ".json"})


def _call_files() -> list[Path]:
    return sorted(p for p in LABELLED.iterdir() if p.suffix in CALL_SUFFIXES and not p.name.endswith(LABEL_SUFFIX))


def _label_files() -> list[Path]:
    return sorted(LABELLED.glob(f"*{LABEL_SUFFIX}"))


def _labels_for(call: Path) -> Path:
    return call.with_name(call.stem + LABEL_SUFFIX)


def _load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name}: top level must be a mapping"
    return data


CALLS = _call_files()
LABELS = _label_files()


def test_set_is_large_enough():
    assert len(CALLS) >= 40, f"only {len(CALLS)} labelled calls"


@pytest.mark.parametrize("call", CALLS, ids=lambda p: p.name)
def test_every_call_has_labels(call: Path):
    assert _labels_for(call).is_file(), f"{call.name} has no {call.stem}{LABEL_SUFFIX}"


@pytest.mark.parametrize("labels", LABELS, ids=lambda p: p.name)
def test_every_labels_file_has_its_call(labels: Path):
    stem = labels.name[: -len(LABEL_SUFFIX)]
    matches = [c for c in CALLS if c.stem == stem]
    assert len(matches) == 1, f"{labels.name}: expected exactly one call named {stem}.*, found {len(matches)}"


@pytest.mark.parametrize("labels", LABELS, ids=lambda p: p.name)
def test_labels_are_complete_and_valid(labels: Path):
    data = _load(labels)
    items = data.get("items")
    assert isinstance(items, dict), f"{labels.name}: items must be a mapping"
    assert set(items) == ALL_ITEMS, f"{labels.name}: items differ from the rubric: {sorted(set(items) ^ ALL_ITEMS)}"
    bad = {k: v for k, v in items.items() if v not in VERDICTS}
    assert not bad, f"{labels.name}: invalid verdicts {bad}"
    assert data.get("motion") in MOTIONS, f"{labels.name}: motion {data.get('motion')!r}"
    assert data.get("trigger") in TRIGGERS, f"{labels.name}: trigger {data.get('trigger')!r}"
    asked = data.get("discovery_asked", [])
    assert isinstance(asked, list) and set(asked) <= {1, 2, 3}, f"{labels.name}: discovery_asked {asked!r}"
    if items["discovery_questions"] == "pass":
        assert asked == [1, 2, 3], f"{labels.name}: discovery pass needs all three questions in order"


@pytest.mark.parametrize("labels", LABELS, ids=lambda p: p.name)
def test_no_expansion_means_expansion_items_not_applicable(labels: Path):
    data = _load(labels)
    if data["motion"] != "none":
        return
    expansion_items = set(CORE_ITEMS) - {"never_say"} | {"diagnostic_framing", "exec_sponsor"}
    applied = {k: data["items"][k] for k in expansion_items if data["items"][k] != "not_applicable"}
    assert not applied, f"{labels.name}: motion none but {applied}"


@pytest.mark.parametrize("labels", LABELS, ids=lambda p: p.name)
def test_sellers_speak_in_their_call(labels: Path):
    # A plain-text check on purpose: readers for every format are written in
    # parallel, and a seller's display name appears verbatim in all of them.
    data = _load(labels)
    sellers = data.get("sellers")
    assert isinstance(sellers, list) and sellers, f"{labels.name}: sellers must be a non-empty list"
    stem = labels.name[: -len(LABEL_SUFFIX)]
    (call,) = [c for c in CALLS if c.stem == stem]
    text = call.read_text(encoding="utf-8")
    missing = [name for name in sellers if str(name) not in text]
    assert not missing, f"{labels.name}: sellers not found in {call.name}: {missing}"


def test_each_core_item_has_passes_and_fails():
    counts = {item: Counter() for item in CORE_ITEMS}
    for labels in LABELS:
        items = _load(labels)["items"]
        for item in CORE_ITEMS:
            counts[item][items[item]] += 1
    thin = {item: dict(c) for item, c in counts.items() if c["pass"] < 8 or c["fail"] < 8}
    assert not thin, f"core items need >= 8 pass and >= 8 fail labels: {thin}"
