"""The real transcripts in ../shared/data/real-dev (CI puts shared/ beside the clone): the issue-11 targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.evaluation import evaluate_real_dir
from coach.scorecard import CallType

_ROOT = Path(__file__).resolve().parents[2]
# ../shared beside the clone (CI); a git worktree one level deeper finds it one folder further up.
REAL_DEV = next((p / "shared" / "data" / "real-dev" for p in (_ROOT.parent, _ROOT.parent.parent)
                 if (p / "shared" / "data" / "real-dev").is_dir()), _ROOT.parent / "shared" / "data" / "real-dev")


@pytest.fixture(scope="module")
def report():
    assert (REAL_DEV / "sales_calls" / "labels.json").is_file(), f"{REAL_DEV} is missing: shared/ must sit beside the clone"
    return evaluate_real_dir(REAL_DEV)


def test_every_labelled_call_was_scored(report):
    assert report.errors == [] and report.sales_calls == 200 and report.not_sales_calls == 30


def test_seller_found_on_95_percent_of_sales_calls_with_at_most_1_percent_wrong(report):
    assert report.seller_right >= 0.95 * report.sales_calls
    assert report.seller_wrong <= 0.01 * report.sales_calls


def test_90_percent_of_sales_calls_are_new_logo(report):
    new_logo = sum(1 for r in report.results if r.expected_type is CallType.new_logo and r.call_type is CallType.new_logo)
    assert new_logo >= 0.9 * report.sales_calls


def test_every_meeting_is_not_sales_and_unscored(report):
    meetings = [r for r in report.results if r.expected_type is CallType.not_sales]
    assert all(r.call_type is CallType.not_sales for r in meetings)
    assert report.not_sales_unscored == report.not_sales_calls == 30
