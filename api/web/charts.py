"""Geometry for the small inline-SVG charts; the templates only draw what is computed here.

Every chart is drawn beside text that states its numbers, so the SVG itself is
decoration for the eye (aria-hidden) and never the only way to read a value.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from coach.render.view import format_time
from coach.scorecard import Metrics, Stretch, Verdict
from coach.transcript import Role, Transcript

# Which verdict a turn's marker shows when several items cite it: a failure matters most.
_VERDICT_WEIGHT = {Verdict.fail: 2, Verdict.pass_: 1, Verdict.not_applicable: 0}


class _Chart(BaseModel):
    model_config = ConfigDict(extra="forbid")


def rate_class(rate: float | None) -> str:
    """Five colour steps for a pass rate; the cell always prints the number too."""
    if rate is None:
        return "rate-none"
    return f"rate-{min(4, int(rate * 5))}"


# -- pass rate over time ---------------------------------------------------------------------


class SparkPoint(_Chart):
    x: float
    y: float
    label: str
    value: float


class Sparkline(_Chart):
    width: int
    height: int
    points: list[SparkPoint]
    path: str
    summary: str


def sparkline(series: Sequence[tuple[str, float | None]], *, width: int = 180, height: int = 48) -> Sparkline:
    """Pass rate (0..1) per period; periods with no pass or fail leave a gap in the summary, not a zero."""
    pad = 5.0
    known = [(i, label, value) for i, (label, value) in enumerate(series) if value is not None]
    span = max(len(series) - 1, 1)
    points = [
        SparkPoint(
            x=round(pad + (width - 2 * pad) * (i / span if len(series) > 1 else 0.5), 1),
            y=round(height - pad - (height - 2 * pad) * value, 1),
            label=label,
            value=value,
        )
        for i, label, value in known
    ]
    path = " ".join(f"{'M' if n == 0 else 'L'}{p.x},{p.y}" for n, p in enumerate(points))
    if not points:
        summary = "no passes or failures yet"
    elif len(points) == 1:
        summary = f"{round(points[0].value * 100)}% ({points[0].label})"
    else:
        first, last = points[0], points[-1]
        summary = f"{round(first.value * 100)}% ({first.label}) → {round(last.value * 100)}% ({last.label})"
    return Sparkline(width=width, height=height, points=points, path=path, summary=summary)


# -- conversation metrics ------------------------------------------------------------------------


class Bar(_Chart):
    label: str
    text: str
    y: float
    width: float
    css: str


class BarChart(_Chart):
    title: str
    caption: str
    width: int
    height: int
    bars: list[Bar]


class RatioBar(_Chart):
    title: str
    caption: str
    seller_width: float
    width: int


def _bars(title: str, caption: str, rows: list[tuple[str, float, str, str]], *, width: int = 220) -> BarChart:
    top = max((value for _, value, _, _ in rows), default=0) or 1
    bar_h, gap = 16, 8
    bars = [
        Bar(label=label, text=text, y=n * (bar_h + gap), width=round((width - 2) * value / top, 1), css=css)
        for n, (label, value, text, css) in enumerate(rows)
    ]
    return BarChart(title=title, caption=caption, width=width, height=len(rows) * (bar_h + gap), bars=bars)


class MetricCharts(_Chart):
    talk: RatioBar | None = None
    questions: BarChart | None = None
    stretches: BarChart | None = None
    first_speaks: list[tuple[str, str]] = Field(default_factory=list)


def metric_charts(m: Metrics) -> MetricCharts:
    """The charts of the scorecard's metrics; a figure it does not have draws no chart."""
    charts = MetricCharts()
    if m.seller_talk_ratio is not None:
        share = max(0.0, min(1.0, m.seller_talk_ratio))
        charts.talk = RatioBar(
            title="Talk ratio",
            caption=f"Seller side {round(share * 100)}% of the words, customer side {round((1 - share) * 100)}%.",
            seller_width=round(share * 100, 1),
            width=100,
        )
    if m.questions:
        seller, customer = m.questions.get(Role.seller, 0), m.questions.get(Role.customer, 0)
        charts.questions = _bars(
            "Questions asked",
            f"Seller side asked {seller:g}, customer side asked {customer:g}.",
            [("Seller", seller, f"{seller:g}", "seller"), ("Customer", customer, f"{customer:g}", "customer")],
        )
    seller, customer = m.longest_seller_monologue, m.customer_longest_turn
    if seller is not None or customer is not None:
        use_seconds = all(s is None or s.seconds is not None for s in (seller, customer))
        unit = "s" if use_seconds else "words"

        def amount(s: Stretch | None) -> float:
            if s is None:
                return 0.0
            return float((s.seconds if use_seconds else s.words) or 0)

        rows = [("Seller monologue", amount(seller), f"{amount(seller):g} {unit}", "seller"),
                ("Customer turn", amount(customer), f"{amount(customer):g} {unit}", "customer")]
        charts.stretches = _bars(
            "Longest stretch",
            f"Longest seller monologue {amount(seller):g} {unit}; customer's longest turn {amount(customer):g} {unit}.",
            rows,
        )
    charts.first_speaks = [(name, f"minute {minute:g}") for name, minute in m.seller_first_speaks_min.items()]
    return charts


# -- the call at a glance -------------------------------------------------------------------------


class OverviewTurn(_Chart):
    index: int
    x: float
    width: float
    lane: int  # 0 seller, 1 customer, 2 unknown (drawn across both)
    role: str


class OverviewMark(_Chart):
    index: int
    x: float
    verdict: str
    label: str


class OverviewTick(_Chart):
    x: float
    label: str


class Overview(_Chart):
    width: int
    height: int
    lane_height: int
    turns: list[OverviewTurn]
    marks: list[OverviewMark]
    ticks: list[OverviewTick]
    by_time: bool


def overview(transcript: Transcript, cited: dict[int, list[tuple[str, Verdict]]]) -> Overview:
    """Seller and customer lanes over the call's time (or turn order when it has no times), cited turns marked.

    Positions are percentages of the width: the SVG has no viewBox, so it fills any screen
    and its round markers stay round.
    """
    width = 100
    turns = transcript.turns
    by_time = transcript.has_times and all(t.start_s is not None for t in turns)
    if by_time:
        end = max([transcript.duration_s or 0.0] + [(t.end_s or t.start_s or 0.0) for t in turns]) or 1.0
        spans = []
        for n, t in enumerate(turns):
            start = t.start_s or 0.0
            stop = t.end_s if t.end_s is not None else (turns[n + 1].start_s if n + 1 < len(turns) else end)
            spans.append((start, max(stop or start, start)))
    else:
        end = float(max(len(turns), 1))
        spans = [(float(n), float(n + 1)) for n in range(len(turns))]
    scale = width / end
    lane_of = {Role.seller: 0, Role.customer: 1}
    drawn = [
        OverviewTurn(
            index=t.index,
            x=round(start * scale, 2),
            width=max(round((stop - start) * scale, 2), 0.3),
            lane=lane_of.get(transcript.role_of(t), 2),
            role=transcript.role_of(t).value,
        )
        for t, (start, stop) in zip(turns, spans, strict=True)
    ]
    marks = []
    for t, (start, stop) in zip(turns, spans, strict=True):
        citing = cited.get(t.index)
        if not citing:
            continue
        worst = max((v for _, v in citing), key=lambda v: _VERDICT_WEIGHT[v])
        names = ", ".join(f"{title} ({v.value.replace('_', ' ')})" for title, v in citing)
        when = format_time(t.start_s) if by_time else f"turn {t.index}"
        marks.append(
            OverviewMark(index=t.index, x=round((start + stop) / 2 * scale, 2), verdict=worst.value,
                         label=f"{when}, {transcript.speaker_name(t)}: {names}")
        )
    # Start, middle and end: the labels sit at exact fractions of the width at any screen size.
    if by_time:
        ticks = [OverviewTick(x=f * width, label=format_time(end * f)) for f in (0.0, 0.5, 1.0)]
    else:
        ticks = [OverviewTick(x=0, label="first turn"), OverviewTick(x=width, label="last turn")]
    return Overview(width=width, height=64, lane_height=18, turns=drawn, marks=marks, ticks=ticks, by_time=by_time)
