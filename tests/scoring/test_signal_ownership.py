"""A signal is the customer's situation; the vendor's claims and case studies are not signals."""

from __future__ import annotations

import pytest

from coach.scorecard import Verdict
from coach.text.lines import analyse_seller_line
from tests.scoring.conftest import score

CLAIMS = [
    "We've seen teams cut their testing cycles by over 50%.",
    "Our customers typically save 30% on review time.",
    "So, most clients see a reduction in testing time by like 30% which means faster releases.",
    "Teams that use our add-on close the books 40% faster.",
    "Companies your size usually hit 90% adoption in the first 3 months.",
    "One of our customers cut onboarding from 14 days to 3 days.",
    "I saw a few articles about AI in testing, pretty cool stuff.",
    "We see that a lot.",
]

OWN = [
    "We noticed your team crossed 85% of your licensed seats.",
    "Teams like yours usually upgrade around now, and you're at 92 of 100 seats.",
    "Our customers typically save 30%, and your team has already crossed 212 of 250 seats.",
    "You said on our last call that manual reconciliation is killing the close.",
    "I noticed your ticket volume doubled since March.",
]


@pytest.mark.parametrize("line", CLAIMS)
def test_a_vendor_claim_is_not_a_signal(line: str):
    assert not analyse_seller_line(line).signal, line


@pytest.mark.parametrize("line", OWN)
def test_the_customers_own_figure_is_a_signal(line: str):
    assert analyse_seller_line(line).signal, line


def test_an_opening_on_a_case_study_is_not_signal_first():
    card = score(
        """
AE: Thanks for the time. We've seen teams cut their testing cycles by over 50% with our automation suite.
Customer: Okay.
AE: Would you like to add the automation suite this quarter?
Customer: Let me think.
"""
    )
    item = card.item("signal_first_opening")
    assert item.verdict is Verdict.fail
    assert not any("50%" in e.quote for e in item.evidence if e.note == "opens on a customer signal")
