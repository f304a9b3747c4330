"""Prompt size: one request per call that fits, and prompt tokens <= transcript tokens + 1,500.

Counted with the embedded model's own tokenizer (exact: it matched the
server's reported prompt tokens to within one token), over the bundled rubric's
LLM-graded items and every labelled call.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from coach.llm.client import OpenAIChatModel
from coach.llm.grader import LLMGrader, prepare_turns
from coach.llm.prompting import grade_messages
from coach.llm.settings import EndpointKind
from coach.llm.tokens import embedded_tokenizer
from coach.readers import read_path
from coach.scoring import score_items  # noqa: F401  (coach.rubric has an import cycle when imported first)
from coach.rubric import load_rubric  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent.parent
BUDGET = 1500
CALLS = sorted(p for p in (ROOT / "fixtures/labelled").iterdir() if not p.name.endswith(".labels.yaml") and p.suffix != ".md")


def sellers(path: Path) -> list[str]:
    labels = path.with_name(path.name.rsplit(".", 1)[0] + ".labels.yaml")
    return list(yaml.safe_load(labels.read_text())["sellers"])


@pytest.fixture(scope="module")
def grader() -> LLMGrader:
    model = OpenAIChatModel(base_url="http://127.0.0.1:9/v1", api_key=None, model="embedded", kind=EndpointKind.embedded,
                            tokenizer=embedded_tokenizer())  # fmt: skip
    return LLMGrader(model)


@pytest.mark.parametrize("path", [ROOT / "fixtures/sample/expansion_call.txt", *CALLS], ids=lambda p: p.name)
def test_prompt_overhead_stays_within_budget(path, grader):
    rubric = load_rubric()
    items = grader.llm_items(rubric)
    assert items, "the bundled rubric grades some items with the LLM"
    transcript = read_path(path, sellers=sellers(path) if path.parent.name == "labelled" else ["Priya Shah", "Dan Ortiz"])
    turns = prepare_turns(transcript, redact_personal=False)
    windows = grader._windows(transcript, rubric, items, turns, 2048)
    assert len(windows) == 1  # every labelled call fits one request
    messages = grade_messages(grader._prompt(transcript, rubric, items, windows[0]))
    prompt_tokens = grader.model.count_messages(messages)
    spoken = "\n".join(f"{transcript.speaker_name(t)}: {t.text}" for t in transcript.turns)
    transcript_tokens = embedded_tokenizer().count(spoken)
    assert prompt_tokens <= transcript_tokens + BUDGET, (prompt_tokens, transcript_tokens)
