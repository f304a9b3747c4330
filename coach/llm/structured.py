"""Structured replies: parse into a pydantic model, one corrective re-ask, then a typed error.

Kept apart from the transport (client.py) so the fake model exercises exactly
the same parsing and repair loop as the real one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, ValidationError

from coach.llm.errors import LLMError, StructuredOutputError

if TYPE_CHECKING:
    from coach.llm.protocol import ChatMessage, StructuredReply, Usage

T = TypeVar("T", bound=BaseModel)
REPAIRS = 1
_MAX_ERRORS_SHOWN = 5


@dataclass
class RawReply:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None = None


def parse_reply(text: str, schema: type[T]) -> T:
    """The reply as `schema`; tolerates a Markdown fence around the JSON and raw control characters in strings.

    llama-cpp-python's JSON grammar lets a string contain a raw newline (its
    `char` rule excludes only `"` and `\\`), which strict JSON forbids; the
    embedded model does write them. Reading such a reply leniently keeps a
    grammar-valid answer instead of spending a repair re-ask on it.
    """
    body = text.strip()
    if body.startswith("```"):
        body = body.split("\n", 1)[1] if "\n" in body else ""
        body = body.rsplit("```", 1)[0]
    try:
        return schema.model_validate_json(body)
    except ValidationError as exc:
        if not all(err["type"] == "json_invalid" for err in exc.errors()):
            raise
        try:
            lenient = json.loads(body, strict=False)
        except ValueError:
            raise exc from None
        return schema.model_validate(lenient)


def describe_error(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors()[:_MAX_ERRORS_SHOWN]:
        where = ".".join(str(p) for p in err["loc"]) or "(root)"
        lines.append(f"- {where}: {err['msg']}")
    return "\n".join(lines)


def repair_message(raw: str, exc: ValidationError, finish_reason: str | None) -> str:
    cut = " It was cut off at the token limit: be shorter." if finish_reason == "length" else ""
    return (
        "Your previous reply was not valid JSON for the required schema." + cut + "\n"
        "Problems:\n" + describe_error(exc) + "\n"
        "Reply again with only the corrected JSON object, nothing else."
    )


def run_structured(
    send: Callable[[list["ChatMessage"]], RawReply],
    messages: list["ChatMessage"],
    schema: type[T],
    *,
    source: str,
    repairs: int = REPAIRS,
) -> "StructuredReply[T]":
    from coach.llm.protocol import ChatMessage, StructuredReply, Usage

    usage = Usage()
    batch = list(messages)
    last = ""
    for attempt in range(1, repairs + 2):
        try:
            reply = send(batch)
        except LLMError as exc:
            _spent(exc, usage, earlier_requests=attempt - 1)
            raise
        usage = usage + Usage(prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens)
        last = reply.text
        try:
            value = parse_reply(reply.text, schema)
        except ValidationError as exc:
            if attempt > repairs:
                error = StructuredOutputError(
                    f"reply failed validation: {describe_error(exc).splitlines()[0]}",
                    attempts=attempt,
                    last_output=last,
                    source=source,
                )
                raise _spent(error, usage, earlier_requests=0) from None
            batch = [
                *messages,
                ChatMessage(role="assistant", content=reply.text),
                ChatMessage(role="user", content=repair_message(reply.text, exc, reply.finish_reason)),
            ]
            continue
        return StructuredReply[schema](  # type: ignore[valid-type]
            value=value, usage=usage, attempts=attempt, raw=reply.text, finish_reason=reply.finish_reason
        )
    raise AssertionError("unreachable")


def _spent(error: LLMError, usage: "Usage", *, earlier_requests: int) -> LLMError:
    """`error` carrying the tokens and requests this structured request had already spent."""
    error.spent_prompt_tokens = usage.prompt_tokens
    error.spent_completion_tokens = usage.completion_tokens
    error.earlier_requests = earlier_requests
    return error
