"""Prompt order for prefix caching: what every call shares first, the call's transcript last.

llama.cpp and vLLM reuse the computed prefix of a prompt when the next request
starts with the same tokens. These tests render the real requests (the bundled
rubric, real calls with their real heuristic scorecards, the embedded model's
tokenizer) and check that two different calls share everything up to the call
itself, that two windows of one call also share the call's header and legend,
and that nothing but transcript lines follows `<transcript>`. A template edit
that moves per-call text (a call fact, a filled advice slot, the window line)
in front of the shared part fails here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from benchmarks.bench_scoring import SELLER, fixture_lines, synthetic_call
from coach.llm.grader import LLMGrader, PlannedRequest
from coach.llm.tokens import embedded_tokenizer
from coach.readers import read_bytes, read_path
from coach.scoring import score_transcript
from coach.rubric.schema import load_rubric  # noqa: E402
from coach.transcript import Transcript

ROOT = Path(__file__).resolve().parent.parent.parent
# The sample call has a trigger, a customer's workflow and a named customer; h02 fails other items
# and has no workflow statement: their advice slots fill differently.
SAMPLE = ROOT / "fixtures/sample/expansion_call.vtt"
OTHER = ROOT / "fixtures/heldout/h02_healthcare_cmio_crosssell.vtt"


@pytest.fixture(scope="module")
def grader(planning_grader) -> LLMGrader:
    return planning_grader


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


def read(path: Path) -> Transcript:
    labels = path.with_name(path.name.rsplit(".", 1)[0] + ".labels.yaml")
    sellers = yaml.safe_load(labels.read_text())["sellers"] if labels.exists() else ["Priya Shah", "Dan Ortiz"]
    return read_path(path, sellers=sellers)


def requests_for(grader: LLMGrader, rubric, transcript: Transcript) -> list[PlannedRequest]:
    return grader.plan(transcript, score_transcript(transcript, rubric), rubric)


def prompt_text(request: PlannedRequest) -> str:
    """The request as one string in message order (what a chat template lays out as tokens)."""
    return "".join(f"<{m.role}>\n{m.content}" for m in request.messages)


def common_prefix(a: str, b: str) -> str:
    return os.path.commonprefix([a, b])


def test_two_calls_share_everything_before_the_call(grader, rubric):
    (first,) = requests_for(grader, rubric, read(SAMPLE))
    (second,) = requests_for(grader, rubric, read(OTHER))
    # The calls differ in what the advice slots are filled with: the system message must not.
    assert {a.id for a in first.window.advice} != {a.id for a in second.window.advice}
    system = first.messages[0]
    assert [m.role for m in first.messages] == ["system", "user"] and second.messages[0] == system
    shared = common_prefix(prompt_text(first), prompt_text(second))
    # Everything up to the call's own first line is shared: the rubric items, their playbook
    # advice and the instructions; the first difference is in the call's header.
    assert shared.startswith(f"<system>\n{system.content}<user>\nCall ")
    assert "{" not in system.content and "}" not in system.content  # slots in their fallback wording
    for item in grader.llm_items(rubric):
        assert f"## {item.id}: {item.title}" in shared
    # In tokens: the shared part is most of a short call's prompt, so a prefix cache saves it.
    count = embedded_tokenizer().count
    assert count(system.content) > count(first.messages[1].content) / 2


@pytest.mark.parametrize("path", [SAMPLE, OTHER], ids=lambda p: p.name)
def test_the_transcript_comes_last(grader, rubric, path):
    (request,) = requests_for(grader, rubric, read(path))
    user = request.messages[-1].content
    head, transcript = user.split("<transcript>\n", 1)
    assert transcript.rstrip().endswith("</transcript>")
    lines = transcript.rstrip().removesuffix("</transcript>").strip().splitlines()
    turns = [t.turn.index for t in request.window.turns]
    numbered = [line for line in lines if not line.startswith("[")]  # [n min] markers aside
    assert [int(line.split(" ", 1)[0]) for line in numbered] == turns  # only the call's lines follow <transcript>
    assert all(f"- {a.id}: " in head for a in request.window.advice)  # per-call advice requests come before it


def test_windows_of_one_call_share_its_header_and_legend(grader, rubric):
    transcript = read_bytes(synthetic_call(fixture_lines(), 9000, 1), name="hour_1.txt", sellers=[SELLER])
    planned = requests_for(grader, rubric, transcript)
    assert len(planned) >= 2
    users = [r.messages[1].content for r in planned]
    legend = users[0].split("\n")[1]
    assert legend.startswith("Speakers: ")
    for request, user in zip(planned, users):
        assert request.messages[0] == planned[0].messages[0]
        shared = common_prefix(users[0], user)
        assert shared.startswith(f"Call hour_1.txt: {len(transcript.turns)} turns.\n{legend}\n")
        window_line = f"This part shows turns {request.window.turns[0].turn.index} to "
        assert user.index(window_line) < user.index("<transcript>")
