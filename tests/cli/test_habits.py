"""Command-line habits: `-h` everywhere, `--version`, ids shown whole, folder runs that say
what they skipped, and every option a message names exists."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import typer.main

import coach
from coach.cli import app

from .support import ROOT, SELLERS, sample_call


def _commands() -> list[list[str]]:
    """Every command path of the CLI: [], ["score"], ["admin"], ["admin", "create-user"], ..."""
    root = typer.main.get_command(app)
    found: list[list[str]] = []

    # typer carries its own click: groups are told apart by their sub-commands
    def walk(command, path: list[str]) -> None:  # type: ignore[no-untyped-def]
        found.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(root, [])
    return found


def _option_names() -> set[str]:
    root = typer.main.get_command(app)
    names: set[str] = set()

    def walk(command) -> None:  # type: ignore[no-untyped-def]
        for param in command.params:
            names.update(o for o in param.opts + param.secondary_opts if o.startswith("--"))
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(root)
    return names | {"--help"}  # click adds the help option when it parses, not as a declared parameter


def test_dash_h_works_for_every_command(runner) -> None:  # type: ignore[no-untyped-def]
    paths = _commands()
    assert ["score"] in paths and ["admin", "create-user"] in paths and len(paths) > 8
    for path in paths:
        short = runner.invoke(app, [*path, "-h"])
        long = runner.invoke(app, [*path, "--help"])
        assert short.exit_code == 0, (path, short.output)
        assert "Usage:" in short.stdout and short.stdout == long.stdout, path


def test_version(runner) -> None:  # type: ignore[no-untyped-def]
    for flag in ("--version", "-V"):
        result = runner.invoke(app, [flag])
        assert result.exit_code == 0 and result.stdout.strip() == f"coach {coach.__version__}"


def test_a_mistyped_option_or_command_is_answered_with_the_real_one(runner) -> None:  # type: ignore[no-untyped-def]
    option = runner.invoke(app, ["score", str(sample_call()), "--selr", "x"])
    assert option.exit_code == 2 and "--seller" in option.stderr
    command = runner.invoke(app, ["scroe", str(sample_call())])
    assert command.exit_code == 2 and "Did you mean 'score'" in command.stderr


def test_every_option_a_message_names_exists() -> None:
    options = _option_names()
    named: dict[str, set[str]] = {}
    for path in (ROOT / "coach").rglob("*.py"):
        if path.name == "embedded.py":
            continue  # the embedded model server's own command line, not ours
        for option in re.findall(r"(?<![-\w])--[a-z][a-z0-9-]*", path.read_text(encoding="utf-8")):
            named.setdefault(option, set()).add(str(path.relative_to(ROOT)))
    assert {"--seller", "--no-llm", "--format"} <= set(named)
    missing = {o: sorted(where) for o, where in named.items() if o not in options}
    assert not missing, f"messages name options the CLI does not have: {missing}"


def test_listed_ids_are_never_cut(runner) -> None:  # type: ignore[no-untyped-def]
    from coach.roleplay.scenario import load_scenarios

    result = runner.invoke(app, ["roleplay", "--list"], terminal_width=60)
    assert result.exit_code == 0, result.output
    for scenario_id in load_scenarios():
        # Each id stands whole on a line of its own, however narrow the terminal.
        assert re.search(rf"^{re.escape(scenario_id)}$", result.stdout, re.M), scenario_id


def test_a_folder_run_names_what_it_skipped(runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(sample_call(), tmp_path / sample_call().name)
    (tmp_path / "older").mkdir()
    shutil.copy(sample_call(), tmp_path / "older" / "nested.txt")
    (tmp_path / "QBR notes.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "deck.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "notes.md").write_text("# notes")
    (tmp_path / ".DS_Store").write_bytes(b"\0")
    (tmp_path / "call.scorecard.json").write_text("{}")
    seller = [a for name in SELLERS for a in ("--seller", name)]
    for command in (["score", str(tmp_path), "--no-llm", "--format", "json", *seller], ["inspect", str(tmp_path), "--turns", "0"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, (command[0], result.stderr)
        lines = [line for line in result.stderr.splitlines() if "skipped," in line]
        assert lines == [
            f"coach: {tmp_path / 'QBR notes.docx'}: skipped, a .docx document, which cannot be read: export the transcript as .txt, .vtt or .srt",
            f"coach: {tmp_path / 'deck.pdf'}: skipped, a .pdf document, which cannot be read: export the transcript as .txt, .vtt or .srt",
            f"coach: {tmp_path / 'notes.md'}: skipped, not a transcript file (reads .json, .srt, .txt, .vtt)",
            f"coach: {tmp_path / 'older'}: skipped, a sub-folder (sub-folders are not searched; name it to read the calls in it)",
        ], command[0]


def test_every_command_is_listed_by_name_in_the_help(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    for name in ("inspect", "score", "eval", "roleplay", "serve", "admin"):
        assert re.search(rf"│ {name}\s", result.stdout), name
