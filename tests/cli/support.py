"""Paths and names the CLI tests share."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "fixtures" / "sample"
SELLERS = ["Priya Shah", "Dan Ortiz"]


def sample_call() -> Path:
    """The bundled sample, whichever format the readers issue left it in."""
    for name in ("expansion_call.vtt", "expansion_call.txt"):
        if (SAMPLE / name).exists():
            return SAMPLE / name
    raise AssertionError(f"no bundled sample call in {SAMPLE}")
