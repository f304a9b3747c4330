from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from .support import sample_call


@pytest.fixture
def runner() -> CliRunner:
    # These tests are about files and formats; the LLM grader has its own (tests/llm).
    return CliRunner(env={"COACH_LLM_ENABLED": "false"})


@pytest.fixture
def calls_dir(tmp_path: Path) -> Path:
    """Two good calls and two bad ones, in a folder with a labels file that is not a call."""
    folder = tmp_path / "calls"
    folder.mkdir()
    good = sample_call()
    shutil.copy(good, folder / f"a_good{good.suffix}")
    shutil.copy(good, folder / f"c_good{good.suffix}")
    (folder / "b_empty.txt").write_text("")
    (folder / "d_binary.txt").write_bytes(b"\xff\xfe\x00\x81garbage\x00")
    (folder / "a_good.labels.yaml").write_text("sellers: [Priya Shah]\n")
    return folder
