"""The bundled rubrics, as the API lists them."""

from __future__ import annotations

from functools import cache

import yaml

from api.schemas.misc import RubricItemPublic, RubricPublic
from coach.errors import RubricError
from coach.resources import data_dir


@cache
def bundled_rubrics() -> list[RubricPublic]:
    found = []
    for path in sorted(data_dir("rubrics").glob("*.y*ml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise RubricError(f"invalid YAML: {exc}", source=str(path)) from None
        if not isinstance(data, dict) or "items" not in data:
            continue  # scenario or other data beside the rubrics
        items = data.get("items") or []
        found.append(
            RubricPublic(
                id=str(data.get("id", path.stem)),
                version=str(data.get("version", "0")),
                title=data.get("title") or data.get("name"),
                items=[
                    RubricItemPublic(id=str(i["id"]), title=i.get("title") or i.get("name"))
                    for i in items
                    if isinstance(i, dict) and "id" in i
                ],
            )
        )
    return found
