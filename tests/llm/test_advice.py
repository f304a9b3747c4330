"""The usefulness check on LLM advice, on replies the embedded model really wrote and on good ones."""

from __future__ import annotations

import pytest

from coach.llm.advice import call_vocabulary, useful, why_not_useful

CALL = call_vocabulary([
    "Your team crossed 212 of your 250 licensed seats this month.",
    "Yeah, finance onboarded the whole AP group. Month-end reconciliation is killing us.",
    "Marcus Lee signs off on anything above fifty thousand.",
])
ITEM = (
    "Signal-first opening. The seller opens with the customer's own signal (usage, a new sponsor, "
    "the renewal window) before any product talk. Lead with the customer's signal, not the product."
)


@pytest.mark.parametrize(
    ("advice", "why"),
    [
        # Junk the embedded SmolLM2-135M wrote on the sample call (issue 13).
        ("no, no further questions asked about the next item; no more details in this call.", "proposes no line the rep could say"),
        ('Say: "Walk me through how your team handles [workflow] today, and who owns it?"', "has a placeholder"),
        ("yes", "not prose"),
        ("- - - - - - - - - - - - - - -", "not prose"),
        # The item read back, with a question mark to look like a line.
        ("Lead with the customer's signal, not the product: open with the signal before any product talk?", "names nothing said in the call"),
        ('Ask them: "What are your goals for the next quarter, and who decides?"', "names nothing said in the call"),
    ],
)
def test_advice_that_is_not_useful_is_refused_with_its_reason(advice, why):
    assert why_not_useful(advice, ITEM, CALL) == why
    assert useful(advice, ITEM, CALL) == ""


@pytest.mark.parametrize(
    "advice",
    [
        'Open with it: "Your team crossed 212 of 250 seats this month; is the reconciliation load growing with it?"',
        "Ask Marcus directly: who else signs off on a purchase above fifty thousand, and how do we reach them?",
    ],
)
def test_advice_naming_the_call_and_proposing_a_line_is_kept(advice):
    assert why_not_useful(advice, ITEM, CALL) is None
    assert useful(advice, ITEM, CALL) == advice


@pytest.mark.parametrize(
    ("advice", "why"),
    [
        # What the 1.5B model wrote (benchmarks/bench_models.py): the rubric's example figure as if
        # it were this call's, and a person who is not on the call. Both passed the other checks.
        ('Open with it: "I saw your team crossed 50 active seats; is month-end reconciliation why?"', "uses 50, which the call never says"),
        ('Ask Sam: "Who besides Marcus signs off on the reconciliation budget?"', "uses sam, which the call never says"),
    ],
)
def test_advice_that_invents_a_figure_or_a_name_is_refused(advice, why):
    assert why_not_useful(advice, ITEM, CALL) == why


def test_names_at_the_start_of_a_sentence_or_a_quote_are_grammar_not_names():
    advice = 'Say it plainly. "Given month-end reconciliation, who signs off above fifty thousand, Marcus?"'
    assert why_not_useful(advice, ITEM, CALL) is None
    # A possessive in the call still names the person.
    assert why_not_useful("Ask: \"Is Marcus's team running reconciliation this month?\"", ITEM, call_vocabulary(["Marcus's team runs reconciliation."])) is None


def test_rubric_advice_has_no_placeholder_left():
    import re

    from coach.rubric.schema import load_rubric

    for item in load_rubric().items:
        for mode, text in item.advice.items():
            assert not re.search(r"\[[A-Za-z_ ]+\]", text), f"{item.id}.advice.{mode} has a placeholder: {text}"
