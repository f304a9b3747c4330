"""The real openai client against a scripted local server: 429, 500, malformed JSON, silence, refusal."""

from __future__ import annotations

import json
import socket

import pytest
from conftest import SAMPLE_LINES, heuristic_card, make_call, make_rubric
from faultserver import CLOSE, HANG, Reply, ScriptedServer, completion, error
from pydantic import BaseModel

from coach.llm.client import OpenAIChatModel, reset_capability_cache
from coach.llm.errors import LLMUnavailableError, StructuredOutputError
from coach.llm.grader import LLMGrader
from coach.llm.protocol import ChatMessage
from coach.llm.settings import EndpointKind, StructuredMode
from coach.scorecard import Verdict

MESSAGES = [ChatMessage(role="user", content="grade it")]
GOOD = json.dumps({"verdict": "pass"})


class Answer(BaseModel):
    verdict: str


@pytest.fixture(autouse=True)
def fresh_capabilities():
    reset_capability_cache()
    yield
    reset_capability_cache()


def model(server: ScriptedServer | None, *, retries: int = 2, timeout_s: float = 5.0,
          mode: StructuredMode = StructuredMode.json_object, base_url: str | None = None) -> OpenAIChatModel:  # fmt: skip
    return OpenAIChatModel(
        base_url=base_url or server.base_url, api_key="sk-test", model="scripted", kind=EndpointKind.local,
        timeout_s=timeout_s, retries=retries, structured_mode=mode,
    )  # fmt: skip


def test_429_is_retried_then_succeeds():
    with ScriptedServer([error(429), completion(GOOD)]) as server:
        reply = model(server).structured(MESSAGES, Answer, max_tokens=20)
    assert reply.value.verdict == "pass"
    assert len(server.requests) == 2
    assert reply.usage.prompt_tokens == 11 and reply.usage.completion_tokens == 7


def test_persistent_500_gives_up_after_the_configured_retries():
    with ScriptedServer([error(500)]) as server:
        with pytest.raises(LLMUnavailableError) as caught:
            model(server, retries=2).structured(MESSAGES, Answer, max_tokens=20)
    assert caught.value.kind == "server_error" and caught.value.attempts == 3
    assert len(server.requests) == 3


def test_4xx_is_not_retried():
    with ScriptedServer([error(400)]) as server:
        with pytest.raises(LLMUnavailableError) as caught:
            model(server, retries=3).structured(MESSAGES, Answer, max_tokens=20)
    assert caught.value.kind == "status" and len(server.requests) == 1


def test_malformed_json_body_is_a_bad_response_not_a_crash():
    with ScriptedServer([Reply(200, '{"id": "x", "choices": [ {"mess')]) as server:
        with pytest.raises(LLMUnavailableError) as caught:
            model(server, retries=0).structured(MESSAGES, Answer, max_tokens=20)
    assert caught.value.kind == "bad_response"


def test_silent_server_times_out_and_is_retried():
    with ScriptedServer([HANG]) as server:
        with pytest.raises(LLMUnavailableError) as caught:
            model(server, retries=1, timeout_s=0.3).structured(MESSAGES, Answer, max_tokens=20)
    assert caught.value.kind == "timeout" and caught.value.attempts == 2
    assert len(server.requests) == 2


def test_dropped_connection_is_a_connection_error():
    with ScriptedServer([CLOSE]) as server:
        with pytest.raises(LLMUnavailableError) as caught:
            model(server, retries=0).structured(MESSAGES, Answer, max_tokens=20)
    assert caught.value.kind == "connection"


def test_refused_connection():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before use: nothing listens there
    with pytest.raises(LLMUnavailableError) as caught:
        model(None, retries=0, base_url=f"http://127.0.0.1:{port}/v1").structured(MESSAGES, Answer, max_tokens=20)
    assert caught.value.kind == "connection"


def test_invalid_model_json_gets_one_repair_then_a_typed_error():
    with ScriptedServer([completion('{"verdict": '), completion('{"nope": 1}')]) as server:
        with pytest.raises(StructuredOutputError) as caught:
            model(server).structured(MESSAGES, Answer, max_tokens=20)
    assert caught.value.attempts == 2 and caught.value.last_output == '{"nope": 1}'
    assert len(server.requests) == 2
    assert server.requests[1]["messages"][-1]["role"] == "user"
    assert "not valid JSON" in server.requests[1]["messages"][-1]["content"]


def test_capability_is_probed_once_and_json_schema_refusal_falls_back():
    def route(payload):
        kind = payload.get("response_format", {}).get("type")
        return error(500) if kind == "json_schema" else completion(GOOD)

    with ScriptedServer(route=route) as server:
        chat = model(server, mode=StructuredMode.auto)
        for _ in range(2):
            assert chat.structured(MESSAGES, Answer, max_tokens=20).value.verdict == "pass"
        again = model(server, mode=StructuredMode.auto)
        again.structured(MESSAGES, Answer, max_tokens=20)
    kinds = [r["response_format"]["type"] for r in server.requests]
    assert kinds == ["json_schema", "json_object", "json_object", "json_object"]  # one probe, no SDK retries of it
    assert server.requests[1]["response_format"]["schema"]["properties"]["verdict"]["type"] == "string"
    assert chat.info.structured_mode == "json_object"


def test_endpoint_that_supports_json_schema_gets_it():
    with ScriptedServer([completion(GOOD)]) as server:
        chat = model(server, mode=StructuredMode.auto)
        chat.structured(MESSAGES, Answer, max_tokens=20)
        chat.structured(MESSAGES, Answer, max_tokens=20)
    assert [r["response_format"]["type"] for r in server.requests] == ["json_schema"] * 3
    assert server.requests[1]["response_format"]["json_schema"]["schema"]["required"] == ["verdict"]


def test_request_carries_the_configured_sampling_settings():
    with ScriptedServer([completion(GOOD)]) as server:
        chat = OpenAIChatModel(base_url=server.base_url, api_key=None, model="scripted", kind=EndpointKind.local,
                               temperature=0.0, seed=42, structured_mode=StructuredMode.json_object)  # fmt: skip
        chat.structured(MESSAGES, Answer, max_tokens=33)
    sent = server.requests[0]
    assert (sent["temperature"], sent["seed"], sent["max_tokens"], sent["model"]) == (0.0, 42, 33, "scripted")


def test_a_failing_endpoint_leaves_the_heuristic_scorecard_intact():
    call = make_call(SAMPLE_LINES)
    card = heuristic_card(call, {"signal_first_opening": Verdict.fail})
    with ScriptedServer([error(503)]) as server:
        out = LLMGrader(model(server, retries=1)).grade(call, card, make_rubric(signal_first_opening="llm"))
    assert out.items == card.items
    assert out.llm.llm_status == "failed: server_error after 2 attempt(s)"
