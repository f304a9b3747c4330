"""The canonical scorecard JSON: the contract managers' tools and the evaluation scripts read.

Field order follows the contract in issue 3 (`schema_version`, `call`, `rubric`,
`motion`, `trigger`, `items`, `metrics`, `score`, then additions).
"""

from __future__ import annotations

from pydantic import ValidationError

from coach.errors import CoachError
from coach.scorecard import Scorecard


class ScorecardError(CoachError):
    """A file that should hold a scorecard does not."""


def render_json(scorecard: Scorecard, *, indent: int | None = 2) -> str:
    return scorecard.model_dump_json(indent=indent)


def parse_json(text: str | bytes, *, source: str | None = None) -> Scorecard:
    try:
        return Scorecard.model_validate_json(text)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "document"
        raise ScorecardError(f"not a scorecard: {where}: {error['msg']}", source=source) from None
