"""`line_class.v1`: how many of one side's lines do a thing the text engine already
classifies every line by (`coach.text.lines.LineSignals`: asks a question, pitches,
names a day...), as a count of lines and/or a share of that side's lines.

A line is one turn and counts once however many of its sentences do the thing. The
share is taken over the side's lines that take the floor: a backchannel ("mm-hmm",
"right") is the speaker listening, and counting it would dilute a share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from coach.checks.context import is_backchannel
from coach.checks.phrase import SIDE_NAMES, side_role
from coach.checks.result import DetectorResult, not_applicable
from coach.rubric.shapes import LineClassParams
from coach.scorecard import Evidence, Verdict

if TYPE_CHECKING:
    from coach.checks.context import CallContext, TurnView
    from coach.rubric.schema import RubricItem

# Lines quoted as evidence: enough to see the pattern without copying the call.
_MAX_EVIDENCE = 5


def _quote(ctx: "CallContext", view: "TurnView", line_class: str, note: str) -> Evidence:
    """The sentence of the line that put it in the class."""
    if line_class == "question":
        sent = next(s for s in view.sentences if s.is_question)
        return ctx.sentence_evidence(view, sent, note)
    return ctx.hit_evidence(view, getattr(view.signals, line_class)[0], note)


def _in_class(view: "TurnView", line_class: str) -> bool:
    if line_class == "question":
        return view.signals.questions > 0
    return bool(getattr(view.signals, line_class))


def _limits(params: LineClassParams, n: int, share: float) -> tuple[list[str], list[str]]:
    """The rules a count of `n` lines (`share` of the side's) breaks: (too few, too many)."""
    few, many = [], []
    if params.at_least is not None and n < params.at_least:
        few.append(f"at least {params.at_least} needed")
    if params.share_at_least is not None and share < params.share_at_least:
        few.append(f"at least {params.share_at_least:.0%} of them needed")
    if params.at_most is not None and n > params.at_most:
        many.append(f"at most {params.at_most} allowed")
    if params.share_at_most is not None and share > params.share_at_most:
        many.append(f"at most {params.share_at_most:.0%} of them allowed")
    return few, many


def line_class(ctx: "CallContext", item: "RubricItem") -> DetectorResult:
    params = item.detector.params if item.detector else None
    assert isinstance(params, LineClassParams)
    name = params.line_class.replace("_", " ")
    lines = [v for v in ctx.by_role(side_role(params.side)) if v.sentences and not is_backchannel(ctx, v)]
    who = SIDE_NAMES[params.side]
    if not lines:
        return not_applicable(f"{who} said nothing beyond backchannels, so there are no lines to count")
    hits = [v for v in lines if _in_class(v, params.line_class)]
    n, total = len(hits), len(lines)
    few, many = _limits(params, n, n / total)
    evidence = [_quote(ctx, v, params.line_class, f"{name} line {i + 1} of {n}") for i, v in enumerate(hits[:_MAX_EVIDENCE])]
    details = {"lines": n, "of": total}
    tally = f"{n} of {total} lines by {who} ({n / total:.0%}) are {name} lines"
    if many:
        return DetectorResult(verdict=Verdict.fail, mode="too_many", confidence=0.7, evidence=evidence,
                              details=details, reason=f"{tally}; {' and '.join(many)}")  # fmt: skip
    if few:
        if not evidence:  # nothing to quote: cite the stretch of call the lines were owed in
            first, last = lines[0], lines[-1]
            evidence = [ctx.evidence(first, first.sentence_text(first.sentences[0]), f"no {name} line from here")]
            if last is not first:
                evidence.append(ctx.evidence(last, last.sentence_text(last.sentences[-1]), "to here"))
        return DetectorResult(verdict=Verdict.fail, mode="too_few", confidence=0.7, evidence=evidence,
                              details=details, reason=f"{tally}; {' and '.join(few)}")  # fmt: skip
    return DetectorResult(verdict=Verdict.pass_, confidence=0.7, evidence=evidence, details=details, reason=tally)
