"""The real thing: `coach score --llm embedded` starts the embedded SmolLM2 server, grades a call,
stops the server.

Slow (half a minute on a quiet 2-core machine) and run by CI all the same: it is the
one test that proves the offline model works with no endpoint configured. It needs the
`local-llm` extra (`scripts/test.sh` installs it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from coach.llm.choice import LLMChoice
from coach.llm.embedded import MODEL_ALIAS
from coach.llm.session import llm_job
from coach.readers import read_path
from coach.rubric.schema import load_rubric

ROOT = Path(__file__).resolve().parent.parent.parent
SAMPLE = ROOT / "fixtures/sample/expansion_call.vtt"
SELLERS = ["Priya Shah", "Dan Ortiz"]

pytestmark = pytest.mark.slow


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "COACH_LLM"))}


def test_coach_score_grades_with_the_embedded_model_when_asked():
    # The bundled rubric and the README's sample call, exactly as a new user runs them. At
    # temperature 0 with a fixed seed the embedded model answers the same way every run, and
    # that answer is valid JSON within the token limit: a failed grading here is a regression.
    args = [sys.executable, "-m", "coach", "score", str(SAMPLE), "-f", "json", "--llm", "embedded"]
    for name in SELLERS:
        args += ["--seller", name]
    proc = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=clean_env(), timeout=900)
    assert proc.returncode == 0, proc.stderr
    card = json.loads(proc.stdout)
    run = card["llm"]
    assert run["llm_status"] == "ok", run
    assert (run["model"], run["endpoint_kind"], run["structured_mode"]) == (MODEL_ALIAS, "embedded", "json_object")
    assert run["tokens_in"] > 0 and run["tokens_out"] > 0 and run["requests"] >= 1 and run["windows"] == 1
    assert run["prompt_template_hash"] and run["rubric_version"] == card["rubric"]["version"]
    assert run["redacted"] is False  # loopback model: nothing leaves the machine
    llm_items = [item.id for item in load_rubric().items if item.grader != "heuristic"]
    assert llm_items and run["items_graded"] == llm_items
    transcript = read_path(SAMPLE, sellers=SELLERS)
    texts = {t.index: t.text for t in transcript.turns}
    judged = 0
    for item in card["items"]:
        opinion = item["llm_opinion"]
        if item["id"] not in run["items_graded"]:
            assert opinion is None
            continue
        if opinion is None:
            continue
        judged += 1
        for ev in opinion["evidence"]:
            assert ev["quote"] and ev["quote"] in texts[ev["turn"]]  # only checked, verbatim quotes survive
    assert judged + run["dropped_claims"] == len(run["items_graded"])


def test_embedded_server_stops_when_the_batch_ends():
    with llm_job(LLMChoice(use="embedded")) as job:
        assert job.mode == "grade" and job.endpoint.kind.value == "embedded"
        with urllib.request.urlopen(f"{job.endpoint.base_url}/models", timeout=5) as response:
            models = json.load(response)
        assert [m["id"] for m in models["data"]] == [MODEL_ALIAS]
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(f"{job.endpoint.base_url}/models", timeout=2)
