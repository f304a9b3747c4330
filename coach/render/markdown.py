"""The scorecard as Markdown: a summary table, each item with its evidence and advice, metrics, the call."""

from __future__ import annotations

import re

from coach.render.view import (
    TimelineTurn,
    build_timeline,
    call_title,
    enum_label,
    evidence_label,
    item_anchor,
    item_title,
    dispute_text,
    llm_line,
    practice_line,
    metric_rows,
    call_type_text,
    score_text,
    speakers_line,
    verdict_text,
)
from coach.scorecard import Scorecard
from coach.transcript import Role, Transcript

# Transcript text is data: characters Markdown would read as markup are escaped.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")
_WHITESPACE = re.compile(r"\s+")


def md_escape(text: str) -> str:
    # Newlines would end a table row; whitespace runs fold to one space (boundaries kept for bold segments).
    return _MD_SPECIAL.sub(r"\\\1", _WHITESPACE.sub(" ", text))


def render_markdown(
    scorecard: Scorecard, transcript: Transcript | None = None
) -> str:
    lines: list[str] = [f"# Scorecard: {md_escape(call_title(scorecard))}", ""]
    lines.append(
        f"**Score:** {score_text(scorecard)} · **Motion:** {enum_label(scorecard.motion.value)}"
        f" · **Trigger:** {enum_label(scorecard.trigger.value)}"
        f" · **Rubric:** {md_escape(scorecard.rubric.id)} v{md_escape(scorecard.rubric.version)}"
    )
    lines.append("")
    reason = scorecard.call_type_detail.reason if scorecard.call_type_detail is not None else ""
    lines += [f"**Call type:** {md_escape(call_type_text(scorecard))}{' — ' + md_escape(reason) if reason else ''}", ""]
    if scorecard.rubric.reason:
        lines += [f"**Rubric chosen:** {md_escape(scorecard.rubric.reason)}", ""]
    for label, evidence_list in (("Motion", scorecard.motion_evidence), ("Trigger", scorecard.trigger_evidence)):
        for evidence in evidence_list:
            where = md_escape(evidence_label(evidence))
            link = f"[{where}](#turn-{evidence.turn})" if transcript else where
            lines.append(f"- {label} evidence, {link}: “{md_escape(evidence.quote)}”")
    if scorecard.motion_evidence or scorecard.trigger_evidence:
        lines.append("")
    if scorecard.practice is not None:
        lines += [f"**Practice:** {md_escape(practice_line(scorecard))}", ""]
    if scorecard.call.speakers:
        lines += [f"**Speakers:** {md_escape(speakers_line(scorecard))}", ""]
    if scorecard.llm is not None:
        lines += [f"**LLM grader:** {md_escape(llm_line(scorecard.llm))}", ""]
    for warning in scorecard.warnings:
        lines.append(f"> **Warning:** {md_escape(warning)}")
    if scorecard.warnings:
        lines.append("")

    lines += ["## Items", ""]
    if not scorecard.items:
        lines += ["No rubric items were scored.", ""]
    else:
        lines += ["| Item | Verdict | Evidence |", "| --- | --- | --- |"]
        for item in scorecard.items:
            lines.append(
                f"| [{md_escape(item_title(item))}](#{item_anchor(item.id)}) | {verdict_text(item.verdict)}"
                f" | {len(item.evidence)} |"
            )
        lines.append("")
    for item in scorecard.items:
        lines += [
            f'<a id="{item_anchor(item.id)}"></a>',
            "",
            f"### {md_escape(item_title(item))}: {verdict_text(item.verdict)}",
            "",
            f"`{item.id}` · source {item.source.value} · confidence {item.confidence:.2f}"
            + (" · **disputed** (heuristics and LLM disagreed)" if item.disputed else ""),
            "",
        ]
        if item.reason:
            lines += [f"_Why:_ {md_escape(item.reason)}", ""]
        if item.dispute_note is not None:
            lines += [f"_Disputed:_ {md_escape(dispute_text(item.dispute_note, item.verdict))}", ""]
        for evidence in item.evidence:
            link = f"[{md_escape(evidence_label(evidence))}](#turn-{evidence.turn})" if transcript else md_escape(
                evidence_label(evidence)
            )
            note = f" — _{md_escape(evidence.note)}_" if evidence.note else ""
            lines.append(f"- {link}: “{md_escape(evidence.quote)}”{note}")
        if item.evidence:
            lines.append("")
        if item.advice:
            lines += [f"**Advice:** {md_escape(item.advice)}", ""]

    rows = metric_rows(scorecard.metrics)
    if rows:
        lines += ["## Metrics", "", "| Metric | Value |", "| --- | --- |"]
        lines += [f"| {md_escape(r.label)} | {md_escape(r.value)} |" for r in rows]
        lines.append("")

    if transcript is not None:
        lines += ["## The call", "", "| Time | Seller side | Customer side |", "| --- | --- | --- |"]
        lines += [_timeline_row(turn) for turn in build_timeline(scorecard, transcript)]
        lines.append("")
    return "\n".join(lines)


def _timeline_row(turn: TimelineTurn) -> str:
    text = "".join(f"**{md_escape(s.text)}**" if s.cited else md_escape(s.text) for s in turn.segments)
    cell = f'<a id="turn-{turn.index}"></a>**{md_escape(turn.speaker)}:** {text}'
    if turn.citations:
        refs = ", ".join(f"[{md_escape(c.title)}](#{item_anchor(c.item_id)})" for c in turn.citations)
        cell += f" ⚑ {refs}"
    time = turn.time or f"#{turn.index}"
    if turn.role is Role.customer:
        return f"| {time} | | {cell} |"
    if turn.role is Role.seller:
        return f"| {time} | {cell} | |"
    return f"| {time} | {cell} (role unknown) | |"
