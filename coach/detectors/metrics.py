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


def _stretch(ctx: CallContext, run: list[TurnView], words: int, speaker: str) -> Stretch:
    return Stretch(words=words, seconds=_seconds(ctx, run[0], run[-1]), first_turn=run[0].turn.index,
                   last_turn=run[-1].turn.index, speaker=speaker)  # fmt: skip


def compute_metrics(ctx: CallContext) -> Metrics:
    # One pass over the turns, counting by the role itself (an enum's `.value` per turn costs
    # more than the sum); the longest stretches are built once, when they are known.
    words = dict.fromkeys(Role, 0)
    questions = dict.fromkeys(Role, 0)
    runs: list[list[TurnView]] = []  # the seller's monologues, in call order
    run: list[TurnView] = []
    customer_longest: TurnView | None = None
    first_speaks: dict[str, float] = {}
    for view in ctx.turns:
        role = view.role
        count = view.words
        words[role] += count
        questions[role] += view.signals.questions
        if role is Role.seller:
            if not run:
                runs.append(run)
            run.append(view)
            if view.turn.start_s is not None and view.speaker not in first_speaks:
                first_speaks[view.speaker] = round(view.turn.start_s / 60, 1)
            continue
        if role is Role.customer and (customer_longest is None or count > customer_longest.words):
            customer_longest = view
        if run and is_backchannel(ctx, view):
            continue  # the customer's "mm-hmm" does not end the seller's monologue
        run = []
    # the first of the longest, as `max` picks it
    counted = [(sum(t.words for t in run), run) for run in runs]
    longest_words, longest = max(counted, key=lambda c: c[0], default=(0, []))
    total = sum(words.values())
    ratio = round(words[Role.seller] / total, 3) if total and ctx.has_seller else None
    return Metrics(
        words={k.value: v for k, v in words.items() if v or k is not Role.unknown},
        seller_talk_ratio=ratio,
        longest_seller_monologue=_stretch(ctx, longest, longest_words, ", ".join(sorted({t.speaker for t in longest})))
        if longest else None,
        questions={k.value: v for k, v in questions.items() if v or k is not Role.unknown},
        customer_longest_turn=_stretch(ctx, [customer_longest], customer_longest.words, customer_longest.speaker)
        if customer_longest is not None else None,
        seller_first_speaks_min=first_speaks,
    )
