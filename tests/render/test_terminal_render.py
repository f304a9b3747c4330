from coach.render.terminal import render_text


def test_plain_text_carries_verdicts_evidence_and_advice(card):
    text = render_text(card, width=120)
    assert "\x1b[" not in text
    assert "acme_expansion.vtt" in text and "score 39/100" in text
    assert "motion cross-sell · trigger usage threshold" in text
    flat = " ".join(text.split())
    for item in card.items:  # the title the scorecard carries, else the item's id in words
        assert (item.title or item.id.replace("_", " ").capitalize())[:10] in flat
    assert "✗ Fail" in text and "✓ Pass" in text and "– Not applicable" in text
    assert "turn 2 · Priya Shah · 0:15" in flat
    assert "Let me send you a deck" in flat
    assert "→ After 'let me think', stop asking" in flat
    assert "Seller talk ratio" in text and "0.62" in text
    assert "no active renewal negotiation or open escalation was mentioned" in flat
    assert "disputed" in text
    assert "motion evidence, turn 6 · Dan Ortiz · 1:10: “adding the Reconcile module to your plan”" in flat
    assert "LLM grader: ok · local model qwen2.5-1.5b-instruct · 1 item graded" in flat


def test_lines_fit_the_width(card):
    for width in (60, 100):
        text = render_text(card, width=width)
        assert max(len(line) for line in text.splitlines()) <= width


def test_colour_only_when_asked(card):
    assert "\x1b[" in render_text(card, color=True)
