"""Scorecard renderers: canonical JSON, Markdown, a self-contained HTML page and the terminal.

`render(fmt, scorecard, transcript)` is the one entry point the CLI and API use;
each format lives in its own module.
"""

from __future__ import annotations

from enum import StrEnum

from coach.render.html import render_html
from coach.render.json import render_json
from coach.render.markdown import render_markdown
from coach.render.terminal import render_text
from coach.scorecard import Scorecard
from coach.transcript import Transcript


class OutputFormat(StrEnum):
    json = "json"
    md = "md"
    html = "html"
    text = "text"

    @property
    def suffix(self) -> str:
        return {"json": ".json", "md": ".md", "html": ".html", "text": ".txt"}[self.value]


def render(
    fmt: OutputFormat,
    scorecard: Scorecard,
    transcript: Transcript | None = None,
    *,
    color: bool = False,
    width: int = 100,
) -> str:
    match fmt:
        case OutputFormat.json:
            return render_json(scorecard)
        case OutputFormat.md:
            return render_markdown(scorecard, transcript)
        case OutputFormat.html:
            return render_html(scorecard, transcript)
        case OutputFormat.text:
            return render_text(scorecard, transcript, color=color, width=width)
    raise ValueError(f"unknown output format {fmt!r}")


__all__ = ["OutputFormat", "render", "render_html", "render_json", "render_markdown", "render_text"]
