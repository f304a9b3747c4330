"""Progress on long runs: drawn on a terminal, silent in pipes and with --quiet."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from coach.cli import app
from coach.cli.progress import RunProgress, wanted

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_bar_counts_calls_failures_and_llm_windows_on_a_terminal():
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120, color_system=None)
    with RunProgress(total=3, enabled=True, console=console) as progress:
        progress.call_done(ok=True)
        progress.call_done(ok=False)
        progress.window_done(0, 4)
        progress.window_done(2, 4)
        progress._progress.refresh()  # what a refresh tick would draw now
        drawn = screen.getvalue()
        progress.window_done(4, 4)
        progress.call_done(ok=True)
    assert "2/3" in drawn and "1 failed" in drawn and "LLM windows" in drawn and "2/4" in drawn
    assert progress.failed == 1


def test_no_bar_off_a_terminal_or_when_quiet(tmp_path):
    assert wanted(quiet=True) is False
    assert wanted(quiet=False) is False  # pytest's stderr is not a terminal
    folder = tmp_path / "calls"
    folder.mkdir()
    for name in ("expansion_call.txt", "expansion_call.vtt"):
        (folder / name).write_bytes((ROOT / "fixtures/sample" / name).read_bytes())
    (folder / "broken.json").write_text("{not json")
    result = CliRunner().invoke(app, ["score", str(folder), "-f", "json", "--out", str(tmp_path / "out"), "--seller", "Priya Shah"])
    assert result.exit_code == 2
    assert "━" not in result.stderr and "ETA" not in result.stderr
    assert "broken.json" in result.stderr and "scored 2 of 3 calls" in result.stderr
