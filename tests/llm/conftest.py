"""Shared pieces for the LLM tests: a small rubric stand-in and transcripts built in code."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from coach.scorecard import CallInfo, ItemResult, RubricRef, Scorecard, Verdict
from coach.transcript import Role, Speaker, Transcript, Turn


@dataclass(frozen=True)
class StubItem:
    id: str
    title: str
    description: str
    grader: str
    advice: dict[str, str] = field(default_factory=lambda: {"default": "Open with the customer's signal."})


@dataclass(frozen=True)
class StubRubric:
    id: str = "expansion_call"
    version: str = "test-1"
    items: tuple[StubItem, ...] = ()
    advice_slots: dict[str, str] = field(default_factory=dict)


def make_rubric(**graders: str) -> StubRubric:
    return StubRubric(
        items=tuple(
            StubItem(id=item_id, title=item_id.replace("_", " "), description=f"Pass when {item_id} holds.", grader=g)
            for item_id, g in graders.items()
        )
    )


def make_call(lines: list[tuple[str, str]], *, sellers: tuple[str, ...] = ("Priya Shah",)) -> Transcript:
    names = list(dict.fromkeys(name for name, _ in lines))
    speakers = [
        Speaker(id=f"s{i}", name=name, role=Role.seller if name in sellers else Role.customer, role_confidence=1.0)
        for i, name in enumerate(names)
    ]
    ids = {s.name: s.id for s in speakers}
    turns = [
        Turn(index=i, speaker=ids[name], text=text, start_s=float(i * 10)) for i, (name, text) in enumerate(lines)
    ]
    return Transcript(id="test-call", source="test-call.txt", format="plain", speakers=speakers, turns=turns)


def heuristic_card(transcript: Transcript, verdicts: dict[str, Verdict]) -> Scorecard:
    return Scorecard(
        call=CallInfo(id=transcript.id, source=transcript.source, format=transcript.format, speakers=[]),
        rubric=RubricRef(id="expansion_call", version="test-1"),
        items=[ItemResult(id=item_id, verdict=v, advice="static advice" if v is Verdict.fail else "")
               for item_id, v in verdicts.items()],
    )  # fmt: skip


SAMPLE_LINES = [
    ("Priya Shah", "Hi Marcus, thanks for making time. How was the offsite?"),
    ("Marcus Lee", "Good, exhausting. We planned most of next year."),
    ("Priya Shah", "Your team crossed 212 of your 250 licensed seats this month, about 85% of the plan."),
    ("Marcus Lee", "Yeah, finance onboarded the whole AP group."),
    ("Priya Shah", "Could we spend 20 minutes mapping how your team handles matching today?"),
    ("Marcus Lee", "That works. Thursday at 10am."),
]


@pytest.fixture(autouse=True)
def no_llm_environment(monkeypatch):
    """Tests never pick up a developer's or CI's endpoint or key."""
    import os

    for name in list(os.environ):
        if (name.startswith(("OPENAI_", "COACH_LLM_")) or name == "COACH_LLM") and name != "COACH_RECORD_CASSETTES":
            monkeypatch.delenv(name)


@pytest.fixture
def sample_call() -> Transcript:
    return make_call(SAMPLE_LINES)


@pytest.fixture(scope="module")
def planning_grader():
    """A grader that plans and renders requests with the embedded model's own tokenizer and never sends them."""
    from coach.llm.client import OpenAIChatModel
    from coach.llm.grader import LLMGrader
    from coach.llm.settings import EndpointKind
    from coach.llm.tokens import embedded_tokenizer

    model = OpenAIChatModel(base_url="http://127.0.0.1:9/v1", api_key=None, model="embedded", kind=EndpointKind.embedded,
                            tokenizer=embedded_tokenizer())  # fmt: skip
    return LLMGrader(model)
