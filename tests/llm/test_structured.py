"""The parse / repair / give-up loop, driven through the fake model (the same loop the real client uses)."""

import pytest
from pydantic import BaseModel

from coach.llm.errors import LLMUnavailableError, StructuredOutputError
from coach.llm.protocol import ChatMessage, FakeChatModel


class Answer(BaseModel):
    verdict: str
    turn: int


MESSAGES = [ChatMessage(role="system", content="grade"), ChatMessage(role="user", content="the call")]


def test_valid_reply_is_parsed_in_one_attempt():
    fake = FakeChatModel().enqueue(Answer(verdict="pass", turn=3))
    reply = fake.structured(MESSAGES, Answer, max_tokens=50)
    assert reply.value == Answer(verdict="pass", turn=3)
    assert reply.attempts == 1
    assert len(fake.history) == 1
    assert fake.history[0].messages == MESSAGES
    assert fake.history[0].max_tokens == 50


def test_fenced_json_is_accepted():
    fake = FakeChatModel().enqueue('```json\n{"verdict": "fail", "turn": 1}\n```')
    assert fake.structured(MESSAGES, Answer, max_tokens=50).value.turn == 1


def test_a_raw_newline_inside_a_string_is_read_not_repaired():
    # What llama.cpp's JSON grammar lets through (recorded from the embedded model on a 60-minute call).
    fake = FakeChatModel().enqueue('{ "verdict" : "Mm-hmm.\n[{\n    ", "turn": 4}')
    reply = fake.structured(MESSAGES, Answer, max_tokens=50)
    assert reply.value == Answer(verdict="Mm-hmm.\n[{\n    ", turn=4) and reply.attempts == 1


def test_lenient_reading_still_validates_types():
    fake = FakeChatModel().enqueue('{"verdict": "a\nb", "turn": "three"}', '{"verdict": "a\nb", "turn": "x"}')
    with pytest.raises(StructuredOutputError):
        fake.structured(MESSAGES, Answer, max_tokens=50)
    assert len(fake.history) == 2


def test_one_repair_re_ask_shows_the_model_its_reply_and_the_problem():
    fake = FakeChatModel().enqueue('{"verdict": "pass", "turn": "three"}', '{"verdict": "pass", "turn": 3}')
    reply = fake.structured(MESSAGES, Answer, max_tokens=50)
    assert reply.value.turn == 3
    assert reply.attempts == 2
    repair = fake.history[1].messages
    assert repair[:2] == MESSAGES
    assert repair[2] == ChatMessage(role="assistant", content='{"verdict": "pass", "turn": "three"}')
    assert repair[3].role == "user" and "turn" in repair[3].content
    # usage adds up over both requests
    assert reply.usage.prompt_tokens > fake.count_tokens("grade") * 2


def test_second_invalid_reply_raises_with_attempts_and_last_output():
    fake = FakeChatModel().enqueue('{"verdict": "pass"', '{"verdict": "pass", "turn": null}', "never sent")
    with pytest.raises(StructuredOutputError) as caught:
        fake.structured(MESSAGES, Answer, max_tokens=50)
    assert caught.value.attempts == 2
    assert caught.value.last_output == '{"verdict": "pass", "turn": null}'
    assert fake.pending == 1  # no third request
    assert "\n" not in str(caught.value)


def test_transport_errors_pass_through_untouched():
    boom = LLMUnavailableError("down", kind="connection", attempts=3)
    fake = FakeChatModel().enqueue(boom)
    with pytest.raises(LLMUnavailableError) as caught:
        fake.structured(MESSAGES, Answer, max_tokens=50)
    assert caught.value is boom
