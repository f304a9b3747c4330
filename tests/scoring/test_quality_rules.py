"""The quality rules issue 3 sets for the detectors, each pinned by a small realistic exchange."""

from __future__ import annotations

import pytest

from coach.text.lines import analyse_customer_line, analyse_seller_line
from tests.scoring.conftest import score

# -- only seller lines break seller rules ---------------------------------------------------


def test_customer_saying_banned_phrases_is_not_a_violation():
    call = """
AE: We noticed you crossed 90% of your seats last month.
Customer: Vendors always tell me this is the future of the category. Just send me a deck.
AE: Happy to send a one-pager; which of the three questions matters most to you so I send the right one?
Customer: Honestly our CEO would love to meet your CEO.
"""
    result = score(call).item("never_say")
    assert result.verdict.value == "pass"
    assert result.details["hits"] == []


def test_seller_saying_it_is_a_violation_with_evidence():
    call = """
AE: We noticed you crossed 90% of your seats last month.
Customer: Yes.
AE: Our CEO would love to meet your CEO, by the way.
"""
    result = score(call).item("never_say")
    assert result.verdict.value == "fail"
    hit = result.details["hits"][0]
    assert hit["phrase"] == "ceo_meets_ceo" and hit["speaker"] == "AE"
    assert result.evidence[0].quote == "Our CEO would love to meet your CEO, by the way."
    assert result.evidence[0].turn == 2


# -- negation and reported speech -------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "I'm not going to send you a deck.",
        "I won't send you a deck, a deck is not a diagnostic.",
        "You've probably heard vendors say this is the future of the category.",
        "Other vendors say it's the future of the category.",
        "I'm not going to ask you to loop in your finance team.",
        "Instead of sending you slides, let's map your process.",
    ],
)
def test_negated_or_reported_phrases_are_not_hits(line):
    assert analyse_seller_line(line).never_say == []


@pytest.mark.parametrize(
    ("line", "phrase"),
    [
        ("Let me send you a deck after this.", "send_deck"),
        ("Honestly, I'd say this is the future of the category.", "future_of_category"),
        ("I wanted to walk you through our new product, Signal Chat.", "new_product"),
        ("Lots of companies like yours are moving to Pro right now.", "customers_like_you"),
        ("I can knock 20 percent off if you sign before our quarter closes.", "discount_this_quarter"),
        ("Can you get your finance folks looped in?", "loop_in_finance"),
        ("I don't know, but let me send you a deck.", "send_deck"),
        ("Why don't I send you a deck?", "send_deck"),
    ],
)
def test_own_voice_and_paraphrases_are_hits(line, phrase):
    assert [h.label for h in analyse_seller_line(line).never_say] == [phrase]


# -- discovery: paraphrases count, generic questions do not -------------------------------------


@pytest.mark.parametrize(
    ("line", "question"),
    [
        ("Walk me through how your team handles reconciliation today?", 1),
        ("Paint me a picture of how a change goes through security review today.", 1),
        ("Who sets them up, and in what, and how long till they're on jobs?", 1),
        ("Where in that cycle do you lose the most time, and what has it cost you?", 2),
        ("Which part of that costs you the most, and what did it cost last quarter?", 2),
        ("And where's the pain in that? What's it cost you?", 2),
        ("If you had a magic wand for one thing by mid-year, what would it be?", 3),
        ("So if you fixed one thing before spring, what would it be, and who notices first?", 3),
    ],
)
def test_paraphrased_discovery_questions_count(line, question):
    assert question in analyse_seller_line(line).discovery_questions


@pytest.mark.parametrize(
    "line",
    [
        "What are your biggest challenges this year?",
        "What keeps you up at night?",
        "Tell me a bit about your business. What are the big priorities for you guys this year?",
        "How are you doing today?",
        "Who owns the budget for this?",
        "Could we spend 20 minutes mapping how your team handles matching today?",
    ],
)
def test_generic_questions_and_meeting_asks_are_not_discovery(line):
    assert analyse_seller_line(line).discovery_questions == []


def test_discovery_details_report_asked_and_order():
    call = """
AE: If you could fix one thing in the next two quarters, what would it be?
Customer: Matching.
AE: How does your team handle matching today?
Customer: Spreadsheets.
"""
    result = score(call).item("discovery_questions")
    assert result.verdict.value == "fail"
    assert result.details["asked"] == [1, 3]
    assert result.details["in_order"] is False
    assert [e.note.split(":")[0] for e in result.evidence] == ["Q3", "Q1"]


# -- commercial ask vs meeting ask --------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Would you like to add the 40 seats this month?",
        "Shall we get you upgraded to the Growth plan?",
        "Can we get the order form signed this week?",
        "I'd love to get you moved up. Can we do that?",
        "Would you want to move to Enterprise?",
    ],
)
def test_commercial_asks(line):
    signals = analyse_seller_line(line)
    assert signals.commercial_ask and not signals.meeting_ask


@pytest.mark.parametrize(
    "line",
    [
        "Could we spend 20 minutes mapping how your team handles this today?",
        "Can we book 30 minutes with Dana on Thursday?",
        "Are you open to moving forward with a short diagnostic next week?",
    ],
)
def test_meeting_asks_are_not_commercial(line):
    signals = analyse_seller_line(line)
    assert signals.meeting_ask and not signals.commercial_ask


def test_statements_and_negated_asks_are_not_asks():
    assert not analyse_seller_line("We're running a promo: if you add seats before December, you get 20% off.").commercial_ask
    assert not analyse_seller_line("I'm not asking you to sign anything today.").commercial_ask


def test_repeated_meeting_ask_is_not_an_ask_once_violation():
    call = """
AE: Could we spend 20 minutes next week mapping how you handle intake today?
Customer: Let me think about it.
AE: Would Thursday work for that session?
Customer: Maybe.
"""
    assert score(call).item("ask_once").verdict.value == "not_applicable"


# -- soft answers, asks after a yes ------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    ["Let me think about it.", "I need to run it by Dana.", "Not sure yet.", "Maybe next quarter.", "I'd have to check with our CFO."],
)
def test_soft_answers_are_recognised(line):
    signals = analyse_customer_line(line)
    assert signals.soft_answer


def test_ask_after_yes_is_paperwork_not_a_violation():
    call = """
AE: Would you like to add 50 seats?
Customer: Yes, let's do it.
AE: Great, shall I send the order form today?
Customer: Please.
"""
    result = score(call).item("ask_once")
    assert result.verdict.value == "pass"
    assert result.details["answers"][0] == "yes"


def test_re_ask_after_soft_answer_fails_with_both_asks_as_evidence():
    call = """
AE: Would you like to add 50 seats?
Customer: I need to run it by Dana.
AE: Understood. So are we good to go ahead with the 50 seats, and Dana can sign after?
Customer: No, Dana first.
"""
    result = score(call).item("ask_once")
    assert result.verdict.value == "fail"
    assert result.details["failure_mode"] == "repeated_after_soft"
    assert [e.turn for e in result.evidence] == [0, 1, 2]
    assert [e.note for e in result.evidence] == ["first commercial ask", "soft answer", "asked again"]


def test_ask_by_a_second_seller_after_a_soft_answer_also_fails():
    call = """
CSM: Would you want to move to the Enterprise tier?
Customer: Not sure yet.
AE: Can we get that upgrade signed this month?
"""
    assert score(call).item("ask_once").verdict.value == "fail"


# -- order and position in the call -------------------------------------------------------------------

DISCOVERY = """
AE: Walk me through how your team handles matching today?
Customer: Spreadsheets, two analysts.
AE: Where do you lose the most time, and what did that cost last quarter?
Customer: Month-end, about forty hours.
AE: If you could fix one thing in the next two quarters, what would it be, and who would feel it first?
Customer: Matching. Our controller.
"""
DEMO = "AE: Let me share my screen and show you the matching module.\nCustomer: Okay.\n"


def test_demo_after_discovery_passes_and_before_fails():
    after = score(DISCOVERY + DEMO)
    assert after.item("no_demo_before_discovery").verdict.value == "pass"
    assert after.item("discovery_questions").verdict.value == "pass"
    before = score(DEMO + DISCOVERY)
    assert before.item("no_demo_before_discovery").verdict.value == "fail"
    discovery = before.item("discovery_questions")
    assert discovery.verdict.value == "fail" and discovery.details["failure_mode"] == "after_demo"


def test_signal_before_pitch_passes_and_pitch_before_signal_fails():
    signal = "AE: We noticed your team crossed 212 of your 250 seats this month.\nCustomer: Yes.\n"
    pitch = "AE: We just launched a reconciliation module.\nCustomer: Okay.\n"
    assert score(signal + pitch).item("signal_first_opening").verdict.value == "pass"
    result = score(pitch + signal).item("signal_first_opening")
    assert result.verdict.value == "fail"
    assert result.details["failure_mode"] == "product_first"
    assert result.evidence[0].quote == "We just launched a reconciliation module."


def test_small_talk_does_not_count_either_way():
    call = """
AE: How was your weekend?
Customer: Great, went hiking.
AE: You said on our last call that manual reconciliation is killing the close.
Customer: Still true.
AE: We have a matching module that could help there.
"""
    assert score(call).item("signal_first_opening").verdict.value == "pass"


def test_escalation_with_two_pushes_in_one_sentence_is_one_fail():
    # two push kinds at the same position once crashed the sort (LineHit has no order)
    call = """
Customer: We still have an open escalation on the sync outage.
AE: Let me send you a deck and the pricing, and would you like to add the analytics module?
"""
    result = score(call).item("escalation_guard")
    assert result.verdict.value == "fail"
    assert result.evidence[0].note == "open escalation or renewal negotiation"


def test_rejecting_the_vendor_quarter_is_customer_timing():
    call = """
AE: Would you like to add the matching module?
Customer: Maybe after the close.
AE: We'll plan around your March close, not our quarter-end.
"""
    result = score(call).item("customer_timeline")
    assert result.verdict.value == "pass"
    assert result.evidence[0].quote == "We'll plan around your March close, not our quarter-end."


def test_a_colleague_joining_the_call_is_not_an_exec_change_signal():
    signals = analyse_seller_line("Is Dana joining as well?")
    assert signals.signal == []
    assert analyse_seller_line("Amara Diallo joined as your Chief People Officer five weeks ago.").signal
