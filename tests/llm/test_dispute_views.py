"""A disputed item says, in every view, what the LLM thought, its quote, and why the verdict stands."""

from __future__ import annotations

import html
import json
import re

import pytest
from conftest import SAMPLE_LINES, heuristic_card, make_call, make_rubric

from coach.llm.grader import LLMGrader
from coach.llm.protocol import FakeChatModel
from coach.render import OutputFormat, render
from coach.scorecard import Verdict

QUOTE = "Your team crossed 212 of your 250 licensed seats this month"


def graded(policy: str, llm_verdict: str = "fail"):
    call = make_call(SAMPLE_LINES)
    card = heuristic_card(call, {"signal_first_opening": Verdict.pass_})
    claim = {"turn": 2, "quote": QUOTE.lower()}
    fake = FakeChatModel().enqueue(json.dumps({
        "signal_first_opening": {"evidence": [claim] if llm_verdict != "not_applicable" else [], "verdict": llm_verdict, "advice": ""},
    }))  # fmt: skip
    return call, LLMGrader(fake).grade(call, card, make_rubric(signal_first_opening=policy))


@pytest.mark.parametrize("fmt", [OutputFormat.text, OutputFormat.md, OutputFormat.html, OutputFormat.json])
def test_both_policy_dispute_is_explained_in_every_view(fmt):
    call, card = graded("both")
    item = card.item("signal_first_opening")
    note = item.dispute_note
    assert item.disputed and item.verdict is Verdict.pass_
    assert (note.llm_verdict, note.stands) == (Verdict.fail, "heuristic")
    assert note.llm_evidence.quote == QUOTE and note.llm_evidence.turn == 2  # cut from the call, not the model's text
    out = render(fmt, card, call, width=2000)  # no wrapping inside the terminal table
    if fmt is OutputFormat.json:
        data = json.loads(out)["items"][0]["dispute_note"]
        assert data["llm_verdict"] == "fail" and data["stands"] == "heuristic" and data["llm_evidence"]["quote"] == QUOTE
        assert "grader: both" in data["why"]
        return
    text = {OutputFormat.html: html.unescape(out), OutputFormat.md: re.sub(r"\\(.)", r"\1", out)}.get(fmt, out)
    flat = " ".join(text.split())
    assert "The LLM judged this fail, quoting turn 2 · Priya Shah · 0:20" in flat
    assert QUOTE in flat
    assert "The heuristic verdict stands (pass): the rubric takes the LLM as a second opinion on this item (grader: both)" in flat


def test_llm_policy_dispute_says_the_llm_verdict_stands_and_why():
    _, card = graded("llm")
    item = card.item("signal_first_opening")
    assert item.verdict is Verdict.fail and item.dispute_note.stands == "llm"
    assert "grader: llm" in item.dispute_note.why


def test_an_llm_not_applicable_never_overturns_and_says_so():
    _, card = graded("llm", "not_applicable")
    item = card.item("signal_first_opening")
    assert item.verdict is Verdict.pass_ and item.dispute_note.stands == "heuristic"
    assert item.dispute_note.llm_evidence is None and "carries no evidence" in item.dispute_note.why


def test_agreement_has_no_dispute_note():
    call = make_call(SAMPLE_LINES)
    card = heuristic_card(call, {"signal_first_opening": Verdict.fail})
    fake = FakeChatModel().enqueue(json.dumps({
        "signal_first_opening": {"evidence": [{"turn": 2, "quote": QUOTE}], "verdict": "fail", "advice": ""},
    }))  # fmt: skip
    item = LLMGrader(fake).grade(call, card, make_rubric(signal_first_opening="both")).item("signal_first_opening")
    assert not item.disputed and item.dispute_note is None
