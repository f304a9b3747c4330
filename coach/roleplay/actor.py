"""The actor: voices the director's move in persona through the LLM client.

One template pair in `prompts/` (jinja2, StrictUndefined), one tiny schema for
the one decision it makes (`CustomerLine`). The model sees the persona, the
recent conversation (as data) and only the facts this move releases, so it
cannot leak the others. Any unusable reply (see `checks.unusable`) or model
failure falls back to the scenario's scripted line, so a role-play always
works, even with the tiny embedded model. With `on_text` and a streaming
model, the customer's words are passed on as they arrive.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach.llm.errors import LLMError
from coach.llm.prompting import render, template_hash
from coach.llm.protocol import ChatMessage, ChatModel
from coach.llm.structured import parse_reply
from coach.roleplay.checks import unusable
from coach.roleplay.director import Move, MoveKind
from coach.roleplay.session import Actor, ScriptedActor, SessionState, Voiced

TEMPLATES = ("roleplay_customer.system.j2", "roleplay_customer.user.j2")
MAX_TOKENS = 96  # a spoken line of up to ~60 words plus the JSON wrapper
# The whole conversation, append-only, before the per-turn instruction: llama.cpp's
# server keeps the previous prompt's KV cache, so each turn only evaluates what is new.
CONTEXT_TURNS = 40

INSTRUCTIONS = {
    MoveKind.answer: "Answer briefly and naturally. Do not agree to buy anything.",
    MoveKind.reveal: "Answer the question by telling the facts below.",
    MoveKind.object: "Push back: say plainly what bothers you about what the seller just said.",
    MoveKind.soft_no: "Give a soft, non-committal answer: you need to think or check with someone. Do not say yes.",
    MoveKind.accept_meeting: "Agree to the meeting or session the seller proposed.",
    MoveKind.end: "Close the call politely in one sentence.",
}
INFO_REQUEST = "Brush the seller off: ask them to just send you some information by email."
ACCEPT_TIME = "Agree to meet at {when}: say that day and time back to the seller."


class CustomerLine(BaseModel):
    """The actor's only decision: what the customer says."""

    model_config = ConfigDict(extra="forbid")

    line: str = Field(description="what the customer says, one to three sentences")


class PromptTurn(BaseModel):
    speaker: str
    text: str


class ActorPrompt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    persona_name: str
    persona: dict[str, str]
    situation: str
    turns: list[PromptTurn]
    mood: str
    instruction: str
    facts: list[str]
    example: str


@runtime_checkable
class StreamingModel(Protocol):
    def stream_structured(
        self, messages: list[ChatMessage], schema: type[BaseModel], *, max_tokens: int, name: str = "reply"
    ) -> Iterator[str]: ...


def actor_prompt(state: SessionState, move: Move) -> ActorPrompt:
    scenario = state.scenario
    names = {"rep": f"{state.rep_name} (seller)", "customer": f"{scenario.persona.name} (you)"}
    recent = state.turns[-CONTEXT_TURNS:]
    facts = [" ".join(f.says.split()) for f in scenario.facts if f.id in move.fact_ids]
    if facts and scenario.level(state.level).reveal == "brief":
        facts = [move.scripted]  # a guarded customer tells only what the scripted reveal tells
    instruction = INFO_REQUEST if move.line_key == "info_request" else INSTRUCTIONS[move.kind]
    if move.when:
        instruction = ACCEPT_TIME.format(when=move.when)
    return ActorPrompt(
        persona_name=scenario.persona.name,
        persona=scenario.persona.model_dump(mode="json"),
        situation=" ".join(scenario.situation.split()),
        turns=[PromptTurn(speaker=names[t.role], text=t.text) for t in recent],
        mood=move.mood.value,
        instruction=instruction,
        facts=facts,
        example=move.scripted,
    )


def actor_messages(prompt: ActorPrompt) -> list[ChatMessage]:
    values = prompt.model_dump()
    return [
        ChatMessage(role="system", content=render(TEMPLATES[0], persona=values["persona"], situation=values["situation"])),
        ChatMessage(
            role="user",
            content=render(
                TEMPLATES[1], **{k: values[k] for k in ("turns", "mood", "instruction", "facts", "example", "persona_name")}
            ),
        ),
    ]


def actor_template_hash() -> str:
    return template_hash(TEMPLATES)


_PARTIAL = re.compile(r'^\s*\{\s*"line"\s*:\s*"((?:[^"\\]|\\.)*)')


def partial_line(raw: str) -> str:
    """The customer's words so far inside a JSON reply still being streamed."""
    match = _PARTIAL.match(raw)
    if not match:
        return ""
    body = match.group(1)
    if body.endswith("\\"):
        body = body[:-1]
    try:
        return json.loads(f'"{body}"')
    except ValueError:
        return body


class LLMActor:
    """Voices moves through a `ChatModel`; `stream=True` uses the model's streaming call when it has one."""

    def __init__(self, model: ChatModel, *, stream: bool = False, on_text: Callable[[str], None] | None = None):
        self.model = model
        self.stream = stream
        self.on_text = on_text
        self.last_raw: str | None = None

    def voice(self, state: SessionState, move: Move, rep_line: str) -> Voiced:
        messages = actor_messages(actor_prompt(state, move))
        try:
            text = self._ask(messages)
        except LLMError as exc:
            return Voiced(text=move.scripted, source="script", fallback_reason=f"model failed: {exc.short_reason()}")
        except ValidationError:
            return Voiced(text=move.scripted, source="script", fallback_reason="reply was not the JSON asked for")
        customer_lines = [t.text for t in state.turns if t.role == "customer"]
        said = " ".join(t.text for t in state.turns) + " " + rep_line
        reason = unusable(
            text, move, state.scenario, state.rep_name, said=said, previous=customer_lines[-1] if customer_lines else ""
        )
        if reason is not None:
            return Voiced(text=move.scripted, source="script", fallback_reason=reason)
        return Voiced(text=" ".join(text.split()), source="llm")

    def _ask(self, messages: list[ChatMessage]) -> str:
        if self.stream and isinstance(self.model, StreamingModel):
            raw = ""
            shown = ""
            for delta in self.model.stream_structured(messages, CustomerLine, max_tokens=MAX_TOKENS, name="customer_line"):
                raw += delta
                if self.on_text is not None:
                    now = partial_line(raw)
                    if len(now) > len(shown):
                        self.on_text(now[len(shown) :])
                        shown = now
            self.last_raw = raw
            return parse_reply(raw, CustomerLine).line
        reply = self.model.structured(messages, CustomerLine, max_tokens=MAX_TOKENS, name="customer_line")
        self.last_raw = reply.raw
        return reply.value.line


def open_actor(stack: ExitStack, *, use_llm: bool, unavailable: Callable[[str], None]) -> Actor:
    """The customer's voice for every front end: the LLM actor on the configured model (kept
    open on `stack`), or scripted lines when the LLM is off or cannot start, in which case
    `unavailable` is told why in one line."""
    if not use_llm:
        return ScriptedActor()
    from coach.llm.client import open_chat_model
    from coach.llm.settings import load_settings

    try:
        model = stack.enter_context(open_chat_model(load_settings()))
    except LLMError as exc:
        unavailable(exc.one_line())
        return ScriptedActor()
    return LLMActor(model)
