"""Rendered scorecard views (`?format=md|html`) with the manager's overrides shown."""

from __future__ import annotations

import html

from api.schemas.scorecards import ScorecardPublic


def render_scorecard(public: ScorecardPublic, fmt: str) -> tuple[str, str]:
    if fmt == "md":
        return _markdown(public), "text/markdown; charset=utf-8"
    return _html(public), "text/html; charset=utf-8"


def _rows(public: ScorecardPublic) -> list[tuple[str, str, str, str]]:
    rows = []
    for item in public.items:
        review = f"{item.override.verdict.value}: {item.override.comment}" if item.override else ""
        rows.append((item.id, item.verdict.value, item.machine_verdict.value, review))
    return rows


def _markdown(public: ScorecardPublic) -> str:
    lines = [f"# Scorecard for call {public.call_id}", ""]
    if public.score is not None:
        lines += [f"Score: {public.score:g}", ""]
    lines += ["| item | verdict | machine | manager review |", "| --- | --- | --- | --- |"]
    lines += [f"| {a} | {b} | {c} | {d.replace('|', '/')} |" for a, b, c, d in _rows(public)]
    for item in public.scorecard.items:
        for ev in item.evidence:
            at = f" at {ev.start_s:.0f}s" if ev.start_s is not None else ""
            lines.append(f"- `{item.id}` turn {ev.turn}, {ev.speaker}{at}: \"{ev.quote}\"")
    return "\n".join(lines) + "\n"


def _html(public: ScorecardPublic) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(a)}</td><td>{e(b)}</td><td>{e(c)}</td><td>{e(d)}</td></tr>" for a, b, c, d in _rows(public)
    )
    return (
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Scorecard</title></head><body>"
        f"<h1>Scorecard for call {public.call_id}</h1>"
        "<table><thead><tr><th>item</th><th>verdict</th><th>machine</th><th>manager review</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></body></html>"
    )
