"""`coach inspect`: tables, --json, options, batches that go on past bad files, exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from typer.testing import CliRunner

from coach.cli import app
from coach.readers import read_path
from coach.transcript import Transcript

from readers_fixtures import FORMATS, MALFORMED, ROOT, SAMPLE

runner = CliRunner(env={"COLUMNS": "200"})  # wide enough that rich does not wrap the asserted text


def test_inspect_shows_speakers_roles_turns_duration_and_first_turns():
    result = runner.invoke(app, ["inspect", str(SAMPLE / "expansion_call.vtt"), "--turns", "4"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "format zoom_vtt, 35 turns, duration 3:54" in out
    for name in ("Priya Shah", "Dan Ortiz", "Marcus Lee", "Dana Whitfield"):
        assert name in out
    assert "seller" in out and "customer" in out and "heuristic" in out
    assert "Is Dana joining as well?" in out  # first turns
    assert "lots of whiteboards" in out
    assert "Hi all, sorry I'm late" not in out  # only four turns shown


def test_json_prints_the_canonical_transcript():
    result = runner.invoke(app, ["inspect", str(FORMATS / "teams_utf16.vtt"), "--json"])
    assert result.exit_code == 0
    assert Transcript.from_json(result.stdout) == read_path(FORMATS / "teams_utf16.vtt")


def test_seller_roles_format_and_max_bytes_options(tmp_path):
    result = runner.invoke(app, ["inspect", str(FORMATS / "zoom.vtt"), "--json", "--seller", "Marcus Lee",
                                 "--seller", "Dana Whitfield"])
    roles = {s["name"]: (s["role"], s["role_source"]) for s in json.loads(result.stdout)["speakers"]}
    assert roles["Marcus Lee"] == ("seller", "user") and roles["Priya Shah"] == ("customer", "user")

    roles_file = tmp_path / "roles.yaml"
    roles_file.write_text("sellers: [Priya Shah, Dan Ortiz]\n")
    result = runner.invoke(app, ["inspect", str(FORMATS / "zoom.vtt"), "--json", "--roles", str(roles_file)])
    assert {s["name"] for s in json.loads(result.stdout)["speakers"] if s["role"] == "seller"} == {"Priya Shah",
                                                                                                 "Dan Ortiz"}

    result = runner.invoke(app, ["inspect", str(FORMATS / "zoom.vtt"), "--format", "gong_json"])
    assert result.exit_code == 2 and "invalid JSON" in result.stderr

    result = runner.invoke(app, ["inspect", str(FORMATS / "zoom.vtt"), "--max-bytes", "100"])
    assert result.exit_code == 2 and "over the 100-byte limit" in result.stderr


def test_bad_roles_file_exits_2_with_one_line(tmp_path):
    roles_file = tmp_path / "roles.yaml"
    roles_file.write_text("Priya: boss\n")
    result = runner.invoke(app, ["inspect", str(FORMATS / "zoom.vtt"), "--roles", str(roles_file)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and str(roles_file) in result.stderr


def test_folder_batch_goes_on_past_bad_files_and_summarises(tmp_path):
    for name in ("empty.txt", "invalid.json", "vtt_no_cues.vtt"):
        shutil.copy(MALFORMED / name, tmp_path / name)
    shutil.copy(FORMATS / "otter.txt", tmp_path / "good_otter.txt")
    shutil.copy(FORMATS / "gong_ms.json", tmp_path / "good_gong.json")
    (tmp_path / "notes.md").write_text("not a transcript suffix, skipped")
    result = runner.invoke(app, ["inspect", str(tmp_path), "--turns", "0"])
    assert result.exit_code == 2
    assert "good_otter.txt" in result.stdout and "good_gong.json" in result.stdout
    assert "read 2 of 5 transcript(s); 3 failed" in result.stderr
    assert f"{tmp_path / 'invalid.json'}:4: invalid JSON" in result.stderr
    assert "Traceback" not in result.output


def test_json_batch_prints_one_document_per_line():
    result = runner.invoke(app, ["inspect", str(FORMATS / "zoom.vtt"), str(FORMATS / "otter.txt"), "--json"])
    assert result.exit_code == 0
    lines = result.stdout.strip().split("\n")
    assert [Transcript.from_json(line).format for line in lines] == ["zoom_vtt", "otter"]


def test_real_entry_point_exits_2_without_a_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "coach", "inspect", str(MALFORMED / "binary_junk.bin")],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr == f"coach: error: {MALFORMED / 'binary_junk.bin'}:1: binary data, not a text transcript\n"
    assert proc.stdout == ""


def test_an_unknown_format_name_stops_the_run_once_before_any_file_is_read():
    result = runner.invoke(app, ["inspect", str(SAMPLE), "--format", "docx"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["coach: error: --format: unknown format 'docx'; expected one of "
                     "plain, otter, vtt, zoom_vtt, teams_vtt, srt, gong_json, canonical"]
