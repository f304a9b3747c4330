"""`coach rubric check` and `coach rubric try` as a rubric author runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from coach.resources import data_file

from .support import ROOT

BUNDLED = data_file("rubrics", "expansion_call.yaml")
LABELLED = ROOT / "fixtures/labelled/01_plain_ts_ledgerline_recon_clean_pass.txt"


def _coach(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COACH_LLM_ENABLED": "false"}
    return subprocess.run([sys.executable, "-m", "coach", *map(str, args)], capture_output=True, text=True, env=env, cwd=ROOT)


def _rubric(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(BUNDLED.read_text())
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
