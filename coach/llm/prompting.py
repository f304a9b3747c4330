"""Prompt rendering: jinja2 templates from `prompts/`, filled from rubric and call data.

Templates render with StrictUndefined, so a renamed field fails loudly instead
of sending a prompt with a hole in it. The template hash recorded on each
scorecard covers the template sources, so a prompt change shows up as a
different hash.
"""

from __future__ import annotations

import hashlib
from functools import cache

import jinja2
from pydantic import BaseModel, ConfigDict

from coach.errors import RubricError
from coach.llm.protocol import ChatMessage
from coach.resources import data_dir

GRADE_TEMPLATES = ("grade_call.system.j2", "grade_call.user.j2", "grade_call.turn.j2")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PromptItem(_Model):
    id: str
    title: str
    question: str = ""  # a `grader: llm` question item: pass_when / fail_when are what yes / no mean
    pass_when: str
    fail_when: str = ""
    not_applicable_when: str = ""
    advice: str = ""


class PromptSpeaker(_Model):
    tag: str  # what the transcript lines call this speaker: S/C/U (seller, customer, unknown), numbered if several
    name: str
    role: str


class PromptTurn(_Model):
    index: int
    tag: str
    minute: int | None = None  # set on the first turn of each new minute of the call: a sparse time marker
    text: str


class PromptAdvice(_Model):
    """An item the heuristics failed and the LLM does not judge: it only writes the advice."""

    id: str
    title: str
    note: str  # the playbook's advice for the way the checks saw it fail


class PromptWindow(_Model):
    first: int
    last: int
    number: int
    count: int


class GradePrompt(_Model):
    rubric_id: str
    rubric_version: str
    max_evidence: int
    items: list[PromptItem]
    call_name: str
    total_turns: int
    speakers: list[PromptSpeaker]
    turns: list[PromptTurn]
    advice_items: list[PromptAdvice] = []
    window: PromptWindow | None = None


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("prompts"))),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text to a model, not HTML
        keep_trailing_newline=False,
        trim_blocks=False,
    )


def template_hash(names: tuple[str, ...] = GRADE_TEMPLATES) -> str:
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode())
        digest.update((data_dir("prompts") / name).read_bytes())
    return digest.hexdigest()[:16]


def render(name: str, **values: object) -> str:
    try:
        return environment().get_template(name).render(**values).strip() + "\n"
    except jinja2.UndefinedError as exc:
        raise RubricError(f"template needs a value it was not given: {exc.message}", source=f"prompts/{name}") from None
    except jinja2.TemplateError as exc:
        raise RubricError(f"template error: {exc}", source=f"prompts/{name}") from None


def render_turn(turn: PromptTurn) -> str:
    """One transcript line (with its minute marker, if any) exactly as the user template writes it.

    The window planner prices turns with this, so planning and sending share one format.
    """
    return render(GRADE_TEMPLATES[2], turn=turn.model_dump())


def grade_messages(prompt: GradePrompt) -> list[ChatMessage]:
    values = prompt.model_dump()
    system_values = {k: values[k] for k in ("rubric_id", "rubric_version", "max_evidence", "items")}
    user_values = {k: values[k] for k in ("call_name", "total_turns", "speakers", "turns", "advice_items", "window")}
    return [
        ChatMessage(role="system", content=render(GRADE_TEMPLATES[0], **system_values)),
        ChatMessage(role="user", content=render(GRADE_TEMPLATES[1], **user_values)),
    ]
