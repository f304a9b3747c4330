"""`coach rubric check` and `coach rubric try` as a rubric author runs them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from coach.resources import data_file

from .support import ROOT

BUNDLED = data_file("rubrics", "expansion_call.yaml")
LABELLED = ROOT / "fixtures/labelled/01_plain_ts_ledgerline_recon_clean_pass.txt"


def _coach(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COACH_LLM_ENABLED": "false"}
    return subprocess.run([sys.executable, "-m", "coach", *map(str, args)], capture_output=True, text=True, env=env, cwd=ROOT)


def _rubric(tmp_path: Path, edit, source: Path = BUNDLED) -> Path:
    data = yaml.safe_load(source.read_text())
    edit(data)
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_bundled_rubric_checks_clean():
    run = _coach("rubric", "check", BUNDLED)
    assert run.returncode == 0, run.stderr
    items = len(yaml.safe_load(BUNDLED.read_text())["items"])
    assert "expansion_call" in run.stdout and f"{items} items, 0 error(s), 0 warning(s)" in run.stdout


def test_an_example_that_does_not_get_its_verdict_is_named(tmp_path):
    def edit(data):
        never = next(i for i in data["items"] if i["id"] == "never_say")
        never["examples"]["pass"].append({"call": "AE: I wanted to tell you about our new product.\nBuyer: ok"})

    run = _coach("rubric", "check", _rubric(tmp_path, edit))
    assert run.returncode == 1
    n = len(yaml.safe_load(BUNDLED.read_text())["items"][3]["examples"]["pass"])
    assert f"team.yaml: error: items.never_say.examples.pass[{n}]: scores fail, not pass" in run.stderr


def test_dropping_a_bundled_id_while_keeping_its_rubric_id_is_an_error(tmp_path):
    run = _coach("rubric", "check", _rubric(tmp_path, lambda d: d["items"].pop()))
    assert run.returncode == 1
    assert "items: extends expansion_call (same id) but drops its item id(s) ['exec_sponsor']" in run.stderr


def test_a_schema_error_names_file_item_and_field(tmp_path):
    run = _coach("rubric", "check", _rubric(tmp_path, lambda d: d["items"][0].pop("weight")))
    assert run.returncode == 2
    assert "team.yaml" in run.stderr and "items.0.weight" in run.stderr.replace("[", ".").replace("]", "")
    assert "Traceback" not in run.stderr


def test_try_scores_calls_and_prints_agreement_with_labels(tmp_path):
    run = _coach("rubric", "try", BUNDLED, LABELLED)
    assert run.returncode == 0, run.stderr
    assert f"{LABELLED}: expansion" in run.stdout
    assert "discovery_questions: pass  agrees" in run.stdout
    labels = yaml.safe_load(LABELLED.with_name(LABELLED.stem + ".labels.yaml").read_text())["items"]
    assert f"/{len(labels)} (" in run.stdout.splitlines()[-1]


FIRST_CALL = data_file("rubrics", "first_call_discovery.yaml")
QUESTION_ITEM = "reason_in_their_words"


def _first_call(tmp_path: Path, edit) -> Path:
    return _rubric(tmp_path, lambda data: edit(next(i for i in data["items"] if i["id"] == QUESTION_ITEM)), FIRST_CALL)


def test_bundled_first_call_rubric_checks_clean_and_says_what_it_did_not_check():
    run = _coach("rubric", "check", FIRST_CALL)
    assert run.returncode == 0, run.stderr
    assert "0 error(s), 0 warning(s), 1 note(s)" in run.stdout
    assert f"note: items.{QUESTION_ITEM}.examples: 3 example(s) not checked" in run.stdout


def test_a_compound_question_is_an_error_naming_the_field(tmp_path):
    two = _first_call(tmp_path, lambda i: i.update(question="Did the rep confirm the reason? Did they ask about budget?"))
    run = _coach("rubric", "check", two)
    assert run.returncode == 1
    assert f"team.yaml: error: items.{QUESTION_ITEM}.question: asks 2 questions" in run.stderr
    joined = _first_call(tmp_path, lambda i: i.update(question="Did the rep confirm the reason and who decides?"))
    run = _coach("rubric", "check", joined)
    assert run.returncode == 1 and "joins two asks with 'and who'" in run.stderr
    deed = _first_call(tmp_path, lambda i: i.update(question="Did the rep confirm the reason and ask about budget?"))
    run = _coach("rubric", "check", deed)
    assert run.returncode == 0  # a warning: the words alone cannot tell for sure
    assert f"warning: items.{QUESTION_ITEM}.question: 'and ask' adds a second thing to do" in run.stdout


def test_yes_and_no_must_differ(tmp_path):
    same = _first_call(tmp_path, lambda i: i.update({False: i[True]}))  # bare yes: / no: load as true / false
    run = _coach("rubric", "check", same)
    assert run.returncode == 1
    assert f"error: items.{QUESTION_ITEM}.no: says the same as yes" in run.stderr


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda i: i.pop(False), r"a question item says what no mean\(s\): no missing"),
        (lambda i: i.update(grader="both"), r"a question item is answered by the LLM alone: set grader: llm \(not both\)"),
        (lambda i: i.update(detector={"type": "presence.v1", "params": {"patterns": ["so"]}}),
         r"an item has a detector or a question"),
        (lambda i: i.pop("question"), r"give a detector, or a question"),
    ],
)  # fmt: skip
def test_a_malformed_question_item_is_refused_naming_the_item(tmp_path, edit, message):
    run = _coach("rubric", "check", _first_call(tmp_path, edit))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert re.search(r"team\.yaml: items\[\d+\]: " + message, run.stderr), run.stderr


def test_bare_yes_and_no_keys_are_read_as_the_words(tmp_path):
    # YAML 1.1 turns `yes:` / `no:` into true / false: the loader takes them back
    text = FIRST_CALL.read_text()
    assert "\n    yes: >-" in text and "\n    no: >-" in text and "\n      no: Play" in text
    run = _coach("rubric", "check", FIRST_CALL)
    assert run.returncode == 0, run.stderr
