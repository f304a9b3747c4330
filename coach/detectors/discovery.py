"""`discovery_questions` and `no_demo_before_discovery`: the three questions, their order, and what came first."""

from __future__ import annotations

from coach.checks.context import CallContext, Position, TurnView
from coach.checks.result import DetectorResult, not_applicable
from coach.detectors.registry import NO_EXPANSION, detector
from coach.rubric.params import DiscoveryParams, NoDemoParams
from coach.scorecard import Verdict
from coach.text.lines import LineHit
from coach.transcript import Role

QUESTION_NAMES = {1: "current workflow", 2: "where it hurts and what it costs", 3: "the one fix and who feels it"}


def _reopen_menus(ctx: CallContext) -> set[tuple[int, int]]:
    """(turn, sentence start) of re-open questions answering "send me information".

    "Which of these matters most: how it fits your process, what it costs, or who'd
    feel it first?" lists the questions to re-open discovery; it does not ask them.
    """
    reopen = ctx.item_key("soft_no_reopen.v1", "reopen")
    menus: set[tuple[int, int]] = set()
    if reopen is None:
        return menus
    for request, _ in ctx.hits("info_request", Role.customer):
        for turn in ctx.turns[request.position + 1 :]:
            if turn.role is Role.customer:
                break
            menus.update((turn.position, s.start_char) for s in turn.sentences if reopen in s.keys)
    return menus


def first_questions(ctx: CallContext) -> dict[int, tuple[Position, TurnView, LineHit]]:
    first: dict[int, tuple[Position, TurnView, LineHit]] = {}
    menus = _reopen_menus(ctx)
    for view, hit in ctx.hits("discovery"):
        if _in_menu(view, hit, menus):
            continue
        number = int(hit.label)
        position = (view.position, hit.start)
        if number not in first or position < first[number][0]:
            first[number] = (position, view, hit)
    return first


def _in_menu(view: TurnView, hit: LineHit, menus: set[tuple[int, int]]) -> bool:
    return any(
        p == view.position and s.start_char == start and s.start_char <= hit.start < s.end_char
        for p, start in menus
        for s in view.sentences
    )


def first_demo_or_pricing(ctx: CallContext) -> tuple[Position, TurnView, LineHit] | None:
    found = [((v.position, h.match_start), v, h) for kind in ("demo", "pricing") for v, h in ctx.hits(kind)]
    return min(found, key=lambda f: f[0], default=None)


@detector("discovery_questions.v1")
def discovery_questions(ctx: CallContext, params: DiscoveryParams) -> DetectorResult:
    if not ctx.expansion_topic:
        return not_applicable(NO_EXPANSION)
    first = first_questions(ctx)
    asked = sorted(first)
    sequence = [n for _, n in sorted((pos, n) for n, (pos, _, _) in first.items())]
    # Order and timing mean something only for questions that were asked: no "in order: yes" for none.
    in_order = sequence == sorted(sequence) if len(asked) > 1 else None
    blocker = first_demo_or_pricing(ctx)
    before_blocker = (blocker is None or all(pos < blocker[0] for pos, _, _ in first.values())) if asked else None
    generic_key = ctx.item_key("discovery_questions.v1", "generic")
    generic = len(ctx.key_sentences(generic_key, Role.seller)) if generic_key else 0
    details = {"asked": asked, "in_order": in_order, "before_demo_or_pricing": before_blocker, "generic_questions": generic}
    evidence = [
        ctx.hit_evidence(view, hit, f"Q{n}: {QUESTION_NAMES[n]}")
        for n, (_, view, hit) in sorted(first.items(), key=lambda kv: kv[1][0])
    ]
    generic_note = (
        f" {generic} generic question{'s' if generic != 1 else ''} (\"any questions?\") did not count." if generic else ""
    )
    if not asked:
        moves = ctx.expansion_moves
        _, view, kind, quote = moves[0]
        return DetectorResult(
            verdict=Verdict.fail,
            mode="skipped",
            details=details,
            evidence=[ctx.evidence(view, quote, "expansion raised without any of the three discovery questions")],
            reason="None of the three discovery questions was asked." + generic_note,
            confidence=0.7,
        )
    if len(asked) < 3:
        missing = [n for n in (1, 2, 3) if n not in first]
        return DetectorResult(
            verdict=Verdict.fail, mode="incomplete", details=details, evidence=evidence,
            reason=f"You asked {_questions(asked)}; never asked: {_questions(missing)}." + generic_note,
        )  # fmt: skip
    if not in_order:
        said = ", then ".join(f"Q{n}" for n in sequence)
        return DetectorResult(
            verdict=Verdict.fail, mode="out_of_order", details=details, evidence=evidence,
            reason=f"All three were asked, but out of order ({said})." + generic_note,
        )  # fmt: skip
    if not before_blocker:
        assert blocker is not None
        evidence.append(ctx.hit_evidence(blocker[1], blocker[2], "demo or pricing before discovery was complete"))
        return DetectorResult(
            verdict=Verdict.fail, mode="after_demo", details=details, evidence=evidence,
            reason="All three were asked in order, but a demo or a price came before the last of them." + generic_note,
        )  # fmt: skip
    return DetectorResult(
        verdict=Verdict.pass_, details=details, evidence=evidence, confidence=0.85,
        reason="All three were asked, in order, before any demo or price." + generic_note,
    )  # fmt: skip


def _questions(numbers: list[int]) -> str:
    """`Q1 (current workflow) and Q3 (the one fix and who feels it)`."""
    named = [f"Q{n} ({QUESTION_NAMES[n]})" for n in numbers]
    return named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]


@detector("no_demo_before_discovery.v1")
def no_demo_before_discovery(ctx: CallContext, params: NoDemoParams) -> DetectorResult:
    if not ctx.expansion_topic:
        return not_applicable(NO_EXPANSION)
    demos = ctx.hits("demo")
    if not demos:
        return DetectorResult(verdict=Verdict.pass_, reason="no demo or screen-share in the call", confidence=0.7)
    first = first_questions(ctx)
    view, hit = demos[0]
    demo_at = (view.position, hit.match_start)
    if len(first) == 3:
        # "answered" = the customer has spoken after the last of the three questions
        last_position = max(pos for pos, _, _ in first.values())
        answered_at = next(
            (t.position for t in ctx.turns if t.position > last_position[0] and t.role is Role.customer), None
        )
        if answered_at is not None and demo_at[0] > answered_at:
            return DetectorResult(
                verdict=Verdict.pass_,
                evidence=[ctx.hit_evidence(view, hit, "demo after the three discovery questions were answered")],
            )
    return DetectorResult(
        verdict=Verdict.fail,
        mode="demo_before_discovery",
        evidence=[ctx.hit_evidence(view, hit, f"demo with discovery questions asked so far: {sorted(first) or 'none'}")],
        details={"asked_before_demo": sorted(n for n, (pos, _, _) in first.items() if pos < demo_at)},
    )
