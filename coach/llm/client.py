"""The one module that imports `openai`: every model call in the product goes through here.

`OpenAIChatModel` implements the `ChatModel` protocol against any
OpenAI-compatible endpoint: OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp, and
the embedded SmolLM2 server. Timeouts and transport retries (timeouts, refused
connections, 429, 5xx; exponential backoff capped at 8 s with jitter, honouring
Retry-After) are configured once on the SDK client. How the endpoint takes
structured output is detected once per endpoint and cached, because asking a
llama.cpp server for `json_schema` costs a 500 and the SDK's retries of it.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import openai
from pydantic import BaseModel

from coach.llm.embedded import CONTEXT_TOKENS, EmbeddedServer
from coach.llm.errors import LLMUnavailableError
from coach.llm.protocol import ChatMessage, ModelInfo, StructuredReply, estimate_tokens
from coach.llm.settings import Endpoint, EndpointKind, LLMSettings, StructuredMode
from coach.llm.structured import RawReply, run_structured
from coach.llm.tokens import Tokenizer

T = TypeVar("T", bound=BaseModel)

# ChatML-style templates spend a few tokens per message on role markers.
MESSAGE_OVERHEAD_TOKENS = 5
REPLY_PRIMER_TOKENS = 3
_PLACEHOLDER_KEY = "not-needed"  # local servers ignore the key but the SDK insists on one

_capabilities: dict[tuple[str, str], StructuredMode] = {}
_capabilities_lock = threading.Lock()


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with `$ref`s to `$defs` replaced by their definitions.

    Grammar converters in local servers handle plain nested schemas more
    reliably than references, and OpenAI accepts both.
    """
    defs = schema.get("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(copy.deepcopy(defs[ref.removeprefix("#/$defs/")]))
            return {k: resolve(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema)


def response_format(mode: StructuredMode, schema: type[BaseModel], name: str) -> dict[str, Any]:
    body = inline_refs(schema.model_json_schema())
    if mode is StructuredMode.json_schema:
        return {"type": "json_schema", "json_schema": {"name": name, "schema": body, "strict": False}}
    # llama.cpp turns `schema` into a decoding grammar; other JSON-mode servers ignore it,
    # which is why every reply is validated regardless.
    return {"type": "json_object", "schema": body}


class _Probe(BaseModel):
    ok: bool


class OpenAIChatModel:
    def __init__(
        self,
        *,
        base_url: str | None,
        api_key: str | None,
        model: str,
        kind: EndpointKind,
        temperature: float = 0.0,
        seed: int | None = None,
        timeout_s: float = 120.0,
        retries: int = 2,
        structured_mode: StructuredMode = StructuredMode.auto,
        context_tokens: int = CONTEXT_TOKENS,
        tokenizer: Tokenizer | None = None,
    ):
        self.base_url = base_url
        self.model = model
        self.kind = kind
        self.temperature = temperature
        self.seed = seed
        self.retries = retries
        self.context_tokens = context_tokens
        self._configured_mode = structured_mode
        self._tokenizer = tokenizer
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key or _PLACEHOLDER_KEY,
            timeout=timeout_s,
            max_retries=retries,
        )

    # -- ChatModel protocol ---------------------------------------------------------
    @property
    def info(self) -> ModelInfo:
        mode = StructuredMode.json_object if self.kind is EndpointKind.embedded and self._configured_mode is StructuredMode.auto else _capabilities.get(self._capability_key())
        return ModelInfo(
            model=self.model,
            endpoint_kind=self.kind,
            temperature=self.temperature,
            seed=self.seed,
            context_tokens=self.context_tokens,
            structured_mode=(mode or self._configured_mode).value,
        )

    def count_tokens(self, text: str) -> int:
        if self._tokenizer is not None:
            return self._tokenizer.count(text)
        return estimate_tokens(text)

    def count_messages(self, messages: list[ChatMessage]) -> int:
        return REPLY_PRIMER_TOKENS + sum(self.count_tokens(m.content) + MESSAGE_OVERHEAD_TOKENS for m in messages)

    def structured(
        self, messages: list[ChatMessage], schema: type[T], *, max_tokens: int, name: str = "reply"
    ) -> StructuredReply[T]:
        mode = self.structured_mode()
        fmt = response_format(mode, schema, name)

        def send(batch: list[ChatMessage]) -> RawReply:
            return self._complete(batch, fmt, max_tokens=max_tokens)

        return run_structured(send, messages, schema, source=f"{self.kind.value}:{self.model}")

    def stream_structured(
        self, messages: list[ChatMessage], schema: type[BaseModel], *, max_tokens: int, name: str = "reply"
    ) -> Iterator[str]:
        """The raw reply as it is generated (text deltas), asked for in the same structured mode.

        Added for role-play (issue 5), where the time to the first customer word
        matters. No repair re-ask: the caller validates the whole text and falls
        back on its own.
        """
        fmt = response_format(self.structured_mode(), schema, name)
        where = f"{self.kind.value}:{self.model}"
        extra: dict[str, Any] = {"seed": self.seed} if self.seed is not None else {}
        try:
            stream = self._client.chat.completions.create(
                model=self.model,
                messages=[{"role": m.role, "content": m.content} for m in messages],  # type: ignore[misc]
                temperature=self.temperature,
                max_tokens=max_tokens,
                response_format=fmt,  # type: ignore[arg-type]
                stream=True,
                **extra,
            )
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except openai.APITimeoutError:
            raise LLMUnavailableError("model endpoint timed out", kind="timeout", attempts=self.retries + 1, source=where) from None
        except openai.APIConnectionError:
            raise LLMUnavailableError(
                "model endpoint refused or dropped the connection", kind="connection", attempts=self.retries + 1, source=where
            ) from None
        except openai.APIStatusError as exc:
            kind = "server_error" if exc.status_code >= 500 else "status"
            raise LLMUnavailableError(f"model endpoint answered HTTP {exc.status_code}", kind=kind, attempts=1, source=where) from None
        except (openai.APIError, ValueError) as exc:
            raise LLMUnavailableError(
                f"model endpoint sent an unreadable stream ({type(exc).__name__})", kind="bad_response", attempts=1, source=where
            ) from None

    # -- capability detection -----------------------------------------------------------
    def _capability_key(self) -> tuple[str, str]:
        return (self.base_url or "openai-default", self.model)

    def structured_mode(self) -> StructuredMode:
        if self._configured_mode is not StructuredMode.auto:
            return self._configured_mode
        if self.kind is EndpointKind.embedded:
            return StructuredMode.json_object  # llama.cpp's server: json_schema is a 500
        key = self._capability_key()
        with _capabilities_lock:
            if key not in _capabilities:
                _capabilities[key] = self._probe()
            return _capabilities[key]

    def _probe(self) -> StructuredMode:
        """One tiny request asking for `json_schema`; any refusal means fall back to json_object."""
        messages = [ChatMessage(role="user", content='Reply with {"ok": true}.')]
        fmt = response_format(StructuredMode.json_schema, _Probe, "probe")
        try:
            self._complete(messages, fmt, max_tokens=16, retries=0)
        except LLMUnavailableError as exc:
            if exc.kind in ("status", "server_error"):
                return StructuredMode.json_object
            raise
        return StructuredMode.json_schema

    # -- transport ------------------------------------------------------------------------
    def _complete(
        self, messages: list[ChatMessage], fmt: dict[str, Any], *, max_tokens: int, retries: int | None = None
    ) -> RawReply:
        client = self._client if retries is None else self._client.with_options(max_retries=retries)
        attempts = (self.retries if retries is None else retries) + 1
        where = f"{self.kind.value}:{self.model}"
        extra: dict[str, Any] = {}
        if self.seed is not None:
            extra["seed"] = self.seed
        try:
            response = client.chat.completions.create(
                model=self.model,
                messages=[{"role": m.role, "content": m.content} for m in messages],  # type: ignore[misc]
                temperature=self.temperature,
                max_tokens=max_tokens,
                response_format=fmt,  # type: ignore[arg-type]
                **extra,
            )
        except openai.APITimeoutError:
            raise LLMUnavailableError("model endpoint timed out", kind="timeout", attempts=attempts, source=where) from None
        except openai.APIConnectionError:
            raise LLMUnavailableError(
                "model endpoint refused or dropped the connection", kind="connection", attempts=attempts, source=where
            ) from None
        except openai.RateLimitError:
            raise LLMUnavailableError("model endpoint rate-limited us (429)", kind="rate_limited", attempts=attempts, source=where) from None
        except openai.APIStatusError as exc:
            kind = "server_error" if exc.status_code >= 500 else "status"
            tries = attempts if kind == "server_error" else 1
            raise LLMUnavailableError(
                f"model endpoint answered HTTP {exc.status_code}", kind=kind, attempts=tries, source=where
            ) from None
        except (openai.APIError, ValueError) as exc:
            # A 200 whose body is not a chat completion (malformed JSON, wrong shape).
            raise LLMUnavailableError(
                f"model endpoint sent an unreadable response ({type(exc).__name__})", kind="bad_response",
                attempts=1, source=where,
            ) from None  # fmt: skip
        if not getattr(response, "choices", None):
            raise LLMUnavailableError("model endpoint sent no choices", kind="bad_response", attempts=1, source=where)
        choice = response.choices[0]
        text = choice.message.content or ""
        usage = response.usage
        prompt_tokens = usage.prompt_tokens if usage else self.count_messages(messages)
        completion_tokens = usage.completion_tokens if usage else self.count_tokens(text)
        return RawReply(
            text=text, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
            finish_reason=choice.finish_reason,
        )  # fmt: skip


def reset_capability_cache() -> None:
    with _capabilities_lock:
        _capabilities.clear()


def chat_model(settings: LLMSettings, endpoint: Endpoint) -> OpenAIChatModel:
    """The one way a model client is built: the endpoint's address, the settings' everything else.
    The embedded server gets its long timeout and no retries (a timed-out request keeps its one
    slot busy) and never a key."""
    embedded = endpoint.kind is EndpointKind.embedded
    if embedded:
        from coach.llm.tokens import embedded_tokenizer
    return OpenAIChatModel(
        base_url=endpoint.base_url,
        api_key=settings.api_key.get_secret_value() if settings.api_key and not embedded else None,
        model=endpoint.model,
        kind=endpoint.kind,
        temperature=settings.temperature,
        seed=settings.seed,
        timeout_s=settings.embedded_timeout_s if embedded else settings.timeout_s,
        retries=0 if embedded else settings.retries,
        structured_mode=settings.structured_mode,
        context_tokens=endpoint.context_tokens,
        tokenizer=embedded_tokenizer() if embedded else None,
    )


@contextmanager
def open_chat_model(
    settings: LLMSettings, *, server: EmbeddedServer | None = None, embedded: bool | None = None
) -> Iterator[OpenAIChatModel]:
    """A ready model for these settings; starts (and finally stops) the embedded server if none is configured.

    `embedded=True` uses the embedded model even when an endpoint is configured
    (`--llm embedded`). Pass `server` to reuse an already running embedded server
    (tests, benchmarks).
    """
    if embedded is None:
        embedded = settings.endpoint_kind() is EndpointKind.embedded
    if not embedded:
        yield chat_model(settings, settings.configured_endpoint())
        return
    own = server is None
    running = server or EmbeddedServer(
        threads=settings.embedded_threads, start_timeout_s=settings.embedded_start_timeout_s
    )
    running.start()
    try:
        yield chat_model(settings, running.endpoint)
    finally:
        if own:
            running.stop()
