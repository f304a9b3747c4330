"""The small interface scoring and role-play depend on, and a fake for unit tests.

`ChatModel.structured()` sends messages and returns a reply validated into a
pydantic model. `client.OpenAIChatModel` is the real one (the only code that
touches the `openai` SDK); `FakeChatModel` replays canned raw replies through
the same parsing and repair loop, and records what it was sent.
"""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from coach.llm.settings import EndpointKind
from coach.llm.structured import RawReply, run_structured

T = TypeVar("T", bound=BaseModel)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
        )


class ModelInfo(BaseModel):
    """What a scorecard may say about the model: never the URL or the key."""

    model: str
    endpoint_kind: EndpointKind
    temperature: float
    seed: int | None
    context_tokens: int
    structured_mode: str = "unknown"


class StructuredReply(BaseModel, Generic[T]):
    value: T
    usage: Usage
    attempts: int
    raw: str
    finish_reason: str | None = None


class ChatModel(Protocol):
    @property
    def info(self) -> ModelInfo: ...

    def count_tokens(self, text: str) -> int: ...

    def structured(
        self, messages: list[ChatMessage], schema: type[T], *, max_tokens: int, name: str = "reply"
    ) -> StructuredReply[T]: ...


def estimate_tokens(text: str) -> int:
    """A deliberately generous token estimate for endpoints whose tokenizer we cannot run.

    BPE vocabularies spend roughly one token per short word and per punctuation
    mark; counting both (and a token per 4 characters of long words) overestimates
    English slightly, which is the safe direction for context budgeting.
    """
    total = 0
    for piece in re.findall(r"\w+|[^\w\s]", text):
        total += max(1, math.ceil(len(piece) / 4)) if piece[0].isalnum() or piece[0] == "_" else 1
    return total


@dataclass
class FakeCall:
    messages: list[ChatMessage]
    schema: type[BaseModel]
    max_tokens: int


@dataclass
class FakeChatModel:
    """Replays queued replies; `history` records every request, repair re-asks included.

    Queue a pydantic model (sent as its JSON), a raw string (sent as is, to
    exercise validation and repair) or an exception (raised from the send).
    """

    model_info: ModelInfo = field(
        default_factory=lambda: ModelInfo(
            model="fake", endpoint_kind=EndpointKind.local, temperature=0.0, seed=1, context_tokens=8192,
            structured_mode="fake",
        )
    )
    history: list[FakeCall] = field(default_factory=list)
    _queue: deque[BaseModel | str | BaseException] = field(default_factory=deque)

    @property
    def info(self) -> ModelInfo:
        return self.model_info

    def enqueue(self, *replies: BaseModel | str | BaseException) -> "FakeChatModel":
        self._queue.extend(replies)
        return self

    @property
    def pending(self) -> int:
        return len(self._queue)

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def structured(
        self, messages: list[ChatMessage], schema: type[T], *, max_tokens: int, name: str = "reply"
    ) -> StructuredReply[T]:
        def send(batch: list[ChatMessage]) -> RawReply:
            self.history.append(FakeCall(messages=list(batch), schema=schema, max_tokens=max_tokens))
            if not self._queue:
                raise AssertionError("FakeChatModel: no reply queued for this request")
            reply = self._queue.popleft()
            if isinstance(reply, BaseException):
                raise reply
            text = reply if isinstance(reply, str) else reply.model_dump_json()
            prompt = sum(self.count_tokens(m.content) for m in batch)
            return RawReply(text=text, prompt_tokens=prompt, completion_tokens=self.count_tokens(text))

        return run_structured(send, messages, schema, source=f"fake:{name}")
