"""`grader: llm` question items: written as a question with what yes and no mean, no Python,
answered by the LLM with a quote that must be in the call.

The embedded model's real answer is replayed from a cassette (recorded with
`COACH_RECORD_CASSETTES=1`, see tests/cassettes.py); the faults and the exact answers a
test needs (a quote the call does not contain, a clean yes) come from a scripted local
server at the edge (tests/llm/faultserver.py), through the real openai client.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from faultserver import ScriptedServer, completion, error

from coach.llm.client import OpenAIChatModel, reset_capability_cache
from coach.llm.embedded import MODEL_ALIAS
from coach.llm.grader import LLMGrader, SkippedGrader
from coach.llm.quotes import find_quote
from coach.llm.settings import EndpointKind, StructuredMode
from coach.llm.tokens import embedded_tokenizer
from coach.readers import read_bytes
from coach.resources import data_file
from coach.rubric.schema import Rubric, load_rubric
from coach.scorecard import CallType, Scorecard, Verdict, VerdictSource
from coach.scoring import score_items, score_transcript
from coach.transcript import Transcript
from tests import cassettes

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
ITEM = "reason_in_their_words"
recorder = cassettes.recorder(HERE / "cassettes")
base_url = pytest.fixture(scope="module", name="base_url")(cassettes.embedded_base_url)

CALL = """
AE: Thanks for calling in. What made you reach out?
Buyer: Our regression cycle takes three days and it is killing our releases.
AE: So the three-day regression cycle is what is killing your releases?
Buyer: Exactly. We have been looking into tools. How much does it cost?
AE: Who else would be involved in deciding on a tool like this?
Buyer: My VP of engineering.
AE: Could we do Thursday at 10am with your VP?
Buyer: Thursday works.
"""


@pytest.fixture(autouse=True)
def fresh_capabilities():
    reset_capability_cache()
    yield
    reset_capability_cache()


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric(data_file("rubrics", "first_call_discovery.yaml"))


def _call() -> Transcript:
    return read_bytes(CALL.strip().encode(), name="prospect.txt", sellers=["AE"])


def _heuristic(transcript: Transcript, rubric: Rubric) -> Scorecard:
    return score_transcript(transcript, rubric, call_type=CallType.new_logo)


def _scripted(server: ScriptedServer) -> OpenAIChatModel:
    return OpenAIChatModel(base_url=server.base_url, api_key="sk-test", model="scripted", kind=EndpointKind.local,
                           timeout_s=5.0, retries=0, structured_mode=StructuredMode.json_object)  # fmt: skip


def _answer(verdict: str, quote: str, turn: int = 2, advice_for: list[str] = ()) -> str:
    reply: dict = {ITEM: {"evidence": [{"turn": turn, "quote": quote}] if quote else [], "verdict": verdict, "advice": ""}}
    if advice_for:  # items the heuristics failed: the schema asks for their advice too
        reply["advice_for"] = {item_id: "" for item_id in advice_for}
    return json.dumps(reply)


def test_without_an_llm_the_question_is_not_applicable_and_not_counted(rubric):
    transcript = _call()
    card = _heuristic(transcript, rubric)
    item = card.item(ITEM)
    assert item.verdict is Verdict.not_applicable and item.reason.startswith("needs an LLM endpoint")
    assert item.source is VerdictSource.llm and not item.evidence
    judged = [i for i in card.items if i.id != ITEM and i.verdict is not Verdict.not_applicable]
    assert judged and card.score == score_items(rubric, [i for i in card.items if i.id != ITEM])
    skipped = SkippedGrader("no LLM configured").grade(transcript, card, rubric)
    assert skipped.item(ITEM).reason.startswith("needs an LLM endpoint") and skipped.score == card.score


def test_the_embedded_model_answers_the_question_with_a_checked_quote(base_url, rubric):
    chat = OpenAIChatModel(
        base_url=base_url, api_key=None, model=MODEL_ALIAS, kind=EndpointKind.embedded,
        temperature=0.0, seed=7, retries=0, tokenizer=embedded_tokenizer(), timeout_s=3600,
    )  # fmt: skip
    transcript = _call()
    card = _heuristic(transcript, rubric)
    with recorder.use_cassette("question_item.yaml") as cassette:
        out = LLMGrader(chat).grade(transcript, card, rubric)
    (body,) = [json.loads(r.body) for r in cassette.requests]
    system = body["messages"][0]["content"]
    item = rubric.item(ITEM)
    assert f'Question (yes = "pass", no = "fail"): {item.question}' in system
    assert f"Pass: {' '.join(item.yes.split())}" in system and f"Fail: {' '.join(item.no.split())}" in system
    assert f"Not applicable: {item.not_applicable_when}" in system
    assert list(body["response_format"]["schema"]["properties"]) == [ITEM]  # the only LLM item of this rubric
    assert out.llm.llm_status == "ok", out.llm.llm_status
    answered = out.item(ITEM)
    assert answered.source is VerdictSource.llm and not answered.disputed and answered.heuristic_opinion is None
    texts = {t.index: t.text for t in transcript.turns}
    if answered.verdict is Verdict.not_applicable:  # dropped, or the model said it does not apply: said why
        assert answered.reason.startswith(("the LLM's answer was dropped", "the LLM found the question does not apply"))
    else:
        assert answered.evidence and answered.reason.startswith("the LLM answered ")
    for ev in answered.evidence:
        assert ev.quote in texts[ev.turn] and find_quote(ev.quote, texts[ev.turn]) is not None  # verbatim, never the model's
    assert out.score == score_items(rubric, out.items)  # counted only when answered with a checked quote


def test_a_yes_with_a_verbatim_quote_passes_and_counts(rubric):
    transcript = _call()
    card = _heuristic(transcript, rubric)
    quote = "So the three-day regression cycle is what is killing your releases?"
    with ScriptedServer([completion(_answer("pass", quote))]) as server:
        out = LLMGrader(_scripted(server)).grade(transcript, card, rubric)
    item = out.item(ITEM)
    assert item.verdict is Verdict.pass_ and item.source is VerdictSource.llm
    assert [(e.turn, e.quote) for e in item.evidence] == [(2, quote.rstrip("?"))]  # cut from the call, not the reply
    assert item.reason.startswith("the LLM answered yes: After the prospect says why")
    assert out.score == score_items(rubric, out.items) and out.score >= card.score


def test_a_no_fails_with_the_rubric_advice(rubric):
    transcript = _call()
    card = _heuristic(transcript, rubric)
    with ScriptedServer([completion(_answer("fail", "What made you reach out?", turn=0))]) as server:
        out = LLMGrader(_scripted(server)).grade(transcript, card, rubric)
    item = out.item(ITEM)
    assert item.verdict is Verdict.fail and item.reason.startswith("the LLM answered no: The prospect gave a reason")
    assert item.advice == rubric.item(ITEM).advice["no"] and item.advice_source == "rubric"
    assert out.score < card.score


def test_a_quote_not_in_the_call_is_dropped_and_the_item_does_not_count(rubric):
    transcript = _call()
    card = _heuristic(transcript, rubric)
    with ScriptedServer([completion(_answer("pass", "So your releases are slow because of testing, right?"))]) as server:
        out = LLMGrader(_scripted(server)).grade(transcript, card, rubric)
    item = out.item(ITEM)
    assert item.verdict is Verdict.not_applicable and not item.evidence
    assert item.reason == "the LLM's answer was dropped: its quote is not in the transcript"
    assert item.llm_dropped_claims == 1 and out.llm.dropped_claims == 1
    assert out.score == card.score


def test_not_applicable_says_when_and_a_failed_llm_says_why(rubric):
    transcript = _call()
    card = _heuristic(transcript, rubric)
    with ScriptedServer([completion(_answer("not_applicable", ""))]) as server:
        out = LLMGrader(_scripted(server)).grade(transcript, card, rubric)
    assert out.item(ITEM).verdict is Verdict.not_applicable
    assert out.item(ITEM).reason == f"the LLM found the question does not apply to this call ({rubric.item(ITEM).not_applicable_when})"
    with ScriptedServer([error(503)]) as server:
        failed = LLMGrader(_scripted(server)).grade(transcript, card, rubric)
    assert failed.llm.llm_status.startswith("failed:")
    assert failed.item(ITEM).verdict is Verdict.not_applicable
    assert failed.item(ITEM).reason.startswith("the LLM could not answer this question: ")
    assert failed.score == card.score


def test_rubric_check_grades_question_examples_only_with_an_llm(tmp_path):
    """`coach rubric check --llm endpoint` against a scripted endpoint that answers yes to everything:
    the fail and not_applicable examples are named as answered differently (warnings, exit 0)."""
    path = data_file("rubrics", "first_call_discovery.yaml")
    examples = yaml.safe_load(path.read_text())["items"]
    item = next(i for i in examples if i["id"] == ITEM)

    def route(request: dict):
        transcript = request["messages"][1]["content"].split("<transcript>")[1]
        line = next(x for x in transcript.splitlines() if x.strip())  # "0 S: What made you reach out?"
        turn, _, text = line.partition(" ")
        schema = request["response_format"]["schema"]
        advice = schema["properties"].get("advice_for", {}).get("properties", {})  # $refs come inlined
        return completion(_answer("pass", text.split(": ", 1)[1], turn=int(turn), advice_for=list(advice)))

    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "COACH_LLM"))}
    with ScriptedServer(route=route) as server:
        env.update(PYTHONPATH=str(ROOT), OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="sk-test",
                   COACH_LLM_MODEL="scripted", COACH_LLM_STRUCTURED_MODE="json_object")  # fmt: skip
        run = subprocess.run([sys.executable, "-m", "coach", "rubric", "check", str(path), "--llm", "endpoint"],
                             capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)  # fmt: skip
        asked = len(server.requests)
    assert run.returncode == 0, run.stderr
    assert asked == sum(len(item["examples"][v]) for v in ("pass", "fail", "not_applicable"))
    assert f"warning: items.{ITEM}.examples.fail[0]: the LLM answered pass, not fail" in run.stdout
    assert f"warning: items.{ITEM}.examples.not_applicable[0]: the LLM answered pass, not not_applicable" in run.stdout
    assert f"items.{ITEM}.examples.pass[0]" not in run.stdout
    assert "not checked" not in run.stdout
    plain = subprocess.run([sys.executable, "-m", "coach", "rubric", "check", str(path)], capture_output=True, text=True,
                           env=env, cwd=ROOT, timeout=300)  # fmt: skip
    assert plain.returncode == 0 and f"note: items.{ITEM}.examples: 3 example(s) not checked" in plain.stdout
    assert "--llm embedded" in plain.stdout
