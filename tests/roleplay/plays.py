"""Scripted reps at every difficulty level (`data/levels.yaml`) and a helper to play one."""

from __future__ import annotations

from pathlib import Path

import yaml

from coach.roleplay.scenario import Difficulty, load_scenarios
from coach.roleplay.session import SessionState, TurnResult, play_turn, start_session

LEVEL_PLAYS: dict = yaml.safe_load((Path(__file__).parent / "data" / "levels.yaml").read_text(encoding="utf-8"))
REP = "Alex Rivera"


def run_play(
    scenario_id: str, lines: list[str], difficulty: Difficulty | None = None, *, seed: int = 7
) -> tuple[SessionState, list[TurnResult]]:
    """Play the lines until the customer ends the call."""
    state = start_session(load_scenarios()[scenario_id], seed=seed, rep_name=REP, session_id="test", difficulty=difficulty)
    results = []
    for line in lines:
        result = play_turn(state, line)
        results.append(result)
        state = result.state
        if result.ended:
            break
    return state, results
