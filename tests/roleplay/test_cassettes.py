"""Role-play against the embedded model's real answers, replayed from cassettes.

The cassettes in `tests/roleplay/cassettes/` were recorded against the real
`llama_cpp.server` running SmolLM2-135M (the embedded default), following the
conventions of `tests/llm/test_cassettes.py`: requests match on method, path
and the full JSON body (a changed prompt, schema or sampling setting fails
replay loudly), the authorization header is filtered, replay uses
record_mode "none". To re-record (starts the embedded server):

    COACH_RECORD_CASSETTES=1 .venv/bin/python -m pytest tests/roleplay/test_cassettes.py
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coach.llm.client import OpenAIChatModel
from coach.llm.embedded import MODEL_ALIAS
from coach.llm.settings import EndpointKind
from coach.roleplay.actor import CustomerLine, LLMActor
from coach.roleplay.checks import unusable
from coach.roleplay.session import score_session
from tests.roleplay.support import PLAYS, REP, play
from tests import cassettes

HERE = Path(__file__).parent
recorder = cassettes.recorder(HERE / "cassettes")
base_url = pytest.fixture(scope="module", name="base_url")(cassettes.embedded_base_url)


@pytest.fixture
def chat(base_url) -> OpenAIChatModel:
    return OpenAIChatModel(
        base_url=base_url, api_key=None, model=MODEL_ALIAS, kind=EndpointKind.embedded,
        temperature=0.0, seed=7, retries=0,
        timeout_s=900.0,  # recording on a loaded 2-core machine: a slow reply must not become a fallback
    )  # fmt: skip


def sent(cassette) -> list[dict]:
    return [json.loads(request.body) for request in cassette.requests]


def model_lines(cassette) -> list[str]:
    """What the model actually said in each (non-streamed) response, parsed as the actor parses it."""
    lines = []
    for response in cassette.responses:
        content = json.loads(response["body"]["string"])["choices"][0]["message"]["content"]
        try:
            lines.append(CustomerLine.model_validate_json(content).line)
        except ValueError:
            lines.append(None)
    return lines


@pytest.mark.parametrize(("scenario_id", "kind"), [("usage_threshold_upsell", "good"), ("renewal_window", "bad")])
def test_embedded_model_voices_a_whole_play(chat, scenario_id, kind):
    expected = PLAYS[scenario_id][kind]
    with recorder.use_cassette(f"{scenario_id}_{kind}.yaml") as cassette:
        state, results = play(scenario_id, expected["rep_lines"], actor=LLMActor(chat))
    bodies = sent(cassette)
    # what was sent: one request per customer turn, embedded settings, the tiny schema, the conversation as data
    assert len(bodies) >= len(results)
    for body in bodies:
        assert body["model"] == MODEL_ALIAS and body["temperature"] == 0.0 and body["seed"] == 7
        assert body["response_format"]["type"] == "json_object"
        assert list(body["response_format"]["schema"]["properties"]) == ["line"]
        assert body["max_tokens"] == 96
    first_user = bodies[0]["messages"][1]["content"]
    assert f"{REP} (seller): {expected['rep_lines'][0]}" in first_user.split("</conversation>")[0]
    # what came back: the model's line when usable, the scripted line (with the reason) when not
    said = model_lines(cassette)
    used = [r.customer for r in results if r.customer.source == "llm"]
    for turn in used:
        assert turn.text in [" ".join(s.split()) for s in said if s]
        assert unusable(turn.text, turn.move, state.scenario, REP) is None
    for result in results:
        if result.customer.source == "script":
            assert result.customer.text == result.customer.move.scripted and result.customer.fallback_reason
    # the director, not the model, decides: same facts, same interruptions as the scripted play
    assert [[n, note.rule] for n, r in enumerate(results, 1) for note in r.notes] == expected["facilitator"]
    assert {f: n for n, r in enumerate(results, 1) for f in r.customer.move.fact_ids} == expected["revealed_at"]
    card = score_session(state)
    seller_items = ("signal_first_opening", "discovery_questions", "never_say", "no_demo_before_discovery",
                    "diagnostic_framing", "neutrality_statement", "customer_timeline", "ask_once")  # fmt: skip
    got = {i.id: i.verdict.value for i in card.items}
    assert {k: got[k] for k in seller_items} == {k: expected["verdicts"][k] for k in seller_items}


def test_streaming_passes_the_customer_words_on_as_they_arrive(chat):
    from coach.roleplay.scenario import get_scenario
    from coach.roleplay.session import play_turn, start_session

    pieces: list[str] = []
    actor = LLMActor(chat, stream=True, on_text=pieces.append)
    state = start_session(get_scenario("exec_sponsor_change"), seed=7, rep_name=REP, session_id="test")
    streamed, results = [], []
    with recorder.use_cassette("exec_sponsor_change_stream.yaml") as cassette:
        for line in PLAYS["exec_sponsor_change"]["good"]["rep_lines"][:2]:
            pieces.clear()
            result = play_turn(state, line, actor)
            state = result.state
            streamed.append(list(pieces))
            results.append(result)
    bodies = sent(cassette)
    assert len(bodies) == 2 and all(b["stream"] is True for b in bodies)
    for chunks, result in zip(streamed, results):
        assert len(chunks) > 2  # the words arrive in several pieces, not one block at the end
        if result.customer.source == "llm":  # what was shown while streaming is what was kept
            assert " ".join("".join(chunks).split()) == result.customer.text
        else:
            assert result.customer.text == result.customer.move.scripted and result.customer.fallback_reason
