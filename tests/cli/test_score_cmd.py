import json
import os
import re
import subprocess
import sys

from coach.cli import app
from coach.render.json import parse_json

from .support import ROOT, SELLERS, sample_call


def seller_args():
    return [arg for name in SELLERS for arg in ("--seller", name)]


def error_lines(result):
    return [line for line in result.stderr.splitlines() if line.startswith("coach: error:")]


def test_one_call_prints_its_json_scorecard(runner):
    result = runner.invoke(app, ["score", str(sample_call()), "--format", "json", *seller_args()])
    assert result.exit_code == 0, result.stderr
    card = parse_json(result.stdout)
    assert card.call.source == sample_call().name
    roles = {s.name: s.role.value for s in card.call.speakers}
    assert roles["Priya Shah"] == "seller" and roles["Marcus Lee"] == "customer"
    assert result.stderr == ""


def test_text_is_the_default_and_plain_when_not_a_terminal(runner):
    result = runner.invoke(app, ["score", str(sample_call()), *seller_args()])
    assert result.exit_code == 0, result.stderr
    assert "Scorecard · expansion call" in result.stdout
    assert "\x1b[" not in result.stdout


def test_a_folder_goes_on_past_bad_files_and_exits_2(runner, calls_dir, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["score", str(calls_dir), "--format", "json", "--out", str(out), *seller_args()])
    assert result.exit_code == 2
    errors = error_lines(result)
    assert len(errors) == 2, result.stderr
    assert any("b_empty.txt" in line for line in errors)
    assert any("d_binary.txt" in line for line in errors)
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a_good.scorecard.json", "c_good.scorecard.json"]
    cards = [parse_json(path.read_text()) for path in out.iterdir()]
    assert all(card.call.source.endswith("_good" + sample_call().suffix) for card in cards)
    mean = sum(card.score for card in cards) / len(cards)
    assert result.stderr.strip().splitlines()[-1] == f"coach: scored 2 of 4 calls, 2 failed, mean score {mean:.0f}, written to {out}"
    assert result.stdout == ""


def test_several_json_scorecards_on_stdout_are_json_lines(runner, calls_dir):
    for bad in ("b_empty.txt", "d_binary.txt"):
        (calls_dir / bad).unlink()
    result = runner.invoke(app, ["score", str(calls_dir), "-f", "json", "--workers", "2", *seller_args()])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert [json.loads(line)["call"]["source"] for line in lines] == [
        f"a_good{sample_call().suffix}",
        f"c_good{sample_call().suffix}",
    ]
    assert result.stderr.strip().startswith("coach: scored 2 of 2 calls, mean score ")


def test_html_and_markdown_files_per_call(runner, tmp_path):
    for fmt, suffix in (("html", ".html"), ("md", ".md"), ("text", ".txt")):
        out = tmp_path / fmt
        result = runner.invoke(app, ["score", str(sample_call()), "-f", fmt, "-o", str(out), *seller_args()])
        assert result.exit_code == 0, result.stderr
        written = out / f"{sample_call().stem}.scorecard{suffix}"
        text = written.read_text()
        assert "Marcus Lee" in text
        assert "\x1b[" not in text
    page = (tmp_path / "html" / f"{sample_call().stem}.scorecard.html").read_text()
    assert page.startswith("<!doctype html>") and "<script" not in page
    assert 'id="turn-0"' in page


def test_inputs_sharing_a_stem_do_not_overwrite_each_other(runner, tmp_path):
    first, second = tmp_path / "one", tmp_path / "two"
    for folder in (first, second):
        folder.mkdir()
        (folder / "call.txt").write_text("Ann: Hello Bob.\nBob: Hi Ann.\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["score", str(first / "call.txt"), str(second / "call.txt"), "-f", "json", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["call-2.scorecard.json", "call.scorecard.json"]


def test_several_html_pages_need_an_output_folder(runner, calls_dir):
    result = runner.invoke(app, ["score", str(calls_dir), "-f", "html"])
    assert result.exit_code == 2
    assert error_lines(result) == ["coach: error: --format html with several calls needs --out DIR (one page per call)"]


def test_an_empty_folder_is_an_error(runner, tmp_path):
    result = runner.invoke(app, ["score", str(tmp_path)])
    assert result.exit_code == 2
    assert len(error_lines(result)) == 1 and "no call files found" in result.stderr


def test_roles_file_sets_the_seller_side(runner, tmp_path):
    roles = tmp_path / "roles.yaml"
    roles.write_text("sellers: [Priya Shah, Dan Ortiz]\nnotes: a labels file works too\n")
    result = runner.invoke(app, ["score", str(sample_call()), "-f", "json", "--roles", str(roles)])
    assert result.exit_code == 0, result.stderr
    roles_out = {s.name: s.role.value for s in parse_json(result.stdout).call.speakers}
    assert roles_out.pop("Priya Shah") == "seller" and roles_out.pop("Dan Ortiz") == "seller"
    assert roles_out and set(roles_out.values()) == {"customer"}


def test_bad_roles_file_is_one_line_naming_file_and_field(runner, tmp_path):
    roles = tmp_path / "roles.yaml"
    roles.write_text("sellers: Priya Shah\n")
    result = runner.invoke(app, ["score", str(sample_call()), "--roles", str(roles)])
    assert result.exit_code == 2
    assert error_lines(result) == [f"coach: error: {roles}: sellers: expected a list of names"]
    roles.write_text("sellers: [unclosed\n")
    result = runner.invoke(app, ["score", str(sample_call()), "--roles", str(roles)])
    assert result.exit_code == 2
    assert len(error_lines(result)) == 1 and str(roles) in result.stderr and "not valid YAML" in result.stderr
    assert result.stdout == ""


def test_a_missing_rubric_stops_before_scoring(runner, tmp_path):
    missing = tmp_path / "nope.yaml"
    result = runner.invoke(app, ["score", str(sample_call()), "--rubric", str(missing)])
    assert result.exit_code == 2
    errors = error_lines(result)
    assert len(errors) == 1 and str(missing) in errors[0]
    assert result.stdout == ""


def test_a_team_rubric_is_used_and_recorded(runner, tmp_path):
    team = tmp_path / "team.yaml"
    bundled = (ROOT / "rubrics" / "expansion_call.yaml").read_text()
    team.write_text(re.sub(r"(?m)^version:.*$", "version: team-7", bundled, count=1))
    result = runner.invoke(app, ["score", str(sample_call()), "-f", "json", "--rubric", str(team), *seller_args()])
    assert result.exit_code == 0, result.stderr
    assert parse_json(result.stdout).rubric.version == "team-7"


def test_an_invalid_rubric_is_one_line_naming_the_field(runner, tmp_path):
    team = tmp_path / "team.yaml"
    bundled = (ROOT / "rubrics" / "expansion_call.yaml").read_text()
    team.write_text(re.sub(r"(?m)^(\s+)weight: .*$", r"\1weight: heavy", bundled, count=1))
    result = runner.invoke(app, ["score", str(sample_call()), "--rubric", str(team)])
    assert result.exit_code == 2
    errors = error_lines(result)
    assert len(errors) == 1 and str(team) in errors[0] and "weight" in errors[0], result.stderr
    assert result.stdout == ""


def test_unknown_format_is_a_usage_error(runner):
    result = runner.invoke(app, ["score", str(sample_call()), "--format", "pdf"])
    assert result.exit_code == 2


def test_installed_entry_point_runs_the_batch_in_worker_processes(calls_dir, tmp_path):
    """Through a real process: the pool, the exit code and stderr as a user sees them."""
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "coach", "score", str(calls_dir), "-f", "md", "-o", str(out), "--workers", "2"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "COACH_LLM_ENABLED": "false"},  # the LLM path has its own end-to-end test
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 3, proc.stderr  # two one-line errors and the summary
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a_good.scorecard.md", "c_good.scorecard.md"]


def test_demo_script_scores_the_bundled_sample(tmp_path):
    """The README's main command, run as a new user would (reusing this environment's venv)."""
    env = {**os.environ, "COACH_VENV": sys.prefix, "COACH_LLM_ENABLED": "false"}  # LLM: tests/llm/test_end_to_end.py
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "demo.sh")], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Scorecard · expansion call" in proc.stdout
    assert sample_call().name in proc.stdout and "Marcus Lee (customer" in proc.stdout


def test_seller_name_matching_nobody_is_a_one_line_error_never_a_score(runner):
    result = runner.invoke(app, ["score", str(sample_call()), "--seller", "Priyaa Shahh", "--no-llm", "--format", "json"])
    assert result.exit_code == 2
    assert "100/100" not in result.output and '"score"' not in result.output
    line = next(ln for ln in result.output.splitlines() if "--seller" in ln)
    assert "'Priyaa Shahh' matches no speaker" in line and "Priya Shah" in line


def test_call_type_option_overrides_the_classifier(runner):
    result = runner.invoke(app, ["score", str(sample_call()), "--call-type", "not_sales", "--no-llm", "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["call_type"] == "not_sales" and doc["call_type_detail"]["source"] == "user"
    assert doc["score"] is None and doc["score_reason"]


NEW_LOGO = """AE: Thanks for calling in. What made you reach out?
Buyer: We've been looking into test automation tools. How much does it cost?
AE: How does your team run regression tests today?
Buyer: By hand, it takes 3 days every release.
AE: Could we do Thursday at 10am with your VP?
Buyer: Thursday works.
"""


def test_the_call_type_picks_the_rubric_and_the_card_says_why(runner, tmp_path):
    call = tmp_path / "prospect.txt"
    call.write_text(NEW_LOGO)
    text = runner.invoke(app, ["score", str(call), "--seller", "AE"])
    assert text.exit_code == 0, text.stderr
    assert "Scorecard · first call discovery" in text.stdout
    flat = " ".join(text.stdout.split())
    assert "rubric first_call_discovery v" in flat and "the rubric for new_logo calls" in flat
    card = json.loads(runner.invoke(app, ["score", str(call), "--seller", "AE", "--format", "json"]).stdout)
    assert card["call_type"] == "new_logo" and card["rubric"]["id"] == "first_call_discovery"
    assert card["rubric"]["version"] and "new_logo" in card["rubric"]["reason"]
    named = runner.invoke(app, ["score", str(call), "--seller", "AE", "--format", "json",
                                "--rubric", str(ROOT / "rubrics/expansion_call.yaml")])  # fmt: skip
    assert named.exit_code == 0, named.stderr
    assert json.loads(named.stdout)["rubric"]["id"] == "expansion_call"
    assert "--rubric" in json.loads(named.stdout)["rubric"]["reason"]
    md = runner.invoke(app, ["score", str(call), "--seller", "AE", "--format", "md"]).stdout
    assert "**Rubric:** first\\_call\\_discovery" in md or "**Rubric:** first_call_discovery" in md
    assert "**Rubric chosen:** the rubric for new\\_logo calls" in md or "**Rubric chosen:** the rubric for new_logo calls" in md
