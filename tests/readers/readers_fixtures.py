"""Paths and helpers shared by the reader tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
FORMATS = ROOT / "fixtures" / "formats"
MALFORMED = ROOT / "fixtures" / "malformed"
SAMPLE = ROOT / "fixtures" / "sample"


def merged_script(call: str) -> list[tuple[str, str]]:
    """The call's turns from calls.yaml with consecutive same-speaker turns merged, as readers should."""
    turns = yaml.safe_load((FORMATS / "calls.yaml").read_text())["calls"][call]["turns"]
    out: list[tuple[str, str]] = []
    for turn in turns:
        who, text = turn[0], turn[1]
        if out and out[-1][0] == who:
            out[-1] = (who, f"{out[-1][1]} {text}")
        else:
            out.append((who, text))
    return out


def expected_roles() -> dict[str, dict[str, str]]:
    return yaml.safe_load((FORMATS / "expected_roles.yaml").read_text())
