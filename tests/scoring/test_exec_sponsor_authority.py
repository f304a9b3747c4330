"""The executive sponsor is a person or role with authority, not the words "budget" or "buy-in"."""

from __future__ import annotations

import pytest

from coach.scorecard import Verdict
from tests.scoring.conftest import score

PITCH = "AE: We have a reconciliation module that could help with the close.\n"


@pytest.mark.parametrize(
    ("reply", "mapped"),
    [
        # "budget" or "buy-in" beside nobody, or beside a capitalised word that names no one
        ("Customer: Yeah, but still, that's a chunk of change and we're already tight on budget. Do we really get value for it?", False),
        ("Customer: Right, right... What about the costs though? We have a budget.", False),
        ("Customer: I'd need buy-in from the team first. TestMaster sounds nice.", False),
        ("Customer: We have this tight budget and like, I need to justify spending that much.", False),
        # a person or role with authority
        ("Customer: Our CFO, Lena Park, owns that budget.", True),
        ("Customer: Helen signs off on anything like this.", True),
        ("Customer: It would need approval from our VP of Finance.", True),
        ("Customer: I'd need buy-in from our COO first.", True),
    ],
)
def test_a_sponsor_is_a_person_or_role_with_authority(reply: str, mapped: bool):
    card = score(PITCH + reply + "\nAE: Understood.")
    assert card.item("exec_sponsor").verdict is (Verdict.pass_ if mapped else Verdict.fail)


def test_a_name_titled_earlier_keeps_its_authority():
    card = score(
        PITCH
        + "Customer: Our VP of Ops, Dana Kruger, would notice it first.\n"
        + "AE: Would you like to add the module?\n"
        + "Customer: Maybe. I'd need to run it past Dana, it's not my budget alone.\n"
    )
    item = card.item("exec_sponsor")
    assert item.verdict is Verdict.pass_
    assert "Dana" in item.evidence[0].quote
