import json
import shutil

from coach.cli import app

from .support import ROOT, SELLERS, sample_call

LABELS = """sellers: [{sellers}]
motion: cross_sell
trigger: usage_threshold
items:
  signal_first_opening: pass
  discovery_questions: pass
  ask_once: not_applicable
  never_say: pass
  diagnostic_framing: pass
  neutrality_statement: pass
  customer_timeline: not_applicable
  no_demo_before_discovery: pass
  soft_no_reopen: not_applicable
  escalation_guard: not_applicable
  next_step: pass
  exec_sponsor: pass
discovery_asked: [1, 2, 3]
"""


def make_labelled(folder, stem, labels=None):
    shutil.copy(sample_call(), folder / f"{stem}{sample_call().suffix}")
    (folder / f"{stem}.labels.yaml").write_text(labels or LABELS.format(sellers=", ".join(SELLERS)))


def test_eval_json_report(runner, tmp_path):
    make_labelled(tmp_path, "one")
    make_labelled(tmp_path, "two")
    result = runner.invoke(app, ["eval", str(tmp_path), "--json"])
    assert result.stderr == ""
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["calls"] == 2
    never_say = next(i for i in report["items"] if i["id"] == "never_say")
    assert never_say["n"] == 2 and never_say["core"] is True
    assert set(never_say["confusion"]) == {"pass", "fail", "not_applicable"}
    assert report["motion"]["n"] == 2 and report["discovery_asked"]["n"] == 2


def test_eval_table_and_bad_labels_reported_on_one_line(runner, tmp_path):
    make_labelled(tmp_path, "one")
    make_labelled(tmp_path, "two", labels=LABELS.format(sellers="Priya Shah").replace("never_say: pass", "never_say: nope"))
    result = runner.invoke(app, ["eval", str(tmp_path)])
    assert result.exit_code == 2
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1
    assert errors[0].startswith(f"coach: error: {tmp_path / 'two.labels.yaml'}: items.never_say: Input should be")
    assert "1 labelled calls (1 skipped)" in result.stdout
    assert "precision" in result.stdout and "P→F" in result.stdout
    assert "signal_first_opening" in result.stdout


def test_eval_on_a_folder_without_labels(runner, tmp_path):
    result = runner.invoke(app, ["eval", str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"coach: error: {tmp_path / 'missing'}: not a folder"


def test_eval_call_type_option_scores_every_call_as_that_type(runner):
    result = runner.invoke(app, ["eval", str(ROOT / "fixtures" / "labelled"), "--call-type", "new_logo", "--json"])
    doc = json.loads(result.stdout)
    signal = next(i for i in doc["items"] if i["id"] == "signal_first_opening")
    assert signal["accuracy"] < 0.5  # every expansion-only verdict became not_applicable, against the labels
