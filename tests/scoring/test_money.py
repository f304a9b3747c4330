"""Amounts of money are one thing whatever their spelling: the price rule, and every other
verdict, must not move when only the way a price is written changes."""

from __future__ import annotations

import pytest

from coach.scorecard import Verdict
from coach.text.lines import analyse_seller_line
from tests.scoring.conftest import score

SPELLINGS = [
    "$5000",
    "$5,000",
    "$5k",
    "$5K",
    "5k",
    "5000 dollars",
    "5,000 dollars",
    "five thousand dollars",
    "5 grand",
    "USD 5000",
    "€4.5k",
    "£5,000",
    "5000 bucks",
]

# The seller volunteers a price before anyone on the buying side who signs is known.
VOLUNTEERED = """
AE: We noticed your team crossed 212 of your 250 licensed seats this month.
Customer: Yeah, AP came on board.
AE: The analytics add-on is {amount} a month for your whole team.
Customer: Let me think about it.
AE: Of course. Shall we put 15 minutes on Thursday at 10am with Dana?
Customer: Sure.
"""

# The customer asks for the price; the seller answers it.
ASKED = """
AE: We noticed your team crossed 212 of your 250 licensed seats this month.
Customer: Okay. How much is the analytics add-on?
AE: It's {amount} a month for your whole team.
Customer: Let me think about it.
AE: Of course. Shall we put 15 minutes on Thursday at 10am with Dana?
Customer: Sure.
"""


def _verdicts(call: str) -> dict[str, str]:
    return {item.id: item.verdict.value for item in score(call).items}


@pytest.mark.parametrize("template", [VOLUNTEERED, ASKED], ids=["volunteered", "asked"])
def test_every_spelling_of_a_price_gets_identical_verdicts(template: str):
    by_spelling = {amount: _verdicts(template.format(amount=amount)) for amount in SPELLINGS}
    reference = by_spelling[SPELLINGS[0]]
    differ = {amount: {k: v for k, v in got.items() if reference[k] != v} for amount, got in by_spelling.items()}
    assert not any(differ.values()), f"verdicts moved with the spelling alone: {differ}"


@pytest.mark.parametrize("amount", SPELLINGS)
def test_a_volunteered_price_before_the_sponsor_is_a_fault_in_every_spelling(amount: str):
    card = score(VOLUNTEERED.format(amount=amount))
    never = card.item("never_say")
    assert never.verdict is Verdict.fail
    assert [h["phrase"] for h in never.details["hits"]] == ["pricing_before_sponsor"]
    assert amount in never.evidence[0].quote


@pytest.mark.parametrize("amount", SPELLINGS)
def test_a_price_the_customer_asked_for_is_not_a_fault_and_the_evidence_says_so(amount: str):
    card = score(ASKED.format(amount=amount))
    never = card.item("never_say")
    assert never.verdict is Verdict.pass_, never.details
    notes = [e.note for e in never.evidence]
    assert "the customer asked for the price" in notes
    assert any("because the customer asked" in n for n in notes)
    assert any(amount in e.quote for e in never.evidence)


@pytest.mark.parametrize(
    "line",
    ["It's five thousand a month.", "That would be about 68 thousand a year.", "It's €4.5k per seat.", "It comes to USD 5000."],
)
def test_written_out_amounts_are_prices(line: str):
    assert analyse_seller_line(line).pricing, line


@pytest.mark.parametrize(
    "line",
    ["We have five thousand users now.", "You processed 5,200 invoices last quarter.", "We onboard about 5k people a year."],
)
def test_counts_that_are_not_money_are_not_prices(line: str):
    assert not analyse_seller_line(line).pricing, line


def test_a_customer_question_about_cost_is_read_as_a_price_question():
    from coach.text.lines import get_analyser
    from coach.text.matching import DocArrays

    analyser = get_analyser()
    nlp = analyser.lexicon.nlp
    def asks_price(line: str) -> bool:
        _, sentences = analyser.analyse(line, DocArrays.of(nlp(line)), "customer")
        return any(s.has("never_say.price_question") for s in sentences)

    for line in ("How much is it?", "What does the pricing look like?", "Isn't it expensive?", "what's the cost"):
        assert asks_price(line), line
    assert not asks_price("How much time do you lose at month-end?")
