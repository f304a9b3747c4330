"""The director and the facilitator on single lines: how the customer reacts, when the facilitator speaks."""

from __future__ import annotations

import pytest

from coach.roleplay.director import Director, DirectorState, Mood, MoveKind
from coach.roleplay.facilitator import review
from coach.roleplay.scenario import get_scenario
from coach.roleplay.session import RoleplayError, play_turn, start_session
from coach.rubric.schema import load_rubric
from coach.text.lines import analyse_seller_line
from tests.roleplay.plays import run_play
from tests.roleplay.support import REP, play
from coach.roleplay.scenario import Difficulty

SIGNAL = "I noticed your team crossed 212 of your 250 licensed seats this month, about 85% of the plan."
Q = [
    "Walk me through how your team handles adding new dispatchers today: who owns it, what tools, what's the cycle time?",
    "Where in that cycle do you lose the most time or accuracy, and what has that cost you in the last quarter?",
    "If you could fix one thing about this in the next two quarters, what would it be, and who on your team would feel the impact first?",
]
ASK = "Would you like to add 50 seats this quarter?"


def moves(lines, scenario="usage_threshold_upsell"):
    _, results = play(scenario, lines)
    return [(r.customer.move.kind, r.customer.move.mood) for r in results]


def test_signal_led_opening_warms_the_customer():
    assert moves([SIGNAL]) == [(MoveKind.answer, Mood.warm)]


def test_product_first_opening_cools_the_customer_and_it_stays_cool():
    got = moves(["We just launched a dispatch analytics module and I'd like to walk you through it.", SIGNAL, Q[0]])
    assert got[0] == (MoveKind.object, Mood.cool)
    assert got[2] == (MoveKind.reveal, Mood.cool)  # a later signal does not undo the first impression


def test_never_say_cools_one_step_and_a_cool_customer_hedges_on_a_meeting():
    meeting = "Could we spend 20 minutes mapping how your hubs work today?"
    assert moves([SIGNAL, "A lot of customers like you are buying this.", meeting]) == [
        (MoveKind.answer, Mood.warm), (MoveKind.object, Mood.neutral), (MoveKind.accept_meeting, Mood.neutral),
    ]  # fmt: skip
    assert moves(["This is the future of the category.", meeting]) == [
        (MoveKind.object, Mood.cool), (MoveKind.soft_no, Mood.cool),
    ]  # fmt: skip


def test_second_ask_after_a_soft_answer_makes_the_customer_defensive_then_ends_the_call():
    # at hard the customer's patience (one objection) is spent by the third ask
    state, results = run_play(
        "usage_threshold_upsell", [SIGNAL, ASK, "So can we get the order form signed this week?", "Should we go ahead and add them today?"],
        Difficulty.hard,
    )
    kinds = [(r.customer.move.kind, r.customer.move.mood) for r in results]
    assert kinds[1] == (MoveKind.soft_no, Mood.warm)
    assert kinds[2] == (MoveKind.object, Mood.defensive)
    assert kinds[3] == (MoveKind.end, Mood.defensive) and state.status.value == "ended"
    assert [n.rule for n in state.notes] == ["ask_once", "ask_once"]


def test_a_meeting_ask_after_a_soft_answer_is_not_a_second_ask():
    state, results = play("usage_threshold_upsell", [SIGNAL, *Q, ASK, "Could we spend 20 minutes mapping how your hubs onboard dispatchers today?"])
    assert results[-1].customer.move.kind is MoveKind.accept_meeting and state.notes == []


def test_questions_out_of_order_still_release_their_own_fact_only():
    _, results = play("usage_threshold_upsell", [Q[2], Q[0]])
    assert [r.customer.move.fact_ids for r in results] == [["seat_fix"], ["seat_workflow"]]


def test_demo_after_the_three_questions_is_fine():
    state, results = play("usage_threshold_upsell", [SIGNAL, *Q, "Let me share my screen and show you how that looks."])
    assert state.notes == [] and results[-1].customer.move.kind is not MoveKind.object


def test_escalation_customer_rewards_backing_off_and_ends_on_a_second_push():
    got = moves(["Understood. Let's fix the escalation and close the renewal first, and revisit anything new after that."], "escalation_back_off")
    assert got == [(MoveKind.answer, Mood.warm)]
    state, results = play("escalation_back_off", [Q[0], ASK])
    assert [r.customer.move.kind for r in results] == [MoveKind.object, MoveKind.end]
    assert state.notes == []  # pushing in an escalation is for the scorecard, not the facilitator


def test_send_me_information_then_just_agreeing_ends_the_call():
    state, results = play("send_me_information", ["Could we spend 20 minutes mapping how your team handles quality checks today?", "Sure, I'll send it over today."])
    assert results[0].customer.move.line_key == "info_request"
    assert "send me some information" in results[0].customer.text
    assert results[1].customer.move.kind is MoveKind.end and state.status.value == "ended"


def test_state_is_not_mutated_by_decide():
    director = Director(get_scenario("usage_threshold_upsell"), 7)
    before = DirectorState()
    director.decide(analyse_seller_line(ASK), before, 1)
    assert before == DirectorState()


@pytest.mark.parametrize("phrase", [p.says for p in load_rubric().item("never_say").detector.params.phrases])  # type: ignore[union-attr]
def test_facilitator_names_every_never_say_phrase(phrase):
    notes = review(analyse_seller_line(phrase), DirectorState(), turn=1, workflow="matching")
    assert [n.rule for n in notes][:1] == ["never_say"]
    assert phrase.lower().rstrip(".") in notes[0].message.lower() and notes[0].better


@pytest.mark.parametrize(
    "line",
    [
        "I'm not going to send you a deck; a deck is not a diagnostic.",
        "You've probably heard vendors say this is the future of the category.",
        SIGNAL, *Q,
        "Could we spend 20 minutes mapping how your team handles this today?",
        "Who would sign off on something like this?",
    ],
)
def test_facilitator_stays_quiet_on_good_lines(line):
    assert review(analyse_seller_line(line), DirectorState(), turn=1, workflow="matching") == []


def test_facilitator_on_price_and_demo_before_discovery_names_different_items():
    demo = review(analyse_seller_line("Let me share my screen and show you the module."), DirectorState(), turn=1, workflow="x")
    price = review(analyse_seller_line("It would be $40 per seat per month."), DirectorState(), turn=1, workflow="x")
    assert [(n.rule, n.item) for n in demo] == [("demo_before_discovery", "no_demo_before_discovery")]
    assert [(n.rule, n.item) for n in price] == [("price_before_discovery", "discovery_questions")]
    done = DirectorState(asked=[1, 2, 3])
    assert review(analyse_seller_line("Let me share my screen and show you the module."), done, turn=9, workflow="x") == []


def test_ended_session_and_bad_lines_are_one_line_errors():
    state, _ = play("send_me_information", ["Could we spend 20 minutes mapping how your team handles quality checks today?", "Sure, I'll send it over today."])
    with pytest.raises(RoleplayError, match="ended this call"):
        play_turn(state, "Hello?")
    fresh = start_session(get_scenario("renewal_window"), rep_name=REP)
    with pytest.raises(RoleplayError, match="empty"):
        play_turn(fresh, "   ")
    with pytest.raises(RoleplayError, match="longer than"):
        play_turn(fresh, "word " * 1000)
    with pytest.raises(RoleplayError, match="must differ"):
        start_session(get_scenario("renewal_window"), rep_name="Sam Okafor")
