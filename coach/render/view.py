"""What every human-readable renderer needs from a scorecard and its call.

The Markdown, HTML and terminal views differ in markup only; the decisions
(titles, times, which words of a turn an item cites, how a metric reads) are
made once here so the three views never disagree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from coach.scorecard import DisputeNote, Evidence, ItemResult, LLMRun, Metrics, Scorecard, SpeakerInfo, Verdict
from coach.transcript import Role, Transcript, Turn

VERDICT_LABELS = {
    Verdict.pass_: "Pass",
    Verdict.fail: "Fail",
    Verdict.not_applicable: "Not applicable",
}
# A symbol beside the word, never instead of it: colour and icons are not the only cue.
VERDICT_SYMBOLS = {Verdict.pass_: "✓", Verdict.fail: "✗", Verdict.not_applicable: "–"}

ENUM_LABELS = {"cross_sell": "cross-sell", "none": "none"}


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Segment(_View):
    text: str
    cited: bool = False


class Citation(_View):
    item_id: str
    title: str
    verdict: Verdict
    note: str = ""


class TimelineTurn(_View):
    index: int
    speaker: str
    role: Role
    start_s: float | None
    time: str  # "" when the transcript has no times
    segments: list[Segment]
    citations: list[Citation] = Field(default_factory=list)
    facts: list[str] = Field(default_factory=list)  # "motion" / "trigger" when this turn is their evidence

    @property
    def cited(self) -> bool:
        return bool(self.citations or self.facts)


class MetricRow(_View):
    label: str
    value: str


def format_time(seconds: float | None) -> str:
    """`m:ss` under an hour, `h:mm:ss` from there; empty when the source had no times."""
    if seconds is None:
        return ""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def iso_duration(seconds: float | None) -> str:
    """The `datetime` attribute of an HTML <time> for an offset into the call."""
    return "" if seconds is None else f"PT{seconds:.3f}".rstrip("0").rstrip(".") + "S"


def humanize(identifier: str) -> str:
    text = identifier.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def item_anchor(item_id: str) -> str:
    return "item-" + re.sub(r"[^A-Za-z0-9_-]", "-", item_id)


def item_title(item: ItemResult) -> str:
    """The rubric's title, carried on the scorecard; the humanised id on cards stored before titles were."""
    return item.title or humanize(item.id)


def enum_label(value: str) -> str:
    return ENUM_LABELS.get(value, value.replace("_", " "))


def verdict_text(verdict: Verdict) -> str:
    return f"{VERDICT_SYMBOLS[verdict]} {VERDICT_LABELS[verdict]}"


def format_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return f"{value:.2f}".rstrip("0").rstrip(".") if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, dict) and all(not isinstance(x, (dict, list)) for x in v.values()) for v in value):
            return "; ".join(", ".join(f"{k}: {format_value(x)}" for k, x in v.items()) for v in value)
        if all(not isinstance(v, (dict, list, tuple)) for v in value):
            return ", ".join(format_value(v) for v in value) if value else "none"
        return "; ".join(format_value(v) for v in value)
    if isinstance(value, dict):
        if _is_stretch(value):
            return stretch_text(value)
        return "; ".join(f"{humanize(str(k))}: {format_value(v)}" for k, v in value.items()) or "—"
    return str(value)


_UNIT_SUFFIXES = {"_s": "s", "_min": "min", "_pct": "%", "_words": "words"}


def metric_label(key: str) -> str:
    """`longest_seller_monologue_s` -> `Longest seller monologue (s)`."""
    for suffix, unit in _UNIT_SUFFIXES.items():
        if key.endswith(suffix) and len(key) > len(suffix):
            return f"{humanize(key[: -len(suffix)])} ({unit})"
    return humanize(key)


def stretch_text(value: Mapping[str, Any]) -> str:
    """`212 words by Dan Ortiz, turns 3 to 5 (95 s)`: a monologue or a long turn, as a person reads it."""
    first, last = value.get("first_turn"), value.get("last_turn")
    turns = f"turn {first}" if first == last else f"turns {first} to {last}"
    seconds = value.get("seconds")
    timing = f" ({format_value(float(seconds))} s)" if isinstance(seconds, (int, float)) else ""
    return f"{value.get('words', 0)} words by {value.get('speaker', 'someone')}, {turns}{timing}"


def _is_stretch(value: Any) -> bool:
    return isinstance(value, dict) and {"words", "first_turn", "last_turn"} <= set(value)


def metric_rows(metrics: Metrics) -> list[MetricRow]:
    """Flatten one level of nesting (per-speaker figures) into labelled rows; a figure the scorer
    did not set (a scorecard without metrics) has no row."""
    rows: list[MetricRow] = []
    for key, value in metrics.model_dump(mode="json", exclude_unset=True).items():
        if _is_stretch(value):
            rows.append(MetricRow(label=metric_label(key), value=stretch_text(value)))
        elif isinstance(value, dict) and value and all(not isinstance(v, (dict, list)) for v in value.values()):
            for sub, subvalue in value.items():
                rows.append(MetricRow(label=f"{metric_label(key)} — {sub}", value=format_value(subvalue)))
        else:
            rows.append(MetricRow(label=metric_label(key), value=format_value(value)))
    return rows


def item_explanation(item: ItemResult) -> str:
    """The sentence that says why the item got its verdict. `details` stay data for tools (the
    JSON); people read the detector's reason, so no view prints raw detail values."""
    return item.reason


def evidence_label(evidence: Evidence) -> str:
    """`turn 7 · Dan Ortiz · 1:10` — how every view introduces a quote."""
    parts = [f"turn {evidence.turn}", evidence.speaker]
    if evidence.start_s is not None:
        parts.append(format_time(evidence.start_s))
    return " · ".join(parts)


def build_timeline(scorecard: Scorecard, transcript: Transcript) -> list[TimelineTurn]:
    """Every turn of the call, with the words each item cites marked and the citing items listed."""
    by_turn: dict[int, list[tuple[ItemResult, Evidence]]] = {}
    for item in scorecard.items:
        for evidence in item.evidence:
            by_turn.setdefault(evidence.turn, []).append((item, evidence))
    facts = {"motion": scorecard.motion_evidence, "trigger": scorecard.trigger_evidence}
    timeline = []
    for turn in transcript.turns:
        cited = by_turn.get(turn.index, [])
        fact_quotes = [(name, e) for name, found in facts.items() for e in found if e.turn == turn.index]
        citations: list[Citation] = []
        for item, evidence in cited:
            if all(c.item_id != item.id for c in citations):
                citations.append(
                    Citation(item_id=item.id, title=item_title(item), verdict=item.verdict, note=evidence.note)
                )
        timeline.append(
            TimelineTurn(
                index=turn.index,
                speaker=transcript.speaker_name(turn),
                role=transcript.role_of(turn),
                start_s=turn.start_s,
                time=format_time(turn.start_s),
                segments=_segments(turn, [e.quote for _, e in cited] + [e.quote for _, e in fact_quotes]),
                citations=citations,
                facts=[name for name, _ in fact_quotes],
            )
        )
    return timeline


def _segments(turn: Turn, quotes: list[str]) -> list[Segment]:
    """Split a turn's text so the quoted words can be marked; a quote not found verbatim marks the whole turn."""
    text = turn.text
    if not quotes:
        return [Segment(text=text)]
    folded = text.casefold()
    spans: list[tuple[int, int]] = []
    for quote in quotes:
        needle = quote.strip().strip("\"“”'…").strip()
        if not needle:
            continue
        at = text.find(needle)
        if at < 0 and len(folded) == len(text):  # casefold can change lengths (ß); only trust it when it didn't
            at = folded.find(needle.casefold())
        if at < 0:
            return [Segment(text=text, cited=True)]
        spans.append((at, at + len(needle)))
    if not spans:
        return [Segment(text=text, cited=True)]
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    segments: list[Segment] = []
    position = 0
    for start, end in merged:
        if start > position:
            segments.append(Segment(text=text[position:start]))
        segments.append(Segment(text=text[start:end], cited=True))
        position = end
    if position < len(text):
        segments.append(Segment(text=text[position:]))
    return segments


def _speaker_role(s: SpeakerInfo) -> str:
    if s.role is not Role.unknown:
        return f"{s.role.value}, {s.role_confidence:.2f}"
    if s.role_guess is not Role.unknown:
        return f"unknown, leans {s.role_guess.value} {s.role_confidence:.2f}"
    return "unknown"


def speakers_line(scorecard: Scorecard) -> str:
    return ", ".join(f"{s.name} ({_speaker_role(s)})" for s in scorecard.call.speakers)


def score_text(scorecard: Scorecard) -> str:
    """`73/100`, or `not scored: <why>`: a call where nothing was judged never shows a number."""
    if scorecard.score is None:
        return f"not scored: {scorecard.score_reason or 'no rubric item could be judged'}"
    # Half-up, as a person would round a score (format() rounds 38.5 to 38).
    return f"{math.floor(scorecard.score + 0.5)}/100"


def call_type_text(scorecard: Scorecard) -> str:
    """`new_logo (0.82)`: the call's type, how sure, and `given` when the user said so."""
    detail = scorecard.call_type_detail
    if detail is None:
        return enum_label(scorecard.call_type.value)
    how = "given" if detail.source == "user" else f"{detail.confidence:.2f}"
    return f"{enum_label(scorecard.call_type.value)} ({how})"


def practice_line(scorecard: Scorecard) -> str:
    """`Role-play: <scenario title> · level hard · the customer ended the call`, or "" for a real call."""
    practice = scorecard.practice
    if practice is None:
        return ""
    parts = [f"Role-play: {practice.title}", f"level {practice.difficulty}"]
    if practice.ended_cold:
        parts.append("the customer ended the call")
    return " · ".join(parts)


def call_title(scorecard: Scorecard) -> str:
    return scorecard.call.source or scorecard.call.id or "call"


def llm_line(run: LLMRun) -> str:
    """`ok · local model x · 4 items`: how the LLM part of the card was made, or why it was not."""
    parts = [run.llm_status]
    if run.model:
        parts.append(f"{run.endpoint_kind + ' ' if run.endpoint_kind else ''}model {run.model}")
    if run.items_graded:
        parts.append(f"{len(run.items_graded)} item{'s' if len(run.items_graded) != 1 else ''} graded")
    if run.dropped_claims:
        parts.append(f"{run.dropped_claims} unverified claim{'s' if run.dropped_claims != 1 else ''} dropped")
    return " · ".join(parts)


def dispute_text(note: DisputeNote, heuristic: Verdict | None = None) -> str:
    """What the LLM thought, its quote, and why the verdict shown stands: one paragraph for every view."""
    said = f"The LLM judged this {VERDICT_LABELS[note.llm_verdict].lower()}"
    if note.llm_evidence is not None:
        said += f", quoting {evidence_label(note.llm_evidence)}: “{note.llm_evidence.quote}”"
    stands = "The LLM's verdict stands" if note.stands == "llm" else "The heuristic verdict stands"
    if heuristic is not None and note.stands == "heuristic":
        stands += f" ({VERDICT_LABELS[heuristic].lower()})"
    return f"{said}. {stands}: {note.why}."
