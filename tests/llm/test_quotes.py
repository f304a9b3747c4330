import pytest

from coach.llm.quotes import find_quote

TEXT = "Marcus, walk me through how your team   handles reconciliation today: who owns it, what tools?"


@pytest.mark.parametrize(
    ("quote", "expected"),
    [
        ("walk me through how your team handles", "walk me through how your team   handles"),
        ("WALK ME THROUGH HOW YOUR TEAM HANDLES", "walk me through how your team   handles"),
        ('"who owns it, what tools?"', "who owns it, what tools"),
        ("handles reconciliation today:", "handles reconciliation today"),
    ],
)
def test_quotes_match_after_folding_and_return_the_source_text(quote, expected):
    span = find_quote(quote, TEXT)
    assert span is not None
    assert TEXT[span[0] : span[1]] == expected


@pytest.mark.parametrize(
    "quote",
    [
        "walk me through how our team handles",  # one word changed
        "reconciliation is killing us",  # not said
        "who",  # too short to prove anything
        "   ",
    ],
)
def test_quotes_not_in_the_text_do_not_verify(quote):
    assert find_quote(quote, TEXT) is None


def test_typographic_quotes_and_dashes_fold():
    text = "We\u2019re at 85% \u2014 that\u2019s the trigger"
    span = find_quote("we're at 85% - that's the trigger", text)
    assert span is not None and text[span[0] : span[1]] == text
