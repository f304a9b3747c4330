"""Shared pieces for the role-play tests: the scripted plays and a helper to run one."""

from __future__ import annotations

from pathlib import Path

import yaml

from coach.roleplay.scenario import load_scenarios
from coach.roleplay.session import Actor, SessionState, TurnResult, play_turn, start_session

HERE = Path(__file__).parent
PLAYS = yaml.safe_load((HERE / "data" / "plays.yaml").read_text(encoding="utf-8"))
REP = "Alex Rivera"


def play(scenario_id: str, lines: list[str], *, seed: int = 7, actor: Actor | None = None) -> tuple[SessionState, list[TurnResult]]:
    state = start_session(load_scenarios()[scenario_id], seed=seed, rep_name=REP, session_id="test")
    results = []
    for line in lines:
        result = play_turn(state, line, actor)
        results.append(result)
        state = result.state
        if result.ended:
            break
    return state, results


