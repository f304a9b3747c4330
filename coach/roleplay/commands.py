"""Chat commands in the interactive role-play (`/help`, `/hint`, `/restart`, `/end`).

A line that starts with `/` is a command for the coach, never words to the
customer: the session refuses it (`session.play_turn`), so it is neither
answered nor scored. `/hint` names the playbook's next move from the session
so far; its texts are data (`rubrics/roleplay/facilitator.yaml`, `hints:`).
"""

from __future__ import annotations

from coach.roleplay.facilitator import load_rules
from coach.roleplay.session import SessionState, is_command

COMMANDS = {
    "help": "this list",
    "hint": "what the playbook would do next",
    "restart": "start the same call again",
    "end": "finish the call and see the scorecard",
}
ALIASES = {"quit": "end", "exit": "end", "h": "help", "?": "help"}


def parse_command(line: str) -> str | None:
    """The command a line gives (`"hint"`), `"unknown"` for `/anything-else`, None for a spoken line."""
    if not is_command(line):
        return None
    word = line.strip()[1:].split(maxsplit=1)[0].lower() if line.strip()[1:].strip() else ""
    word = ALIASES.get(word, word)
    return word if word in COMMANDS else "unknown"


def hint(state: SessionState) -> str:
    """The next move the playbook asks for, given what the rep has done so far."""
    hints = load_rules().hints
    d = state.director
    workflow = state.scenario.workflow
    if state.scenario.escalation is not None and not d.backed_off:
        step = hints.escalation
    elif not d.opened:
        step = hints.open_on_signal
    elif d.info_requested and not d.info_reopened:
        step = hints.reopen
    elif not d.discovery_complete:
        missing = min(n for n in (1, 2, 3) if n not in d.asked)
        step = {1: hints.q1, 2: hints.q2, 3: hints.q3}[missing]
    elif "sponsor" not in {f.unlock for f in state.scenario.facts if f.id in d.revealed}:
        step = hints.sponsor
    elif not d.meeting_accepted:
        step = hints.diagnostic
    elif not d.time_accepted:
        step = hints.time
    else:
        step = hints.close
    return " ".join(step.replace("{workflow}", workflow).split())
