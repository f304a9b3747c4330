"""Role-play tests never see a developer's LLM settings."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_llm_environment(monkeypatch):
    """Tests never pick up a developer's or CI's endpoint or key."""
    import os

    for name in list(os.environ):
        if name.startswith(("OPENAI_", "COACH_LLM_")) and name != "COACH_RECORD_CASSETTES":
            monkeypatch.delenv(name)
