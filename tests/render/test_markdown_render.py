import re

from coach.render.markdown import md_escape, render_markdown


def test_markdown_lists_every_item_with_verdict_evidence_and_advice(card):
    text = render_markdown(card)
    assert text.startswith("# Scorecard: acme\\_expansion.vtt")
    assert "**Score:** 39/100" in text
    assert "**Motion:** cross-sell" in text
    for item in card.items:
        assert f'<a id="item-{item.id}"></a>' in text
        if item.advice:
            assert f"**Advice:** {md_escape(item.advice)}" in text
    assert "### Ask once, not twice: ✗ Fail" in text
    assert "### Exec sponsor: ✓ Pass" in text
    assert "### Escalation guard: – Not applicable" in text
    assert "“Let me send you a deck” — _banned: deck_" in text
    # details are data for tools: the reader gets the reason's sentence, never "Asked: 1 / In order: yes"
    assert "- Asked: 1" not in text and "In order" not in text
    assert "_Why:_ " + md_escape("You asked Q1 (current workflow); never asked: Q2") in text
    assert "| Seller talk ratio | 0.62 |" in text
    assert "_Why:_ no active renewal negotiation or open escalation was mentioned" in text
    assert "· **disputed** (heuristics and LLM disagreed)" in text
    assert "**LLM grader:** ok · local model qwen2.5-1.5b-instruct · 1 item graded" in text


def test_without_a_transcript_there_is_no_timeline_and_no_dangling_links(card):
    text = render_markdown(card)
    assert "## The call" not in text
    assert "(#turn-" not in text


def test_timeline_puts_each_side_in_its_lane_and_links_evidence(card, call):
    text = render_markdown(card, call)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "<a id=\"turn-" in line]
    assert len(rows) == len(call.turns)
    for row, turn in zip(rows, call.turns):
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
        assert len(cells) == 3, row
        seller_cell, customer_cell = cells[1], cells[2]
        if call.role_of(turn).value == "seller":
            assert seller_cell and not customer_cell
        else:
            assert customer_cell and not seller_cell
    assert "| 1:02:05 |" in text
    for item in card.items:
        for evidence in item.evidence:
            assert f"(#turn-{evidence.turn})" in text
            assert f'<a id="turn-{evidence.turn}"></a>' in text
    assert "**Let me send you a deck**" in text
    assert "- Trigger evidence, [turn 3 · Marcus Lee · 0:31](#turn-3): “Our close takes eight days”" in text


def test_transcript_text_cannot_inject_markup(card, call):
    text = render_markdown(card, call)
    assert "<script>" not in text
    assert "\\<script\\>alert\\(1\\)\\</script\\>" in text
    assert "\\*painful\\*" in text
    assert "it's \\| " in text
