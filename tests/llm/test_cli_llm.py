"""`coach score` with the LLM: --no-llm, a configured endpoint (a scripted local server), failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from faultserver import ScriptedServer, completion, error
from typer.testing import CliRunner

from coach.cli import app
from coach.llm.client import reset_capability_cache

ROOT = Path(__file__).resolve().parent.parent.parent
SAMPLE = ROOT / "fixtures/sample/expansion_call.txt"
SELLERS = ["--seller", "Priya Shah", "--seller", "Dan Ortiz"]
OPENING = "your team crossed 212 of your 250 licensed seats this month"
SPONSOR_ADVICE = 'Ask Marcus: "Who else signs off on a purchase this size, and how do we reach them together?"'


@pytest.fixture(autouse=True)
def fresh_capabilities():
    reset_capability_cache()


def score(env: dict[str, str], *extra: str) -> tuple[int, dict | None, str]:
    result = CliRunner(env=env).invoke(app, ["score", str(SAMPLE), "-f", "json", *SELLERS, *extra])
    card = json.loads(result.stdout) if result.exit_code == 0 else None
    return result.exit_code, card, result.stderr


def verdicts(card: dict) -> dict[str, str]:
    return {item["id"]: item["verdict"] for item in card["items"]}


def answer_every_item(payload: dict) -> object:
    """A model that fails the opening with a real quote and finds everything else not applicable."""
    if payload["response_format"]["type"] == "json_schema":
        return error(400)  # like llama.cpp and most local servers
    properties = payload["response_format"]["schema"]["properties"]
    reply: dict[str, object] = {item: {"evidence": [], "verdict": "not_applicable", "advice": ""} for item in properties}
    # Items only the heuristics judge, and failed, are asked for advice in the same request.
    if "advice_for" in properties:
        reply["advice_for"] = {item: SPONSOR_ADVICE for item in properties["advice_for"]["properties"]}
    reply["signal_first_opening"] = {
        "evidence": [{"turn": 2, "quote": OPENING}],
        "verdict": "fail",
        "advice": "Lead with the seat count and the reconciliation tickets before anything else.",
    }
    return completion(json.dumps(reply), prompt_tokens=1400, completion_tokens=300)


def test_no_llm_flag_scores_with_heuristics_only():
    code, card, _ = score({}, "--no-llm")
    assert code == 0
    assert card["llm"]["llm_status"] == "skipped: --no-llm"
    assert all(item["llm_opinion"] is None and not item["disputed"] for item in card["items"])


def test_configured_endpoint_grades_once_and_both_items_keep_heuristic_verdicts():
    _, baseline, _ = score({}, "--no-llm")
    with ScriptedServer(route=answer_every_item) as server:
        code, card, stderr = score({"OPENAI_BASE_URL": server.base_url, "COACH_LLM_MODEL": "scripted"})
    assert code == 0, stderr
    run = card["llm"]
    assert run["llm_status"] == "ok" and run["model"] == "scripted" and run["endpoint_kind"] == "local"
    assert run["structured_mode"] == "json_object" and (run["tokens_in"], run["tokens_out"]) == (1400, 300)
    grading = [r for r in server.requests if r["response_format"]["type"] == "json_object"]
    assert len(grading) == 1  # one request grades every LLM-graded item
    both = [i for i in card["items"] if i["id"] in run["items_graded"]]
    assert {i["id"] for i in both} == {"signal_first_opening", "diagnostic_framing"}
    assert "never_say" not in run["items_graded"]
    assert verdicts(card) == verdicts(baseline)  # 'both': the heuristic verdict stays final
    opening = next(i for i in card["items"] if i["id"] == "signal_first_opening")
    assert opening["disputed"] and opening["llm_opinion"]["verdict"] == "fail"
    assert opening["llm_opinion"]["evidence"][0]["quote"] == "your team crossed 212 of your 250 licensed seats this month"
    assert card["score"] == baseline["score"]
    failed = [i for i in card["items"] if i["verdict"] == "fail"]
    assert [i["id"] for i in failed] == ["exec_sponsor"]  # the heuristics' only fail on the sample call
    assert (failed[0]["advice"], failed[0]["advice_source"]) == (SPONSOR_ADVICE, "llm")


def test_endpoint_without_a_model_name_is_a_one_line_error():
    code, _, stderr = score({"OPENAI_BASE_URL": "http://127.0.0.1:9/v1"})
    assert code == 2
    assert stderr.strip().count("\n") == 0 and "COACH_LLM_MODEL" in stderr and "Traceback" not in stderr


def test_failing_endpoint_keeps_the_heuristic_scorecard():
    _, baseline, _ = score({}, "--no-llm")
    with ScriptedServer([error(503)]) as server:
        code, card, stderr = score({
            "OPENAI_BASE_URL": server.base_url, "COACH_LLM_MODEL": "scripted", "COACH_LLM_RETRIES": "1",
            "COACH_LLM_STRUCTURED_MODE": "json_object",
        })  # fmt: skip
    assert code == 0, stderr
    assert card["llm"]["llm_status"] == "failed: server_error after 2 attempt(s)"
    assert card["items"] == baseline["items"] and card["score"] == baseline["score"]


def test_worker_processes_grade_with_the_runs_one_settings(tmp_path):
    # Two calls on two worker processes: each worker builds its grader from the run's LLMJob
    # (its settings and endpoint), received once, so both cards record the same model and settings.
    calls = []
    for name in ("first", "second"):
        calls.append(tmp_path / f"{name}.txt")
        calls[-1].write_bytes(SAMPLE.read_bytes())
    env = {"OPENAI_BASE_URL": "", "COACH_LLM_MODEL": "scripted", "COACH_LLM_TEMPERATURE": "0.3", "COACH_LLM_SEED": "11"}
    with ScriptedServer(route=answer_every_item) as server:
        env["OPENAI_BASE_URL"] = server.base_url
        result = CliRunner(env=env).invoke(app, ["score", *map(str, calls), "-f", "json", "--workers", "2", "-q", *SELLERS])
    assert result.exit_code == 0, result.stderr
    cards = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(c["call"]["source"]).stem for c in cards] == ["first", "second"]
    for card in cards:
        run = card["llm"]
        assert (run["llm_status"], run["model"], run["temperature"], run["seed"]) == ("ok", "scripted", 0.3, 11)
    assert len([r for r in server.requests if r["response_format"]["type"] == "json_object"]) == 2
    assert {r["temperature"] for r in server.requests} == {0.3}
