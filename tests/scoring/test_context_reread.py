"""`CallContext.reread`: the same turns read with another rubric or other roles reuse the token
arrays, and must find exactly what a fresh reading finds."""

from __future__ import annotations

import pytest

from coach.checks.context import CallContext
from coach.rubric.choice import bundled_rubric
from coach.rubric.schema import load_rubric
from coach.transcript import Role
from tests.scoring.conftest import snippet

CALL = """
AE: Thanks for calling in. What made you reach out?
Buyer: We've been looking into test automation tools. How much does it cost?
AE: It's $500 a month for the team plan, but how does your team run regression tests today?
Buyer: By hand, it takes 3 days every release. Um, we also have an open escalation on the old tool.
AE: I won't send you a deck. Who else would be involved in deciding on a tool like this?
Buyer: My VP of engineering, she signs off on anything over $5k.
AE: Could we do Thursday at 10am with your VP?
Buyer: Thursday works.
"""


def _reading(ctx: CallContext) -> list[tuple[str, object, object]]:
    """Everything a detector reads of each turn: role, signals, sentences with their keys."""
    return [(view.speaker, view.role, view.signals.model_dump(), [vars_of(s) for s in view.sentences])
            for view in ctx.turns]  # fmt: skip


def vars_of(sentence) -> tuple:
    return (sentence.start_token, sentence.end_token, sentence.start_char, sentence.end_char,
            sentence.is_question, sorted(sentence.keys.items()))  # fmt: skip


def test_reread_with_another_rubric_equals_a_fresh_reading():
    transcript = snippet(CALL)
    first_call = bundled_rubric("first_call_discovery")
    assert first_call is not None
    expansion = CallContext(transcript, load_rubric())
    again = expansion.reread(first_call)
    fresh = CallContext(transcript, first_call)
    assert again.rubric is first_call
    assert _reading(again) == _reading(fresh)
    assert _reading(again) != _reading(expansion)  # the rubric's own keys were matched, not the old ones
    # the arrays themselves were not rebuilt
    assert all(a.arrays is b.arrays for a, b in zip(again.turns, expansion.turns))


def test_reread_with_other_roles_equals_a_fresh_reading():
    transcript = snippet(CALL)
    ctx = CallContext(transcript, load_rubric())
    swapped = transcript.model_copy(deep=True)
    for speaker in swapped.speakers:
        speaker.role = Role.customer if speaker.role is Role.seller else Role.seller
    again = ctx.reread(transcript=swapped)
    assert [v.role for v in again.turns] != [v.role for v in ctx.turns]
    assert _reading(again) == _reading(CallContext(swapped, load_rubric()))


def test_arrays_of_another_call_are_refused():
    ctx = CallContext(snippet(CALL), load_rubric())
    other = snippet("AE: Hello there.\nBuyer: Hi.")
    with pytest.raises(ValueError, match="another call"):
        ctx.reread(transcript=other)
