"""`--roles FILE`: who is on the seller side, given as YAML (or JSON) `sellers: [names]`.

Other keys are ignored on purpose, so a labelled call's `<stem>.labels.yaml`
serves as its roles file too.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach.errors import CoachError


class RolesError(CoachError):
    """A roles file is unreadable or not `sellers: [names]`."""


class RolesFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sellers: list[str] = Field(min_length=1)


def load_roles(path: Path) -> RolesFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RolesError(f"cannot read roles file: {exc.strerror}", source=str(path)) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        raise RolesError("roles file is not valid YAML", source=str(path), line=None if line is None else line + 1) from None
    if not isinstance(data, dict):
        raise RolesError("expected a mapping with 'sellers: [names]'", source=str(path))
    try:
        return RolesFile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"])
        raise RolesError(f"{field}: {error['msg']}", source=str(path)) from None
