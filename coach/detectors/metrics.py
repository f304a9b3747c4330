"""Conversation metrics: talk ratio, monologues (ignoring back-channels), questions, first words."""

from __future__ import annotations

from coach.checks.context import CallContext, TurnView, is_backchannel
from coach.scorecard import Metrics, Stretch
from coach.transcript import Role


def _seconds(ctx: CallContext, first: TurnView, last: TurnView) -> float | None:
    start = first.turn.start_s
    if start is None:
        return None
    end = last.turn.end_s
    if end is None:
        following = next((t for t in ctx.turns[last.position + 1 :] if t.turn.start_s is not None), None)
        end = following.turn.start_s if following else ctx.transcript.duration_s
    return round(end - start, 1) if end is not None and end >= start else None


def compute_metrics(ctx: CallContext) -> Metrics:
    words = {role.value: 0 for role in Role}
    questions = {role.value: 0 for role in Role}
    for view in ctx.turns:
        words[view.role.value] += view.words
        questions[view.role.value] += view.signals.questions
    total = sum(words.values())
    ratio = round(words[Role.seller.value] / total, 3) if total and ctx.has_seller else None

    longest: Stretch | None = None
    run: list[TurnView] = []

    def close_run() -> None:
        nonlocal longest
        if run:
            count = sum(t.words for t in run)
            if longest is None or count > longest.words:
                speakers = sorted({t.speaker for t in run})
                longest = Stretch(
                    words=count,
                    seconds=_seconds(ctx, run[0], run[-1]),
                    first_turn=run[0].turn.index,
                    last_turn=run[-1].turn.index,
                    speaker=", ".join(speakers),
                )

    for view in ctx.turns:
        if view.role is Role.seller:
            run.append(view)
        elif run and is_backchannel(ctx, view):
            continue  # the customer's "mm-hmm" does not end the seller's monologue
        else:
            close_run()
            run = []
    close_run()

    customer_longest: Stretch | None = None
    for view in ctx.turns:
        if view.role is Role.customer and (customer_longest is None or view.words > customer_longest.words):
            customer_longest = Stretch(
                words=view.words,
                seconds=_seconds(ctx, view, view),
                first_turn=view.turn.index,
                last_turn=view.turn.index,
                speaker=view.speaker,
            )

    first_speaks: dict[str, float] = {}
    for view in ctx.turns:
        if view.role is Role.seller and view.turn.start_s is not None and view.speaker not in first_speaks:
            first_speaks[view.speaker] = round(view.turn.start_s / 60, 1)
    return Metrics(
        words={k: v for k, v in words.items() if v or k != Role.unknown.value},
        seller_talk_ratio=ratio,
        longest_seller_monologue=longest,
        questions={k: v for k, v in questions.items() if v or k != Role.unknown.value},
        customer_longest_turn=customer_longest,
        seller_first_speaks_min=first_speaks,
    )
