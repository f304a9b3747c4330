"""The views over a scorecard from the real pipeline (readers + detectors + rubric) on the bundled sample."""

from pathlib import Path

import pytest

from coach.readers import read_path
from coach.render import OutputFormat, render
from coach.render.markdown import md_escape
from coach.render.view import build_timeline
from coach.rubric.schema import load_rubric
from coach.scoring import score_transcript

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample"


@pytest.fixture(scope="module")
def scored():
    path = next(p for p in (SAMPLE / "expansion_call.vtt", SAMPLE / "expansion_call.txt") if p.exists())
    transcript = read_path(path, sellers=["Priya Shah", "Dan Ortiz"])
    return score_transcript(transcript), transcript


def test_every_quote_the_detectors_cite_is_marked_verbatim(scored):
    card, transcript = scored
    cited = [(e.turn, e.quote) for item in card.items for e in item.evidence]
    assert cited, "the sample call should produce evidence"
    timeline = {t.index: t for t in build_timeline(card, transcript)}
    for turn, quote in cited:
        marked = [s.text for s in timeline[turn].segments if s.cited]
        assert marked, f"turn {turn} is cited but nothing is marked"
        assert any(quote.strip() in m or m in quote for m in marked), (turn, quote, marked)


def test_all_views_render_the_real_scorecard(scored):
    card, transcript = scored
    # The scorecard carries each item's title from the rubric: no view needs the rubric to name an item.
    titles = {item.id: item.title for item in load_rubric().items}
    assert {item.id: item.title for item in card.items} == titles
    for fmt in OutputFormat:
        text = render(fmt, card, transcript, width=240)
        assert (md_escape(card.call.source) if fmt is OutputFormat.md else card.call.source) in text
        if fmt is not OutputFormat.json:
            assert titles["discovery_questions"] in " ".join(text.split())
    page = render(OutputFormat.html, card, transcript)
    for item in card.items:
        for evidence in item.evidence:
            assert f'href="#turn-{evidence.turn}"' in page
