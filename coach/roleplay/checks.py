"""Is the actor's reply usable for this move? If not, the scenario's scripted line is used.

A reply is unusable when it is empty, too long, speaks as the seller (a
speaker label, or a discovery question / pitch / commercial ask of its own),
writes another speaker's turn ("... Rep: ..." inside the line), states a number
neither the scenario nor the conversation gave it ("212,000"), repeats the
customer's previous line, or contradicts the move (a yes where the move is a soft no, a refusal where
it accepts a meeting, a reveal that does not mention the fact, a fact it was
not given). Checks run on the same per-line detectors as everything else.
"""

from __future__ import annotations

import re

from coach.roleplay.director import Move, MoveKind
from coach.roleplay.scenario import Scenario
from coach.text.lines import analyse_line

MAX_CHARS = 400
MAX_WORDS = 70
_LABEL = re.compile(r"^\s*\[?([A-Za-z][\w .'-]{0,40})\]?\s*:")
# Phrases of the actor's own prompt: a tiny model sometimes reads its instructions back.
_PROMPT_ECHOES = ("your mood is", "director:", "answer briefly", "in your own words", "reply as", "<conversation>", "json")
_SELLER_LABELS = {"seller", "rep", "ae", "csm", "am", "sales", "salesperson", "vendor", "assistant", "account manager"}


_INNER_LABEL = re.compile(r"(?:^|[\s\"“(.!?])([A-Z][A-Za-z.'-]*(?: [A-Z][A-Za-z.'-]*){0,2})\s*:\s")
_NUMBER = re.compile(r"\d[\d,.]*")
_OTHER_LABELS = {"customer", "director", "facilitator", "user", "system", "narrator"}
REPEAT_OVERLAP = 0.7  # share of words in common (Jaccard) above which a line repeats the previous one


def unusable(
    text: str, move: Move, scenario: Scenario, rep_name: str, *, said: str = "", previous: str = ""
) -> str | None:
    """Why `text` cannot voice `move`, or None when it can.

    `said` is what the customer may draw numbers from besides the scenario (the
    conversation so far); `previous` is the customer's previous line.
    """
    line = " ".join(text.split())
    if not line:
        return "empty"
    tagged = _speaker_tag_inside(line, scenario, rep_name)
    if tagged:
        return f"writes another speaker's turn ({tagged}:)"
    invented = _invented_number(line, move, scenario, said)
    if invented:
        return f"states a number not in the scenario ({invented})"
    if previous and _repeats(line, previous):
        return "repeats its previous line"
    if len(line) > MAX_CHARS or len(line.split()) > MAX_WORDS:
        return "too long"
    label = _LABEL.match(line)
    if label:
        who = label.group(1).strip().lower()
        if who in _SELLER_LABELS or who == rep_name.lower() or who in rep_name.lower().split():
            return "speaks as the seller"
        if who not in scenario.persona.name.lower() and who not in {"customer", "me"}:
            return "speaks as someone else"
    lowered = line.lower()
    if any(marker in lowered for marker in _PROMPT_ECHOES):
        return "echoes the director's instructions"
    signals = analyse_line(line)  # both sides: a customer line must not carry seller moves
    if signals.discovery or signals.commercial_ask or signals.pitch or signals.never_say:
        return "speaks as the seller"
    if move.kind is MoveKind.soft_no:
        if signals.yes_answer and not (signals.soft_answer or signals.info_request):
            return "contradicts the move: agrees instead of a soft no"
        if move.line_key == "info_request" and not signals.info_request:
            return "contradicts the move: does not ask to be sent information"
        if move.line_key == "soft_no" and not (signals.soft_answer or signals.info_request):
            return "contradicts the move: no soft answer"
    if move.kind is MoveKind.accept_meeting and (signals.soft_answer or signals.info_request):
        return "contradicts the move: hedges instead of accepting"
    if move.when and move.when.lower() not in lowered:
        return "contradicts the move: does not say the agreed time back"
    if move.kind is MoveKind.end and "?" in line:
        return "contradicts the move: asks a question while ending the call"
    if move.kind is MoveKind.object and signals.yes_answer and not signals.soft_answer:
        return "contradicts the move: agrees instead of objecting"
    if move.kind is MoveKind.reveal:
        lowered = line.lower()
        for fact_id in move.fact_ids:
            fact = next(f for f in scenario.facts if f.id == fact_id)
            if not any(k.lower() in lowered for k in fact.keywords):
                return f"contradicts the move: does not reveal {fact_id}"
    for fact in scenario.facts:
        if fact.id in move.fact_ids:
            continue
        # A fact not released by this move must not leak; its most specific keyword gives it away.
        if any(len(k) > 5 and k.lower() in lowered and k.lower() not in _said_before(move) for k in fact.keywords[:1]):
            return f"leaks hidden fact {fact.id}"
    return None


def _said_before(move: Move) -> str:
    return move.scripted.lower()


def _speaker_tag_inside(line: str, scenario: Scenario, rep_name: str) -> str | None:
    """A speaker label after the line's start: the model wrote a script, not one spoken line."""
    names = {rep_name.lower(), *rep_name.lower().split(), scenario.persona.name.lower(), *scenario.persona.name.lower().split()}
    for match in _INNER_LABEL.finditer(line):
        if match.start(1) == 0:
            continue  # a label at the start is judged by the seller/someone-else rules
        label = match.group(1)
        if label.lower() in _SELLER_LABELS | _OTHER_LABELS | names:
            return label
    return None


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def _invented_number(line: str, move: Move, scenario: Scenario, said: str) -> str | None:
    """A figure the customer states that no known text gave it; hidden facts count only once released."""
    hidden = {f.id for f in scenario.facts if f.id not in move.fact_ids}
    known = scenario.model_dump(mode="json", exclude={"facts"})
    released = [f.says for f in scenario.facts if f.id not in hidden]
    allowed = _numbers(" ".join([str(known), *released, move.scripted, said]))
    for number in (n.replace(",", "").rstrip(".") for n in _NUMBER.findall(line)):  # in order: the first one is named
        if number not in allowed:
            return number
    return None


def _repeats(line: str, previous: str) -> bool:
    mine, theirs = set(re.findall(r"\w+", line.lower())), set(re.findall(r"\w+", previous.lower()))
    if not mine or not theirs:
        return False
    return len(mine & theirs) / len(mine | theirs) >= REPEAT_OVERLAP
