"""Evidence quotes are the words that matched, short, and always inside the turn they cite.

Every fixture call is scored (with its labelled sellers when it has labels, else with the
roles inferred) and every piece of evidence on the scorecard is checked: at most
`QUOTE_LIMIT` characters plus the ellipses marking a cut, and the quote without them is a
stretch of the cited turn's text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.callfiles import calls_in
from coach.checks.context import ELLIPSIS, QUOTE_LIMIT, clip_quote
from coach.evaluation import load_labels
from coach.readers import read_path
from coach.scorecard import Evidence, Scorecard
from coach.scoring import score_transcript
from coach.transcript import Transcript
from tests.scoring.conftest import score, snippet

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("fixtures/labelled", "fixtures/heldout", "fixtures/formats", "fixtures/sample")
CALLS = [path for folder in FOLDERS for path in calls_in(ROOT / folder)]


def _all_evidence(card: Scorecard) -> list[tuple[str, Evidence]]:
    found = [(item.id, e) for item in card.items for e in item.evidence]
    found += [("motion", e) for e in card.motion_evidence] + [("trigger", e) for e in card.trigger_evidence]
    return found


def _check(transcript: Transcript, card: Scorecard) -> list[str]:
    problems = []
    for where, evidence in _all_evidence(card):
        quote = evidence.quote
        bare = quote.removeprefix(ELLIPSIS).removesuffix(ELLIPSIS)
        if len(bare) > QUOTE_LIMIT:
            problems.append(f"{where}: quote of {len(bare)} characters")
        turn = transcript.turns[evidence.turn]
        if not bare or bare not in turn.text:
            problems.append(f"{where}: quote {quote[:60]!r} is not in turn {evidence.turn}")
    return problems


@pytest.mark.parametrize("path", CALLS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_quote_is_short_and_inside_its_turn(path: Path):
    labels = path.with_name(path.stem + ".labels.yaml")
    sellers = load_labels(labels).sellers if labels.exists() else None
    transcript = read_path(path, sellers=sellers) if sellers else read_path(path)
    card = score_transcript(transcript)
    assert not _check(transcript, card)


def test_a_run_on_monologue_is_quoted_around_the_match_not_whole():
    filler = " ".join(["and then we talked about the rollout plan with the regional teams"] * 40)
    call = (
        f"AE: {filler} and honestly I wanted to tell you about our new product {filler}\n"
        "Customer: Okay.\n"
    )
    transcript = snippet(call)
    card = score_transcript(transcript)
    never = card.item("never_say")
    assert never.evidence, never
    quote = never.evidence[0].quote
    assert quote.startswith(ELLIPSIS) and quote.endswith(ELLIPSIS)
    assert "tell you about our new product" in quote
    assert len(quote) <= QUOTE_LIMIT + 2
    assert not _check(transcript, card)
    # a whole-turn quote (the call ends without a next step) is cut too
    assert all(len(e.quote) <= QUOTE_LIMIT + 2 for item in card.items for e in item.evidence)


def test_clip_keeps_short_quotes_and_cuts_at_word_boundaries():
    text = "Short one. " + "word " * 200 + "MATCH here " + "tail " * 200
    assert clip_quote(text, "Short one.") == "Short one."
    quote = text[len("Short one. ") :].strip()
    clipped = clip_quote(text, quote, focus=text.index("MATCH"))
    assert "MATCH here" in clipped
    body = clipped.removeprefix(ELLIPSIS).removesuffix(ELLIPSIS)
    assert len(body) <= QUOTE_LIMIT and body in text
    assert body.split()[0] in ("word", "MATCH") and body.split()[-1] in ("tail", "here")


def test_single_speaker_file_json_stays_small():
    # the case: one speaker, tens of thousands of words, no punctuation
    # (as an exporter writes it: many lines by one speaker, merged into one long turn)
    line = "AE: so our team crossed ninety percent of seats and I wanted to tell you about our new product\n"
    card = score(line * 600 + "Customer: ok")
    assert len(card.call.speakers) == 2 and max(len(e.quote) for i in card.items for e in i.evidence) <= 301
    assert len(card.model_dump_json()) < 40_000
