"""Prompt size: one request per call that fits, and every request's prompt <= its transcript's tokens + 1,500.

"Transcript tokens" are the embedded tokenizer's count of the request's turns
as plain `Name: text` lines, computed here independently of the grader. Counts
use the embedded model's own tokenizer (it matched the server's reported
prompt tokens to within one token), over the bundled rubric, every labelled
call with its real heuristic scorecard (so advice requests for the failed
items are in the prompt), and synthetic 60-minute calls that must be graded in
windows.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from benchmarks.bench_scoring import SELLER, fixture_lines, synthetic_call
from coach.llm.grader import LLMGrader
from coach.llm.tokens import embedded_tokenizer
from coach.readers import read_bytes, read_path
from coach.rubric.schema import load_rubric
from coach.scoring import score_transcript
from coach.transcript import Transcript, Turn

ROOT = Path(__file__).resolve().parent.parent.parent
BUDGET = 1500
CALLS = sorted(p for p in (ROOT / "fixtures/labelled").iterdir() if not p.name.endswith(".labels.yaml") and p.suffix != ".md")


def sellers(path: Path) -> list[str]:
    labels = path.with_name(path.name.rsplit(".", 1)[0] + ".labels.yaml")
    return list(yaml.safe_load(labels.read_text())["sellers"])


def spoken_tokens(transcript: Transcript, turns: list[Turn]) -> int:
    return embedded_tokenizer().count("\n".join(f"{transcript.speaker_name(t)}: {t.text}" for t in turns))


@pytest.fixture(scope="module")
def grader(planning_grader) -> LLMGrader:
    return planning_grader


@pytest.fixture(scope="module")
def rubric():
    rubric = load_rubric()
    assert any(item.grader != "heuristic" for item in rubric.items), "the bundled rubric grades some items with the LLM"
    return rubric


def check_requests(grader: LLMGrader, transcript: Transcript, rubric) -> list:
    card = score_transcript(transcript, rubric)
    planned = grader.plan(transcript, card, rubric)
    for request in planned:
        turns = [t.turn for t in request.window.turns]
        assert request.prompt_tokens == grader.model.count_messages(request.messages)  # counted before sending
        assert request.prompt_tokens + request.max_tokens <= grader.model.info.context_tokens
        transcript_tokens = spoken_tokens(transcript, turns)
        assert request.prompt_tokens <= transcript_tokens + BUDGET, (request.window.number, request.prompt_tokens, transcript_tokens)
    failed = [i.id for i in card.items if i.verdict.value == "fail" and i.id not in {x.id for x in grader.llm_items(rubric)}]
    asked = [a.id for r in planned for a in r.window.advice]
    assert sorted(asked) == sorted(failed)  # every heuristic fail is asked for advice, once, within the budget
    return planned


@pytest.mark.parametrize("path", [ROOT / "fixtures/sample/expansion_call.txt", *CALLS], ids=lambda p: p.name)
def test_labelled_calls_fit_one_request_within_the_budget(path, grader, rubric):
    transcript = read_path(path, sellers=sellers(path) if path.parent.name == "labelled" else ["Priya Shah", "Dan Ortiz"])
    planned = check_requests(grader, transcript, rubric)
    assert len(planned) == 1  # every labelled call fits one request


@pytest.mark.parametrize("seed", [1, 2])
def test_a_sixty_minute_call_is_graded_in_windows_each_within_the_budget(seed, grader, rubric):
    transcript = read_bytes(synthetic_call(fixture_lines(), 9000, seed), name=f"hour_{seed}.txt", sellers=[SELLER])
    assert len(transcript.turns) >= 500 and transcript.turns[-1].start_s >= 3500  # an hour of talk
    planned = check_requests(grader, transcript, rubric)
    assert len(planned) >= 2  # more than the context holds at once
    shown = [[t.turn.index for t in r.window.turns] for r in planned]
    assert shown[0][0] == 0 and shown[-1][-1] == len(transcript.turns) - 1
    for before, after in zip(shown, shown[1:]):
        assert after[0] <= before[-1]  # windows overlap: no turn is left out
    body = planned[-1].messages[1].content.split("<transcript>\n", 1)[1]
    assert body.startswith("[")  # each window opens with the minute it starts in


# The embedded model fills strings to their maxLength with junk such as "-a-m-n-o-f-t-...";
# a reply cut at max_tokens is invalid JSON, so the reply budget must bound a reply with every
# string at its longest (the worst junk seen, and plain letters). Known gap: `max_tokens` is
# that budget capped at `max_output_tokens` (2048), which a call with many failed items
# (several advice requests) exceeds; its worst-case reply can still be cut.
@pytest.mark.parametrize("filler", ["-a-m-n-o-f-t-p-b-a-c", "marchement_fantasie_de_bac-10476c-abcd-ecc-593-efg", "x"])
@pytest.mark.parametrize("name", ["02_plain_ts_fieldwise_pro_tier_all_fail.txt", "01_plain_ts_ledgerline_recon_clean_pass.txt"])
def test_a_reply_with_every_string_at_its_longest_fits_max_tokens(grader: LLMGrader, rubric, name: str, filler: str) -> None:
    import json

    from coach.llm.grader import (
        MAX_ADVICE_CHARS,
        MAX_EVIDENCE,
        MAX_QUOTE_CHARS,
        PER_ADVICE_OUTPUT_TOKENS,
        PER_ITEM_OUTPUT_TOKENS,
    )

    path = ROOT / "fixtures/labelled" / name
    transcript = read_path(path, sellers=sellers(path))
    planned = grader.plan(transcript, score_transcript(transcript, rubric), rubric)

    def longest(chars: int) -> str:
        return (filler * chars)[:chars]

    for request in planned:
        turn = request.window.turns[-1].turn.index
        reply = {
            item.id: {
                "evidence": [{"turn": turn, "quote": longest(MAX_QUOTE_CHARS)}] * MAX_EVIDENCE,
                "verdict": "not_applicable",
                "advice": longest(MAX_ADVICE_CHARS),
            }
            for item in grader.llm_items(rubric)
        }
        if request.window.advice:
            reply["advice_for"] = {a.id: longest(MAX_ADVICE_CHARS) for a in request.window.advice}
        budget = 64 + PER_ITEM_OUTPUT_TOKENS * len(grader.llm_items(rubric)) + PER_ADVICE_OUTPUT_TOKENS * len(request.window.advice)
        assert request.max_tokens == min(budget, grader.max_output_tokens)
        assert embedded_tokenizer().count(json.dumps(reply, indent=1)) <= budget
