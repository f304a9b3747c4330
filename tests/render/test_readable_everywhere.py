"""Every scorecard a rep can see reads as sentences: fixture calls and role-play sessions, in every format.

The prose (reasons, evidence notes, advice, warnings, the practice line,
metrics) must carry no raw data: no `{`/`}` (an unfilled `{slot}` of the rubric's
advice included), no `[slot]` placeholders, no
`Hits:` dumps, no field names such as `first_turn`, and the discovery details
must not contradict themselves ("asked: none" with "in order: yes").
Transcript words are the call's own and are left out of the check, as is a
double-quoted stretch of the call (a filled advice slot quotes the call).
"""

from __future__ import annotations

import json
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest

from coach.callfiles import calls_in
from coach.errors import CoachError
from coach.readers import read_path
from coach.render import OutputFormat, render
from coach.roleplay.scenario import Difficulty
from coach.roleplay.session import score_session, to_transcript
from coach.scorecard import Scorecard
from coach.scoring import score_transcript
from coach.transcript import Transcript
from tests.roleplay.plays import LEVEL_PLAYS, run_play

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("fixtures/labelled", "fixtures/heldout", "fixtures/sample")
RAW = [
    (re.compile(r"[{}]"), "a brace"),
    (re.compile(r"\\?\[\s*[a-z][a-z_ ]*\\?\]"), "a [slot] placeholder"),
    (re.compile(r"\bHits:"), "a Hits: dump"),
    (re.compile(r"\b(first_turn|last_turn|match_start|failure_mode)\b"), "a field name"),
    (re.compile(r"(?<=[:=] )(None|True|False)\b|\b(None|True|False)(?=[,;)\]])"), "a Python value"),
]


def fixture_cards() -> list[tuple[str, Scorecard, Transcript]]:
    cards = []
    for folder in FOLDERS:
        for path in calls_in(ROOT / folder):
            try:
                transcript = read_path(path)
                cards.append((f"{folder}/{path.name}", score_transcript(transcript), transcript))
            except CoachError:
                continue  # unreadable on purpose (the malformed-input fixtures live elsewhere)
    return cards


def roleplay_cards() -> list[tuple[str, Scorecard, Transcript]]:
    cards = []
    for scenario_id, levels in LEVEL_PLAYS.items():
        for level, plays in levels.items():
            for kind, play in plays.items():
                state, _ = run_play(scenario_id, play["rep_lines"], Difficulty(level))
                cards.append((f"roleplay {scenario_id} {level} {kind}", score_session(state), to_transcript(state)))
    return cards


@cache
def all_cards() -> tuple[tuple[str, Scorecard, Transcript], ...]:
    return tuple(fixture_cards() + roleplay_cards())


def _prose(card: Scorecard) -> list[str]:
    """Every text field of the JSON a person reads that is not the call's own words."""
    texts = [*card.warnings]
    for item in card.items:
        texts += [item.reason, item.advice, *(e.note for e in item.evidence)]
    texts += [e.note for e in card.motion_evidence + card.trigger_evidence + card.workflow_evidence]
    parties = card.parties
    for fact in [parties.customer_person, parties.customer_company, parties.seller_company, *parties.products]:
        if fact is not None:
            texts += [fact.detail, fact.evidence.note if fact.evidence else ""]
    return [t for t in texts if t]


def _without_call_words(text: str, transcript: Transcript, card: Scorecard) -> str:
    words = {t.text for t in transcript.turns} | {e.quote for i in card.items for e in i.evidence}
    words |= {e.quote for e in card.motion_evidence + card.trigger_evidence + card.workflow_evidence}
    words |= {s.name for s in transcript.speakers} | {transcript.source or ""}
    for quote in sorted(words, key=len, reverse=True):
        if quote:
            text = text.replace(quote, " ")
    said = " ".join(" ".join(t.text.split()) for t in transcript.turns)
    return _QUOTED.sub(lambda m: " " if " ".join(m[1].split()) in said else m[0], text)


_QUOTED = re.compile(r'"([^"]{8,})"')


class _Text(HTMLParser):
    """The text a reader sees in the HTML page (styles and scripts are not prose)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _visible(fmt: OutputFormat, card: Scorecard, transcript: Transcript) -> str:
    out = render(fmt, card, transcript)
    if fmt is OutputFormat.html:
        parser = _Text()
        parser.feed(out)
        out = "".join(parser.parts)
    if fmt is OutputFormat.md:
        out = re.sub(r"\\(.)", r"\1", out)  # Markdown escapes are not what the reader sees
        out = re.sub(r'<a id="[^"]*"></a>', "", out)
        out = re.sub(r"\]\(#[^)]*\)", "]", out)  # link targets
        out = re.sub(r"\[([^\]]*)\]", r"\1", out)  # link texts keep their words
    if fmt is OutputFormat.text:
        out = " ".join(out.split())  # wrapped table cells
        words = {t.text for t in transcript.turns} | {e.quote for i in card.items for e in i.evidence}
        for quote in sorted(words, key=len, reverse=True):
            out = out.replace(" ".join(quote.split()), " ")
    return _without_call_words(out, transcript, card)


def _raw_bits(text: str) -> list[str]:
    return [f"{what} ({match.group(0)!r} in ...{text[max(0, match.start() - 40) : match.end() + 40]}...)"
            for pattern, what in RAW for match in [pattern.search(text)] if match]  # fmt: skip


def test_the_check_sees_fixtures_and_roleplay_sessions():
    names = [name for name, _, _ in all_cards()]
    assert sum(n.startswith("fixtures/labelled") for n in names) >= 50
    assert sum(n.startswith("fixtures/heldout") for n in names) >= 20
    assert any(n.startswith("fixtures/sample") for n in names)
    assert sum(n.startswith("roleplay") for n in names) >= 6 * 3 * 2


def test_the_check_catches_what_it_is_for():
    assert _raw_bits("Hits: phrase: deck") and _raw_bits("details {}") and _raw_bits("first_turn: 3")
    assert _raw_bits("how your team handles [workflow] today") and _raw_bits(r"handles \[workflow\] today")
    assert _raw_bits("starting from how they work today, {workflow}:") and _raw_bits("Ask {customer} who signs")
    assert not _raw_bits("You asked Q1 (current workflow) and Q2 (where it hurts and what it costs).")


def test_json_prose_fields_read_as_sentences():
    problems = []
    for name, card, _ in all_cards():
        for text in _prose(card):
            problems += [f"{name}: {bit}" for bit in _raw_bits(text)]
        json.loads(render(OutputFormat.json, card))
    assert problems == []


def test_discovery_details_never_contradict_themselves():
    problems = []
    for name, card, _ in all_cards():
        details = card.item("discovery_questions").details
        if "asked" not in details:
            continue
        if len(details["asked"]) < 2 and details.get("in_order") is not None:
            problems.append(f"{name}: in_order {details['in_order']} with asked {details['asked']}")
        if not details["asked"] and details.get("before_demo_or_pricing") is not None:
            problems.append(f"{name}: before_demo_or_pricing with nothing asked")
    assert problems == []


@pytest.mark.parametrize("fmt", [OutputFormat.md, OutputFormat.html, OutputFormat.text])
def test_rendered_views_read_as_sentences(fmt):
    problems = []
    for name, card, transcript in all_cards():
        problems += [f"{name} ({fmt.value}): {bit}" for bit in _raw_bits(_visible(fmt, card, transcript))]
    assert problems == []


def test_roleplay_scorecards_name_the_level_in_every_view():
    for name, card, transcript in all_cards():
        if not name.startswith("roleplay"):
            continue
        level = name.split()[2]
        assert card.practice is not None and card.practice.difficulty == level
        for fmt in (OutputFormat.md, OutputFormat.html, OutputFormat.text):
            assert f"level {level}" in _visible(fmt, card, transcript), (name, fmt)
        assert json.loads(render(OutputFormat.json, card))["practice"]["difficulty"] == level


def test_a_real_call_has_no_practice_block_in_its_json():
    name, card, _ = next(c for c in all_cards() if c[0].startswith("fixtures/"))
    assert "practice" not in json.loads(render(OutputFormat.json, card)), name


def test_a_discount_line_is_never_cited_as_the_customers_signal():
    from coach.readers import read_bytes

    call = (
        b"Sam Lee: Hi, Sam here.\n"
        b"Alex Rep: We just launched the Enterprise plan and I'd like to show you.\n"
        b"Sam Lee: Okay.\n"
        b"Alex Rep: We can give you a discount if you decide this quarter, since your renewal comes up in 120 days.\n"
        b"Sam Lee: Hm.\n"
    )
    item = score_transcript(read_bytes(call, name="discount.txt", sellers=["Alex Rep"])).item("signal_first_opening")
    assert item.verdict.value == "fail"
    assert [e.note for e in item.evidence] == ["product before any customer signal"]
    assert all("discount" not in e.quote for e in item.evidence)


def test_advice_slots_show_the_calls_own_facts_on_real_calls():
    """The bundled rubric's slots are filled from real calls' evidence, not only ever the fallback."""
    from coach.advice_slots import slot_values
    from coach.rubric.schema import load_rubric

    fallbacks = load_rubric().advice_slots
    filled = {name: 0 for name in fallbacks}
    for name, card, _ in all_cards():
        values = slot_values(card)
        advice = " ".join(i.advice for i in card.items)
        for slot, value in values.items():
            filled[slot] += value in advice
    assert all(count >= 3 for count in filled.values()), filled
